import assert from "node:assert/strict";
import { test } from "node:test";
import { CrifsError } from "../errors.js";
import { type CopyModeFacts, fsTypeName, HARDLINK_NOTE, planCopyMode } from "./plan-copy-mode.js";

const base: CopyModeFacts = {
  requested: "auto",
  isSameFilesystem: true,
  destFilesystem: "xfs",
  destMount: "/mnt",
  sourceMount: "/",
  writableSource: null,
  force: false,
  dest: "/mnt/clone",
};

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CrifsError);
    return `${e.code}: ${e.oneLine()}`;
  }
  return "no error";
}

test("auto reflinks on the source's filesystem and copies across filesystems", () => {
  assert.equal(planCopyMode(base).mode, "auto");
  assert.equal(planCopyMode({ ...base, isSameFilesystem: false, destFilesystem: "tmpfs" }).mode, "copy");
});

test("copy is a copy wherever DEST is", () => {
  assert.deepEqual(planCopyMode({ ...base, requested: "copy", isSameFilesystem: false }), {
    mode: "copy",
    notes: [],
  });
});

test("reflink across filesystems fails in one line naming DEST's filesystem", () => {
  const e = code(() =>
    planCopyMode({ ...base, requested: "reflink", isSameFilesystem: false, destFilesystem: "tmpfs" }),
  );
  assert.match(
    e,
    /^unsupported: \/mnt\/clone: cannot reflink: DEST's filesystem \(tmpfs on \/mnt\) is not the source's \(\/\)/,
  );
  assert.equal(planCopyMode({ ...base, requested: "reflink" }).mode, "reflink");
});

test("hardlink says what the clone shares, and refuses a writable source unless forced", () => {
  assert.deepEqual(planCopyMode({ ...base, requested: "hardlink" }), {
    mode: "hardlink",
    notes: [HARDLINK_NOTE],
  });
  const e = code(() =>
    planCopyMode({ ...base, requested: "hardlink", writableSource: "an active snapshot" }),
  );
  assert.match(e, /^unsafe: refusing a hardlink clone of an active snapshot: .*\(hint: .*--force/);
  assert.equal(
    planCopyMode({ ...base, requested: "hardlink", writableSource: "an active snapshot", force: true }).mode,
    "hardlink",
  );
  assert.match(
    code(() =>
      planCopyMode({ ...base, requested: "hardlink", isSameFilesystem: false, destFilesystem: "ext4" }),
    ),
    /^unsupported: .*cannot hard-link: DEST's filesystem \(ext4 on \/mnt\)/,
  );
});

test("filesystem names come from statfs magics, unknown ones as hex", () => {
  assert.equal(fsTypeName(0xef53), "ext4");
  assert.equal(fsTypeName(0x58465342n), "xfs");
  assert.equal(fsTypeName(0x01021994), "tmpfs");
  assert.equal(fsTypeName(0x1234), "0x1234");
});
