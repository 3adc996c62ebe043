import assert from "node:assert/strict";
import { closeSync, openSync, writeSync } from "node:fs";
import { test } from "node:test";
import { stdioFailure } from "./stdio-error.js";

test("a full disk behind stdout (the kernel's ENOSPC, from /dev/full) is one line and exit 75, not a stack trace", () => {
  let err: NodeJS.ErrnoException | undefined;
  const fd = openSync("/dev/full", "w");
  try {
    writeSync(fd, "x");
  } catch (e) {
    err = e as NodeJS.ErrnoException;
  } finally {
    closeSync(fd);
  }
  assert.ok(err !== undefined);
  const r = stdioFailure(err, "stdout");
  assert.equal(r.code, 75);
  assert.equal(
    r.line,
    "crifs: stdout: cannot write: no space left on device (hint: free space where the output goes, or send it elsewhere)\n",
  );
});

test("a reader gone away is quiet, 141; another error names the stream in words", () => {
  assert.deepEqual(stdioFailure(Object.assign(new Error("x"), { code: "EPIPE" }), "stdout"), {
    line: null,
    code: 141,
  });
  const r = stdioFailure(Object.assign(new Error("x"), { code: "EIO" }), "stderr");
  assert.match(r.line ?? "", /^crifs: stderr: cannot write: input\/output error \(hint: /);
  assert.equal(r.code, 65);
});
