import assert from "node:assert/strict";
import { test } from "node:test";
import { ByteChunks } from "./byte-chunks.js";

test("ByteChunks gives the UTF-8 of the text written, lines trimmed as trimEnd trims them, across growth", () => {
  const out = new ByteChunks(8); // smaller than one line: every line makes it grow
  const lines = ["plain cell", "wide 日本語 🐳", "trailing   ", "nbsp\u00a0", "", "   ", "ends in é"];
  let expected = "";
  for (const l of lines) {
    out.text(l.slice(0, 4), /^[\x20-\x7e]*$/.test(l.slice(0, 4)));
    out.blanks(2);
    out.blanks(0);
    out.blanks(-1);
    out.text(l.slice(4));
    out.endLine();
    expected += `${`${l.slice(0, 4)}  ${l.slice(4)}`.trimEnd()}\n`;
  }
  out.text("kept as it is ");
  out.newline();
  expected += "kept as it is \n";
  assert.equal(out.length, Buffer.byteLength(expected));
  const first = out.take();
  assert.deepEqual(first, Buffer.from(expected));
  assert.equal(out.length, 0);
  out.text("next");
  out.endLine();
  assert.deepEqual(out.take(), Buffer.from("next\n"));
  assert.deepEqual(first, Buffer.from(expected), "a Buffer taken is not written over by later text");
});
