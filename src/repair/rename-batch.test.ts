import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { plantTree, rootOnly, tempDir } from "../fs/testing-tree.js";
import { loadNativeScanner } from "../fs/walk-native.js";
import { type RenameBatch, renameBatchJs, renameResult } from "./rename-batch.js";

const skip = rootOnly();
const native = loadNativeScanner().scanner?.renameBatch;
const engines: [string, RenameBatch | undefined][] = [
  ["native", native],
  ["js", renameBatchJs],
];

function idOf(path: string | Buffer): number[] {
  const st = lstatSync(path);
  return [st.dev, st.ino, st.ctimeMs];
}

/** A dir on another filesystem than /var/tmp (tmpfs /dev/shm), or null when there is none. */
function otherFs(): string | null {
  if (!existsSync("/dev/shm") || lstatSync("/dev/shm").dev === lstatSync("/var/tmp").dev) return null;
  const dir = mkdtempSync("/dev/shm/crifs-rename-");
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const [name, rename] of engines) {
  test(`renameBatch (${name}) moves the dirs whose identity holds and refuses a dir replaced, changed or gone since the plan`, {
    skip: skip || rename === undefined,
  }, () => {
    if (rename === undefined) return;
    const root = tempDir("crifs-rename-");
    plantTree(root, ["d a/fs", "d b", "d c", "d d", "d q"]);
    const ids = ["a", "b", "c", "d"].flatMap((n) => idOf(join(root, n)));
    // b replaced by another dir at its path, c's inode changed (chmod moves ctime), d gone
    renameSync(join(root, "b"), join(root, "b-old"));
    mkdirSync(join(root, "b"));
    execFileSync("chmod", ["700", join(root, "c")]);
    rmSync(join(root, "d"), { recursive: true });
    const srcs = ["a", "b", "c", "d"].map((n) => join(root, n));
    const dsts = ["1-0", "2-0", "3-0", "4-0"].map((n) => join(root, "q", n));
    const r = rename(srcs, dsts, Float64Array.from(ids));
    assert.deepEqual(Array.from(r), [
      renameResult.moved,
      renameResult.other,
      renameResult.changed,
      renameResult.gone,
    ]);
    assert.ok(existsSync(join(root, "q/1-0/fs")));
    for (const n of ["b", "c"]) assert.ok(existsSync(join(root, n)), n);
    for (const n of ["2-0", "3-0", "4-0"]) assert.equal(existsSync(join(root, "q", n)), false, n);
  });

  test(`renameBatch (${name}) does not compare a NaN ctime, and moves a name that is not UTF-8 given as its bytes`, {
    skip: skip || rename === undefined,
  }, () => {
    if (rename === undefined) return;
    const root = tempDir("crifs-rename-");
    plantTree(root, ["d q"]);
    const odd = Buffer.concat([Buffer.from(`${root}/x`), Buffer.from([0xff])]);
    mkdirSync(odd);
    const [dev, ino] = idOf(odd);
    chmodSync(odd, 0o700); // ctime moves: not compared
    const r = rename([odd], [join(root, "q/1-0")], Float64Array.from([dev ?? 0, ino ?? 0, Number.NaN]));
    assert.deepEqual(Array.from(r), [renameResult.moved]);
    assert.equal(existsSync(odd), false);
  });

  test(`renameBatch (${name}) stops at an existing destination (EEXIST) and leaves the rest untried`, {
    skip: skip || rename === undefined,
  }, () => {
    if (rename === undefined) return;
    const root = tempDir("crifs-rename-");
    plantTree(root, ["d a", "d b", "d q/1-0"]);
    writeFileSync(join(root, "q/1-0/kept"), "x");
    const ids = ["a", "b"].flatMap((n) => idOf(join(root, n)));
    const r = rename(
      [join(root, "a"), join(root, "b")],
      [join(root, "q/1-0"), join(root, "q/2-0")],
      Float64Array.from(ids),
    );
    assert.deepEqual(Array.from(r), [-17, renameResult.notTried]); // EEXIST
    assert.ok(existsSync(join(root, "a")));
    assert.ok(existsSync(join(root, "b")));
    assert.ok(existsSync(join(root, "q/1-0/kept")));
  });

  test(`renameBatch (${name}) answers EXDEV for a move to another filesystem and moves nothing across`, {
    skip: skip || rename === undefined,
  }, (t) => {
    if (rename === undefined) return;
    const other = otherFs();
    if (other === null) {
      t.skip("no second filesystem (/dev/shm on tmpfs)");
      return;
    }
    const root = tempDir("crifs-rename-");
    plantTree(root, ["d a"]);
    const r = rename([join(root, "a")], [join(other, "1-0")], Float64Array.from(idOf(join(root, "a"))));
    assert.deepEqual(Array.from(r), [-18]); // EXDEV
    assert.ok(existsSync(join(root, "a")));
    assert.equal(existsSync(join(other, "1-0")), false);
  });
}

test("the built addon carries renameBatch (npm install builds native/rename.c with the scanner)", {
  skip: loadNativeScanner().scanner === null,
}, () => {
  assert.equal(typeof native, "function");
});
