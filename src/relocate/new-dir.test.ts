import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CrifsError } from "../errors.js";
import { resolveNewDir } from "./new-dir.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-new-dir-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const root = join(dir, "root");
mkdirSync(join(root, "sub"), { recursive: true });
mkdirSync(join(dir, "other", "empty"), { recursive: true });
symlinkSync(join(dir, "other", "empty"), join(dir, "link-to-empty"));
symlinkSync(join(dir, "other"), join(dir, "link-to-other"));
symlinkSync(root, join(dir, "link-to-root"));

function refusal(arg: string): CrifsError {
  try {
    resolveNewDir(root, arg);
  } catch (err) {
    assert.ok(err instanceof CrifsError, String(err));
    return err;
  }
  assert.fail(`${arg} was accepted`);
}

test("an absent NEWDIR and an empty one are taken as they are", () => {
  assert.equal(resolveNewDir(root, join(dir, "fresh")), join(dir, "fresh"));
  assert.equal(resolveNewDir(root, join(dir, "other", "empty")), join(dir, "other", "empty"));
});

test("a NEWDIR that is a symlink (to an empty dir) is refused, naming where it leads", () => {
  const e = refusal(join(dir, "link-to-empty"));
  assert.equal(e.code, "usage");
  assert.match(e.oneLine(), /it is a symlink \(to .*\/other\/empty\) \(hint: pass the dir it leads to/);
});

test("a parent reached through a symlink is resolved: the plan names the real dir", () => {
  assert.equal(resolveNewDir(root, join(dir, "link-to-other", "new")), join(dir, "other", "new"));
});

test("NEWDIR inside the root through a symlinked parent is refused like the plain spelling", () => {
  assert.match(refusal(join(dir, "link-to-root", "new")).oneLine(), /NEWDIR and the root hold one another/);
  assert.match(refusal(join(root, "sub", "new")).oneLine(), /NEWDIR and the root hold one another/);
});

test("a file, a non-empty dir and a missing parent are refused", () => {
  writeFileSync(join(dir, "file"), "x");
  assert.match(refusal(join(dir, "file")).oneLine(), /not a directory/);
  assert.match(refusal(join(dir, "other")).oneLine(), /not empty/);
  assert.match(refusal(join(dir, "nodir", "new")).oneLine(), /parent dir does not exist/);
});
