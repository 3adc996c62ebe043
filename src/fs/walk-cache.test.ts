// The scan cache is private (issue 13, item 7): a cache dir that is a symlink, someone else's, or writable by
// others is not used (one stderr note, the scan still answers), parents are not followed through symlinks in
// world-writable dirs, and the tidy-up deletes only crifs's own temp names.

import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { checkCacheDir } from "./scan-cache-dir.js";
import { type ScanResult, scanTrees, type Tree } from "./walk.js";
import { scanPackPath } from "./walk-cache.js";

const isRoot = process.geteuid?.() === 0;

describe("the scan cache dir is private", () => {
  let base = "";
  let tree = "";
  let baseline: ScanResult | undefined;
  const trees = (): Tree[] => [{ id: "layer", path: tree, immutable: true }];
  const strip = (r: ScanResult) => ({ ...r, cachedTrees: [], engine: "any" });

  /** scanTrees with `cacheDir`, twice, and what it wrote to stderr meanwhile. */
  async function scanTwice(cacheDir: string): Promise<{ runs: ScanResult[]; notes: string[] }> {
    const notes: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      notes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const runs = [
        await scanTrees(trees(), { settleMs: 0, cacheDir }),
        await scanTrees(trees(), { settleMs: 0, cacheDir }),
      ];
      return { runs, notes };
    } finally {
      process.stderr.write = write;
    }
  }

  /** The scan answered as without a cache, uncached, with exactly one note naming `dir` and `why`. */
  function assertRefused(r: { runs: ScanResult[]; notes: string[] }, dir: string, why: RegExp): void {
    for (const run of r.runs) {
      assert.deepEqual(strip(run), strip(baseline as ScanResult));
      assert.deepEqual(run.cachedTrees, [], "nothing served from a refused cache");
    }
    assert.equal(r.notes.length, 1, r.notes.join(""));
    const note = r.notes[0] ?? "";
    assert.ok(note.startsWith(`crifs: ${dir}: not using the scan cache: `), note);
    assert.match(note, why);
    assert.equal(note.split("\n").length, 2, "one line");
  }

  before(async () => {
    base = mkdtempSync(join(tmpdir(), "crifs-cache-private-"));
    tree = join(base, "layer");
    mkdirSync(join(tree, "etc"), { recursive: true });
    writeFileSync(join(tree, "etc/a"), Buffer.alloc(5000, 1));
    baseline = await scanTrees(trees(), { cacheDir: null });
  });
  after(() => {
    if (base !== "") rmSync(base, { recursive: true, force: true });
  });

  test("missing dirs are made 0700 and a second scan is served from the cache", async () => {
    const dir = join(base, "fresh", "a", "crifs");
    const r = await scanTwice(dir);
    assert.deepEqual(r.notes, []);
    assert.deepEqual(r.runs[1]?.cachedTrees, ["layer"]);
    for (const d of [join(base, "fresh"), join(base, "fresh", "a"), dir, join(dir, "scan-v4")])
      assert.equal(statSync(d).mode & 0o777, 0o700, d);
    assert.equal(statSync(scanPackPath(dir, tree)).mode & 0o777, 0o600);
  });

  test("a cache dir that is a symlink is not used, and its target is not touched", async () => {
    const outside = join(base, "outside-link");
    mkdirSync(outside, { mode: 0o700 });
    const dir = join(base, "link-crifs");
    symlinkSync(outside, dir);
    assertRefused(await scanTwice(dir), dir, /is a symlink/);
    assert.deepEqual(readdirSync(outside), []);
  });

  test("a scan-v4 inside it that is a symlink is not used either", async () => {
    const outside = join(base, "outside-v3");
    mkdirSync(outside, { mode: 0o700 });
    const dir = join(base, "v3-link");
    mkdirSync(dir, { mode: 0o700 });
    symlinkSync(outside, join(dir, "scan-v4"));
    assertRefused(await scanTwice(dir), dir, /scan-v4 is a symlink/);
    assert.deepEqual(readdirSync(outside), []);
  });

  test("a cache dir owned by another uid is not used", {
    skip: !isRoot && "needs root to chown",
  }, async () => {
    const dir = join(base, "other-uid");
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    assertRefused(await scanTwice(dir), dir, /owned by uid 65534, not by this user/);
    assert.deepEqual(readdirSync(dir), []);
  });

  test("a cache dir that others can write to (0777) is not used", async () => {
    const dir = join(base, "world");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    assertRefused(await scanTwice(dir), dir, /can be written by others \(mode 0777\)/);
    assert.deepEqual(readdirSync(dir), []);
  });

  test("a symlink planted in a world-writable parent is not followed by the mkdir -p", async () => {
    const shared = join(base, "tmp"); // like /var/tmp: 1777
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const victim = join(base, "victim");
    mkdirSync(victim, { mode: 0o700 });
    symlinkSync(victim, join(shared, "cache"));
    const dir = join(shared, "cache", "crifs");
    assertRefused(
      await scanTwice(dir),
      dir,
      /is a symlink in .*tmp, which others can write to \(mode 1777\)/,
    );
    assert.deepEqual(readdirSync(victim), [], "nothing made through the planted symlink");
  });

  test("a parent owned by another uid in a sticky dir is refused", {
    skip: !isRoot && "needs root",
  }, async () => {
    const shared = join(base, "tmp2");
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    mkdirSync(join(shared, "theirs"), { mode: 0o755 });
    chownSync(join(shared, "theirs"), 65534, 65534);
    const dir = join(shared, "theirs", "crifs");
    assertRefused(await scanTwice(dir), dir, /theirs is owned by uid 65534, neither root nor this user/);
    assert.deepEqual(readdirSync(join(shared, "theirs")), []);
  });

  test("a symlink in a dir only its owner writes to is followed (as /var/run → /run)", () => {
    const real = join(base, "real-parent");
    mkdirSync(real, { mode: 0o755 });
    symlinkSync(real, join(base, "alias"));
    assert.equal(checkCacheDir(join(base, "alias", "crifs")), null);
    assert.ok(lstatSync(join(real, "crifs", "scan-v4")).isDirectory());
  });

  test("the tidy-up deletes only crifs's own temp names, never a near miss or what is outside", async () => {
    const dir = join(base, "tidy");
    await scanTwice(dir); // made and filled
    const packDir = dirname(scanPackPath(dir, tree));
    const outside = join(base, "outside-tidy");
    mkdirSync(outside);
    writeFileSync(join(outside, "keep"), "x");
    const own = `${"a".repeat(40)}.pack.tmp-1-abcdef01`;
    const nearMisses = [
      `${"a".repeat(40)}.pack.tmp-1-abcd`, // short random part
      `${"a".repeat(39)}.pack.tmp-1-abcdef01`, // short name
      `${"A".repeat(40)}.pack.tmp-1-abcdef01`, // upper case
      `${"a".repeat(40)}.pack.tmp-1-abcdef01.bak`,
      `notes.pack.tmp-1-abcdef01`,
      "x.tmp-1",
    ];
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const n of [own, ...nearMisses]) {
      writeFileSync(join(packDir, n), "planted");
      utimesSync(join(packDir, n), hourAgo, hourAgo);
    }
    const linkName = `${"c".repeat(40)}.pack.tmp-2-abcdef01`; // the exact pattern, but a symlink
    symlinkSync(join(outside, "keep"), join(packDir, linkName));
    // scan-v2: its own names go, anything else keeps the dir
    const v2 = join(dir, "scan-v2");
    mkdirSync(v2);
    writeFileSync(join(v2, `${"d".repeat(40)}.bin`), "old");
    writeFileSync(join(v2, "mine.txt"), "not crifs's");
    writeFileSync(join(tree, "b"), "a change of the root dir: the next scan walks and writes its pack");
    const r = await scanTwice(dir);
    assert.deepEqual(r.notes, []);
    assert.deepEqual(r.runs[1]?.cachedTrees, ["layer"]);
    const left = readdirSync(packDir);
    assert.ok(!left.includes(own), "a temp file a killed run left is removed");
    for (const n of [...nearMisses, linkName]) assert.ok(left.includes(n), `${n} was deleted`);
    assert.deepEqual(readdirSync(v2), ["mine.txt"]);
    assert.deepEqual(readdirSync(outside), ["keep"]);
    rmSync(join(tree, "b"));
  });
});
