import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { decodeName, encodeName, fsPath, hasEscapedBytes } from "./name-codec.js";

test("valid UTF-8 names are carried as the string they spell, with no escaped byte", () => {
  for (const s of [
    "",
    "etc",
    "ca-certificates/NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem",
    "日本語",
    "🙂x",
  ]) {
    const b = Buffer.from(s, "utf8");
    assert.equal(decodeName(b), s);
    assert.equal(hasEscapedBytes(s), false);
    assert.deepEqual(encodeName(s), b);
    assert.equal(fsPath(s), s);
  }
});

test("bytes that are not UTF-8 become U+DC80+byte and come back exactly", () => {
  const cases: [number[], string][] = [
    [[0x61, 0xff, 0x62], "a\udcffb"],
    [[0xc3], "\udcc3"], // a truncated sequence
    [[0xc0, 0xaf], "\udcc0\udcaf"], // an overlong "/"
    [[0xed, 0xa0, 0x80], "\udced\udca0\udc80"], // a surrogate's encoding
    [[0xf4, 0x90, 0x80, 0x80], "\udcf4\udc90\udc80\udc80"], // past U+10FFFF
    [[0xf0, 0x9f, 0x82, 0x80, 0xff], "\ud83c\udc80\udcff"], // U+1F080 (its low half is in DC80..DCFF), then 0xff
  ];
  for (const [bytes, s] of cases) {
    const b = Buffer.from(bytes);
    assert.equal(decodeName(b), s, b.toString("hex"));
    assert.deepEqual(encodeName(s), b, b.toString("hex"));
  }
  assert.equal(hasEscapedBytes("a\udcffb"), true);
  assert.deepEqual(fsPath("/x/a\udcffb"), Buffer.from([0x2f, 0x78, 0x2f, 0x61, 0xff, 0x62]));
});

test("10,000 random byte strings round-trip exactly and survive JSON", () => {
  for (let i = 0; i < 10_000; i++) {
    const b = randomBytes(1 + (i % 40));
    const s = decodeName(b);
    assert.deepEqual(encodeName(s), b, b.toString("hex"));
    const back = JSON.parse(JSON.stringify({ name: s })) as { name: string };
    assert.deepEqual(encodeName(back.name), b, b.toString("hex"));
  }
});

test("a name that is not UTF-8 is found on disk through fsPath", () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-codec-"));
  try {
    const raw = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x66, 0xff, 0x0a, 0x67])]);
    writeFileSync(raw, "x");
    symlinkSync(Buffer.from([0x2f, 0xfe]), Buffer.concat([raw, Buffer.from(".l")]));
    const names = readdirSync(Buffer.from(dir), { encoding: "buffer" }).map(decodeName).sort();
    assert.deepEqual(names, ["f\udcff\ng", "f\udcff\ng.l"]);
    const target = decodeName(readlinkSync(fsPath(join(dir, "f\udcff\ng.l")), { encoding: "buffer" }));
    assert.equal(target, "/\udcfe");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
