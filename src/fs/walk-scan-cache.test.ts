// fs/walk-scan-cache.test.ts — scanTrees with its on-disk cache (fs/walk-cache.ts): served scans equal
// walked ones, against GNU du, and a damaged or stale pack is a miss, never an error. Needs root like
// walk.test.ts (CRIFS_SKIP_ROOT=1 skips instead of failing).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { rootOnly } from "./testing-tree.js";
import { du, sum } from "./testing-walk.js";
import { type ScanResult, SETTLE_MS, scanTrees, type Tree } from "./walk.js";

rootOnly();
let base = "";

before(() => {
  base = mkdtempSync("/var/tmp/crifs-walk-cache-");
  chmodSync(base, 0o755);
});

after(() => {
  if (base !== "") spawnSync("rm", ["-rf", "--one-file-system", base]);
});

describe("the scan cache", () => {
  let dirs: string[] = [];
  let cacheDir = "";
  before(() => {
    dirs = ["c0", "c1", "c2", "c3"].map((n) => join(base, n));
    for (const d of dirs) {
      mkdirSync(join(d, "x/y"), { recursive: true });
      writeFileSync(join(d, "x/y/file"), Buffer.alloc(12345, 1));
      symlinkSync("x/y/file", join(d, "link"));
    }
    const [c0 = "", c1 = "", c2 = ""] = dirs;
    writeFileSync(join(c0, "shared"), Buffer.alloc(70000, 2));
    linkSync(join(c0, "shared"), join(c1, "shared")); // c1 is the mutable one: dedupe across cache and walk
    linkSync(join(c0, "shared"), join(c2, "shared"));
    cacheDir = join(base, "cache");
  });

  const trees = (): Tree[] => dirs.map((p, i) => ({ id: `snap-${i}`, path: p, immutable: i !== 1 }));

  const strip = (r: ScanResult) => ({ ...r, cachedTrees: [], engine: "any" });

  test("a second scan is identical and walks only the mutable trees", async () => {
    const first = await scanTrees(trees(), { settleMs: 0, cacheDir, collectSymlinks: true });
    assert.deepEqual(first.cachedTrees, []);
    const second = await scanTrees(trees(), { settleMs: 0, cacheDir, collectSymlinks: true });
    assert.deepEqual(second.cachedTrees, ["snap-0", "snap-2", "snap-3"]);
    assert.deepEqual(strip(second), strip(first));
    assert.equal(second.total.allocatedBytes, sum(du(["-s", "-B1", "-x"], dirs)));
  });

  test("a tree changed less than SETTLE_MS ago (its root's ctime, or the commit time it is given) is walked again, not cached", async () => {
    const fresh = join(base, "cache-settle");
    // by default: the trees were made a moment ago, so nothing is cached and the next scan walks them all
    await scanTrees(trees(), { cacheDir: fresh });
    assert.deepEqual((await scanTrees(trees(), { cacheDir: fresh })).cachedTrees, []);
    // an old root but a commit time within the settle time: not cached either
    const committedNow = trees().map((t) => ({ ...t, changedAtMs: Date.now() }));
    await scanTrees(committedNow, { cacheDir: fresh, settleMs: 1_000 });
    await new Promise((r) => setTimeout(r, 1_100));
    assert.deepEqual((await scanTrees(trees(), { cacheDir: fresh, settleMs: 1_000 })).cachedTrees, []);
    // once settled, cached
    const served = await scanTrees(trees(), { cacheDir: fresh, settleMs: 1_000 });
    assert.deepEqual(served.cachedTrees, ["snap-0", "snap-2", "snap-3"]);
    assert.ok(SETTLE_MS >= 40_000, "the settle time must outlast ext4's writeback (dirty_expire 30 s + 5 s)");
  });

  test("hard-link dedupe stays exact with cached trees in another order", async () => {
    const reversed = [...trees()].reverse();
    const r = await scanTrees(reversed, { settleMs: 0, cacheDir });
    assert.ok(r.cachedTrees.length > 0);
    const bytes = du(
      ["-s", "-B1", "-x"],
      reversed.map((t) => t.path),
    );
    reversed.forEach((t, i) => {
      assert.equal(r.perTree.get(t.id)?.allocatedBytes, bytes[i]?.[0], t.path);
    });
  });

  test("a change below an immutable tree's root is not seen (it was not walked) until its root is touched", async () => {
    const old = await scanTrees(trees(), { settleMs: 0, cacheDir });
    writeFileSync(join(dirs[0] ?? "", "x/y/new"), Buffer.alloc(50000, 1));
    writeFileSync(join(dirs[1] ?? "", "x/y/new"), Buffer.alloc(50000, 1));
    const stale = await scanTrees(trees(), { settleMs: 0, cacheDir });
    assert.deepEqual(stale.perTree.get("snap-0"), old.perTree.get("snap-0"));
    assert.notDeepEqual(stale.perTree.get("snap-1"), old.perTree.get("snap-1"));

    const now = new Date();
    utimesSync(dirs[0] ?? "", now, now);
    const r = await scanTrees(trees(), { settleMs: 0, cacheDir });
    assert.deepEqual(r.cachedTrees, ["snap-2", "snap-3"]);
    assert.equal(r.total.allocatedBytes, sum(du(["-s", "-B1", "-x"], dirs)));
    assert.equal(r.total.inodes, sum(du(["-s", "--inodes", "-x"], dirs)));
  });

  test("a corrupt cache file is ignored and rewritten, never fatal", async () => {
    const { scanPackPath } = await import("./walk-cache.js");
    const file = scanPackPath(cacheDir, dirs[2] ?? "");
    const baseline = await scanTrees(trees(), { settleMs: 0, cacheDir });
    writeFileSync(file, "CRIFSSC4 this is not a cache file");
    const r = await scanTrees(trees(), { settleMs: 0, cacheDir });
    assert.ok(!r.cachedTrees.includes("snap-2"));
    assert.deepEqual(strip(r), strip(baseline));
    const again = await scanTrees(trees(), { settleMs: 0, cacheDir });
    assert.ok(again.cachedTrees.includes("snap-2"));
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1; // one flipped bit in the inode list
    writeFileSync(file, bytes);
    const flipped = await scanTrees(trees(), { settleMs: 0, cacheDir });
    assert.ok(!flipped.cachedTrees.includes("snap-2"));
    assert.deepEqual(strip(flipped), strip(baseline));
  });

  test("one pack per home: a scan of some trees keeps the others' entries, and a removed tree's entry goes", async () => {
    const home = join(base, "pack-home", "snapshots");
    const layer = (n: number) => join(home, String(n), "fs");
    for (const n of [1, 2, 3]) {
      mkdirSync(join(layer(n), "d"), { recursive: true });
      writeFileSync(join(layer(n), "d/f"), Buffer.alloc(1000 * n, 1));
    }
    const tree = (n: number): Tree => ({ id: `layer-${n}`, path: layer(n), immutable: true });
    const packed = join(base, "cache-pack");
    await scanTrees([tree(1), tree(2), tree(3)], { settleMs: 0, cacheDir: packed });
    const { scanPackPath } = await import("./walk-cache.js");
    assert.equal(scanPackPath(packed, layer(1)), scanPackPath(packed, layer(3)));
    assert.deepEqual(readdirSync(dirname(scanPackPath(packed, layer(1)))).length, 1, "one file for the home");

    const now = new Date();
    utimesSync(layer(1), now, now);
    const one = await scanTrees([tree(1)], { settleMs: 0, cacheDir: packed });
    assert.deepEqual(one.cachedTrees, [], "layer 1 changed: walked and saved with the pack");
    const all = await scanTrees([tree(1), tree(2), tree(3)], { settleMs: 0, cacheDir: packed });
    assert.deepEqual(all.cachedTrees, ["layer-1", "layer-2", "layer-3"], "the others were kept");

    rmSync(join(home, "3"), { recursive: true });
    utimesSync(layer(1), new Date(), new Date());
    await scanTrees([tree(1), tree(2)], { settleMs: 0, cacheDir: packed });
    const raw = readFileSync(scanPackPath(packed, layer(1)), "latin1");
    assert.ok(raw.includes(layer(2)) && !raw.includes(layer(3)), "the removed layer's entry is dropped");

    utimesSync(layer(2), new Date(Date.now() + 5000), new Date(Date.now() + 5000)); // its old entry is stale
    utimesSync(layer(1), new Date(), new Date());
    await scanTrees([tree(1)], { settleMs: 0, cacheDir: packed });
    const after = readFileSync(scanPackPath(packed, layer(1)), "latin1");
    assert.ok(
      !after.includes(layer(2)),
      "an entry not asked for whose root changed is dropped, not kept stale",
    );
  });

  test("a pack whose CRC holds but whose index is wrong is a miss, never an error, and is rewritten", async () => {
    const { scanPackPath } = await import("./walk-cache.js");
    const { crc32 } = await import("node:zlib");
    const broken = join(base, "cache-broken");
    const baseline = await scanTrees(trees(), { settleMs: 0, cacheDir: broken });
    const file = scanPackPath(broken, dirs[0] ?? "");
    const good = readFileSync(file);
    const indexes = [
      "{}",
      "[1,2]",
      `[{"key":{"id":"snap-0","path":${JSON.stringify(dirs[0])},"nested":[]},"usage":{"allocatedBytes":1,"apparentBytes":1,"inodes":1},"hasSymlinks":false,"multi":[0,99999999],"links":[0,0]}]`,
      `[{"key":{"id":"snap-0","path":${JSON.stringify(dirs[0])},"nested":[]},"usage":{"allocatedBytes":1,"apparentBytes":1,"inodes":1},"hasSymlinks":true,"multi":[0,0],"links":[-5,2.5]}]`,
      "[".repeat(100000),
    ];
    for (const index of indexes) {
      const json = Buffer.from(index);
      const pack = Buffer.alloc(16 + Math.ceil(json.length / 8) * 8);
      pack.write("CRIFSSC4", 0, "latin1");
      pack.writeUInt32LE(json.length, 8);
      json.copy(pack, 16);
      pack.writeUInt32LE(crc32(pack.subarray(16)), 12);
      writeFileSync(file, pack);
      const r = await scanTrees(trees(), { settleMs: 0, cacheDir: broken });
      assert.deepEqual(r.cachedTrees, [], index.slice(0, 40));
      assert.deepEqual(strip(r), strip(baseline));
      assert.ok(readFileSync(file).length > 100, "rewritten whole");
    }
    assert.ok(good.length > 100);
  });

  test("a save removes the scan-v2 and scan-v3 dirs of older versions and temp files a killed run left", async () => {
    const { scanPackPath } = await import("./walk-cache.js");
    const tidyDir = join(base, "cache-tidy");
    const old = join(tidyDir, "scan-v2");
    mkdirSync(old, { recursive: true });
    mkdirSync(join(tidyDir, "scan-v3"), { recursive: true });
    writeFileSync(join(tidyDir, "scan-v3", `${"4567".repeat(10)}.pack`), "old");
    writeFileSync(join(old, `${"0123".repeat(10)}.bin`), "old");
    const packDir = dirname(scanPackPath(tidyDir, dirs[0] ?? ""));
    mkdirSync(packDir, { recursive: true });
    const leftover = join(packDir, `${"a".repeat(40)}.pack.tmp-1-abcdef01`);
    const fresh = join(packDir, `${"b".repeat(40)}.pack.tmp-2-abcdef01`); // another run may be writing it now
    writeFileSync(leftover, "torn");
    writeFileSync(fresh, "in progress");
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(leftover, hourAgo, hourAgo);
    await scanTrees(trees(), { settleMs: 0, cacheDir: tidyDir });
    assert.deepEqual(readdirSync(tidyDir).sort(), ["scan-v4"], "scan-v2 and scan-v3 are gone");
    assert.deepEqual(
      readdirSync(packDir).filter((n) => n.includes(".tmp-")),
      [`${"b".repeat(40)}.pack.tmp-2-abcdef01`],
    );
  });

  test("a scan cached without symlinks serves sizes only; asking for symlinks walks and caches them", async () => {
    const fresh = join(base, "cache-nolinks");
    const sizes = await scanTrees(trees(), { settleMs: 0, cacheDir: fresh });
    const again = await scanTrees(trees(), { settleMs: 0, cacheDir: fresh });
    assert.deepEqual(again.cachedTrees, ["snap-0", "snap-2", "snap-3"]);
    assert.deepEqual(again.total, sizes.total);
    const withLinks = await scanTrees(trees(), { settleMs: 0, cacheDir: fresh, collectSymlinks: true });
    assert.deepEqual(withLinks.cachedTrees, [], "no cached scan holds the links");
    assert.equal(withLinks.symlinks.length, 4);
    const served = await scanTrees(trees(), { settleMs: 0, cacheDir: fresh, collectSymlinks: true });
    assert.deepEqual(served.cachedTrees, ["snap-0", "snap-2", "snap-3"]);
    assert.deepEqual(served.symlinks, withLinks.symlinks);
  });

  test("a cache served scan answers a symlink-only scan", async () => {
    const full = await scanTrees(trees(), { settleMs: 0, cacheDir, collectSymlinks: true });
    const links = await scanTrees(trees(), { settleMs: 0, cacheDir, collectSymlinks: true, usage: false });
    assert.deepEqual(links.symlinks, full.symlinks);
    assert.deepEqual(links.cachedTrees, ["snap-0", "snap-2", "snap-3"]);
  });
});
