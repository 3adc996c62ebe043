import assert from "node:assert/strict";
import { test } from "node:test";
import { compareText, isPlainText, prefixFreeRanks } from "./text.js";

test("compareText is code-unit order, as < gives it (not the locale's)", () => {
  assert.deepEqual(["b", "B", "a", "é", "\ud83d\udc33", "\uffff"].sort(compareText), [
    "B",
    "a",
    "b",
    "é",
    "\ud83d\udc33",
    "\uffff",
  ]);
  assert.equal(compareText("x", "x"), 0);
});

test("prefixFreeRanks ranks distinct strings, or says null when one is a prefix of another", () => {
  assert.deepEqual(
    [...(prefixFreeRanks(["/s/2/fs", "/s/10/fs", "/s/2/fs"]) ?? [])],
    [
      ["/s/10/fs", 0],
      ["/s/2/fs", 1],
    ],
  );
  // a prefix anywhere in the sorted list, not only of the first
  assert.equal(prefixFreeRanks(["/b", "/a/x", "/c", "/a"]), null);
  assert.equal(prefixFreeRanks(["/a", "/a/b/c", "/a/z"]), null);
  assert.deepEqual(prefixFreeRanks([]), new Map());
});

test("isPlainText: printable ASCII without a backslash, what terminalSafe leaves as it is", () => {
  assert.equal(isPlainText("/usr/lib/x-1.2 (copy)~"), true);
  assert.equal(isPlainText(""), true);
  for (const s of ["a\\b", "tab\t", "nl\n", "\x7f", "é", "\udc80", "日本"])
    assert.equal(isPlainText(s), false, s);
});
