// fs/walk-merge.test.ts — mergeTreeScans: the per-tree and total usage of several trees' scans, hard links
// counted once, the same from the native addon as from JS.

import assert from "node:assert/strict";
import { test } from "node:test";
import { engines } from "./testing-walk.js";
import { mergeTreeScans } from "./walk.js";
import { loadNativeScanner } from "./walk-native.js";
import type { TreeScan } from "./walk-tree-scan.js";

test("mergeTreeScans counts each multi-link inode once, for the first tree, the same in C and in JS", () => {
  const scan = (...inodes: [number, number, number][]): TreeScan => ({
    usage: { allocatedBytes: 10, apparentBytes: 1, inodes: 1 },
    multi: Float64Array.from(inodes.flatMap(([dev, ino, bytes]) => [dev, ino, bytes, bytes / 2])),
    symlinks: null,
    errors: [],
  });
  const big = 2 ** 40 + 5;
  const scans = [
    scan([1, 7, 4096], [1, big, 8192]),
    null,
    scan([1, 7, 4096], [2, 7, 512], [1, big + 2 ** 32, 1024]),
    scan([2, 7, 512], [1, 7, 4096], [3, 9, 100]),
  ];
  const expected = {
    perTree: [
      { allocatedBytes: 10 + 4096 + 8192, apparentBytes: 1 + 2048 + 4096, inodes: 3 },
      { allocatedBytes: 0, apparentBytes: 0, inodes: 0 },
      { allocatedBytes: 10 + 512 + 1024, apparentBytes: 1 + 256 + 512, inodes: 3 },
      { allocatedBytes: 10 + 100, apparentBytes: 1 + 50, inodes: 2 },
    ],
    total: {
      allocatedBytes: 30 + 4096 + 8192 + 512 + 1024 + 100,
      apparentBytes: 3 + 2048 + 4096 + 256 + 512 + 50,
      inodes: 8,
    },
  };
  assert.deepEqual(mergeTreeScans(scans), expected);
  const { scanner } = loadNativeScanner();
  if (engines.includes("native")) {
    assert.ok(scanner?.merge, "the addon has merge");
    assert.deepEqual(mergeTreeScans(scans, scanner), expected);
  }
});
