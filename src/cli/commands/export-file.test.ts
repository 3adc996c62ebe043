import assert from "node:assert/strict";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CrifsError, exitCodes } from "../../errors.js";
import { archiveWriteError, checkArchiveOutside, checkArchivePath } from "./export-file.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-export-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function thrown(f: () => void): CrifsError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof CrifsError, String(err));
    return err;
  }
  assert.fail("no error");
}

test("-o FILE that is a directory is refused before anything is written, with a file name to use", () => {
  const e = thrown(() => checkArchivePath(dir));
  assert.equal(e.code, "usage");
  assert.match(e.oneLine(), /it is a directory \(hint: name a file, e\.g\. .*\/root\.tar\)$/);
});

test("-o FILE whose dir is missing names FILE and mkdir -p, not the store's --root/--state hint", () => {
  const file = join(dir, "nodir", "x.tar");
  const e = thrown(() => checkArchivePath(file));
  assert.equal(e.code, "not-found");
  assert.equal(e.path, file);
  assert.match(e.oneLine(), /its dir does not exist \(hint: make it first \(mkdir -p .*nodir\)/);
  assert.doesNotMatch(e.oneLine(), /--root/);
});

test("-o '' is refused as naming no file (it was the cwd, 'a directory')", () => {
  assert.match(thrown(() => checkArchivePath("")).oneLine(), /^-o names no file \(hint:/);
});

test("-o FILE that is new in an existing dir, or in a symlinked dir, or an existing file, passes", () => {
  checkArchivePath(join(dir, "new.tar"));
  mkdirSync(join(dir, "real"));
  symlinkSync(join(dir, "real"), join(dir, "link"));
  checkArchivePath(join(dir, "link", "new.tar"));
  closeSync(openSync(join(dir, "old.tar"), "w"));
  checkArchivePath(join(dir, "old.tar"));
});

test("a full disk (the kernel's ENOSPC, from /dev/full) is one line naming FILE, in words, with a remedy", () => {
  let err: unknown;
  const fd = openSync("/dev/full", "w");
  try {
    writeSync(fd, Buffer.alloc(4096));
  } catch (e) {
    err = e;
  } finally {
    closeSync(fd);
  }
  assert.equal((err as NodeJS.ErrnoException).code, "ENOSPC");
  const e = archiveWriteError(err, "/srv/out.tar");
  assert.equal(exitCodes[e.code], 75);
  assert.equal(
    e.oneLine(),
    "/srv/out.tar: cannot write the archive: its filesystem is full (hint: free space there, or write the archive elsewhere (or to stdout: > FILE))",
  );
  assert.doesNotMatch(e.oneLine(), /enospc|\n/);
});

test("-o FILE inside a layer dir the archive is read from is refused (the archive read its own partial file)", () => {
  mkdirSync(join(dir, "upper", "etc"), { recursive: true });
  mkdirSync(join(dir, "lower"));
  symlinkSync(join(dir, "upper"), join(dir, "to-upper"));
  const layers = [join(dir, "upper"), join(dir, "lower")];
  for (const file of [
    join(dir, "upper", "etc", "out.tar"),
    join(dir, "lower", "out.tar"),
    join(dir, "to-upper", "o.tar"),
  ]) {
    const e = thrown(() => checkArchiveOutside(file, layers));
    assert.equal(e.code, "usage");
    assert.match(e.oneLine(), /it lies inside the layer dir .*(upper|lower) \(hint: name a FILE outside/);
  }
  checkArchiveOutside(join(dir, "beside.tar"), layers);
  checkArchiveOutside(join(dir, "upper-not.tar"), layers);
});
