import assert from "node:assert/strict";
import { test } from "node:test";
import { CrifsError } from "../../errors.js";
import { jsonErrorAt, parseJson } from "./parse-json.js";

test("valid JSON has no error offset, whatever JSON.parse accepts", () => {
  for (const t of [
    '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"]}',
    " [] ",
    '"s"',
    "0",
    '{"Repositories":{}}\n',
  ])
    assert.equal(jsonErrorAt(t), null, t);
});

test("the offset is the first byte that cannot continue the JSON, counted in UTF-8 bytes", () => {
  assert.deepEqual(jsonErrorAt('{"Repositories":{"bb":{"bb:latest":"sha256:ab'), {
    offset: 45,
    message: "unterminated string",
  });
  assert.equal(jsonErrorAt('{"a":1,}')?.offset, 7);
  assert.equal(jsonErrorAt('{"a":1 "b":2}')?.offset, 7);
  assert.equal(jsonErrorAt("garbage{")?.offset, 0);
  assert.equal(jsonErrorAt('{"é":tru}')?.offset, 9);
  assert.equal(jsonErrorAt('{"a":1}x')?.message, 'unexpected "x" after the value');
  assert.equal(jsonErrorAt("")?.message, "unexpected end of input");
  assert.equal(jsonErrorAt(`${"[".repeat(600)}${"]".repeat(600)}`)?.message, "nesting deeper than 512");
});

test("parseJson throws one corrupt error naming the offset", () => {
  assert.deepEqual(parseJson('{"ID":"x"}'), { ID: "x" });
  assert.throws(
    () => parseJson('{"ID":"x",'),
    (e: unknown) =>
      e instanceof CrifsError &&
      e.code === "corrupt" &&
      e.message === "cannot parse JSON at byte 10: expected a property name, found end of input",
  );
});
