// fs/walk-sync.test.ts — readTree (the doctor's layer-contents walk, on walkSync like the JS scanner) against
// find, on a tree built here under /var/tmp. walkTreeSync is tested through scanTrees in walk.test.ts.
// Needs root (mknod); CRIFS_SKIP_ROOT=1 skips instead of failing.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { FactReader } from "./fact-reader.js";
import { decodeName, encodeName } from "./name-codec.js";
import { makeRichTree } from "./testing-walk.js";
import { readTree, type TreeEntryKind } from "./walk-sync.js";

const skipRoot = process.getuid?.() !== 0 && process.env.CRIFS_SKIP_ROOT === "1";
let base = "";
let rich = "";

before(() => {
  if (skipRoot) return;
  assert.equal(process.getuid?.(), 0, "these tests need root (set CRIFS_SKIP_ROOT=1 to skip them)");
  base = mkdtempSync("/var/tmp/crifs-walk-sync-");
  chmodSync(base, 0o755);
  rich = join(base, "rich");
  mkdirSync(rich);
  makeRichTree(rich);
  // a name that is not UTF-8, and a file below it
  const odd = Buffer.concat([encodeName(rich), Buffer.from([0x2f, 0x6f, 0xff])]);
  mkdirSync(odd);
  writeFileSync(Buffer.concat([odd, Buffer.from("/inside")]), "x");
});

after(() => {
  if (base !== "") spawnSync("rm", ["-rf", "--one-file-system", base]);
});

const kinds: Record<string, TreeEntryKind> = {
  f: "file",
  d: "dir",
  l: "symlink",
  c: "char-device",
  b: "block-device",
  p: "fifo",
  s: "socket",
};

/** find's view of every entry below `root`: path, kind, mode, size of files, link target, "dev:ino". */
function findEntries(root: string): Map<string, [TreeEntryKind, number, number, string | null, string]> {
  const out = execFileSync(
    "find",
    [root, "-mindepth", "1", "-xdev", "-printf", "%P\\0%y\\0%m\\0%s\\0%l\\0%D:%i\\0"],
    {
      maxBuffer: 1 << 26,
    },
  );
  const parts: Buffer[] = [];
  for (let at = 0; at < out.length; ) {
    const end = out.indexOf(0, at);
    parts.push(out.subarray(at, end));
    at = end + 1;
  }
  const m = new Map<string, [TreeEntryKind, number, number, string | null, string]>();
  for (let i = 0; i + 5 < parts.length; i += 6) {
    const [path, y, mode, size, target, inode] = parts.slice(i, i + 6).map((b) => decodeName(b));
    const kind = kinds[y ?? ""] ?? "file";
    m.set(`/${path}`, [
      kind,
      Number.parseInt(mode ?? "", 8),
      kind === "file" ? Number(size) : 0,
      kind === "symlink" ? (target ?? "") : null,
      inode ?? "",
    ]);
  }
  return m;
}

test("readTree lists every entry below a dir as find -xdev sees it, names as bytes, symlinks not followed", {
  skip: skipRoot,
}, () => {
  const r = new FactReader();
  const tree = readTree(r, rich, { hashWhen: () => false });
  assert.ok(tree);
  assert.deepEqual(r.errors, []);
  const got = new Map(
    [...tree].map(([p, e]) => [
      p,
      [e.kind === "whiteout" ? "char-device" : e.kind, e.mode, e.size, e.target, e.inode] as const,
    ]),
  );
  assert.deepEqual(got, findEntries(rich));
  assert.equal(tree.get("/whiteout")?.kind, "whiteout");
  assert.deepEqual(tree.get("/whiteout")?.device, { major: 0, minor: 0 });
  assert.equal(tree.get(`/o${decodeName(Buffer.from([0xff]))}/inside`)?.kind, "file");
  assert.equal(tree.get("/dir-link/small"), undefined);
});

test("readTree hashes only the files hashWhen names, and hard links to one digest", {
  skip: skipRoot,
}, () => {
  const asked: string[] = [];
  const tree = readTree(new FactReader(), rich, {
    hashWhen: (p) => {
      asked.push(p);
      return p === "/a/small" || p.endsWith("linked") || p === "/linked-third";
    },
  });
  const sha = (p: string) => execFileSync("sha256sum", [join(rich, p)], { encoding: "utf8" }).slice(0, 64);
  assert.equal(tree?.get("/a/small")?.sha256, sha("a/small"));
  assert.equal(tree?.get("/linked-third")?.sha256, sha("a/b/c/linked"));
  assert.equal(tree?.get("/a/b/c/linked")?.sha256, sha("a/b/c/linked"));
  assert.equal(tree?.get("/a/zero")?.sha256, null);
  assert.ok(asked.includes("/a/zero"));
});

test("readTree of a symlink does not follow it, and of a path that is not there is null", {
  skip: skipRoot,
}, () => {
  const r = new FactReader();
  assert.deepEqual(readTree(r, join(rich, "dir-link"), { hashWhen: () => false }), new Map());
  assert.equal(readTree(r, join(rich, "gone"), { hashWhen: () => false }), null);
  assert.deepEqual(r.errors, []);
});
