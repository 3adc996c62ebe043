// test/integration/du.suite.ts — crifs du against GNU du on the real bed: the grand total equals
// `du -s -B1 <root>` exactly, the categories add up to it, hard links count once, and a second run that
// reads committed layers from the cache gives the same answer.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync, statSync } from "node:fs";
import { describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { bedFlags, crifs, json } from "./cli.js";

interface Du {
  total: { allocatedBytes: number; apparentBytes: number; inodes: number };
  categories: { category: string; allocatedBytes: number; apparentBytes: number; inodes: number }[];
  images: {
    namespace: string;
    names: string[];
    uniqueBytes: number;
    sharedBytes: number;
    allocatedBytes: number;
  }[];
  containers: { namespace: string; id: string; allocatedBytes: number }[];
  cachedTrees: number;
}

/**
 * Stops containerd and settles the root's allocation: ext4 allocates a freshly written file's extent-tree
 * blocks only at writeback (up to 30 s later), so a bbolt file containerd wrote just before stopping (sparse,
 * pages scattered) grows by 4096 per new extent block while nothing writes to it: a hard link seemed to add
 * 8192 bytes on a fresh bed. `sync -f` writes everything back first.
 */
async function quiesce(bed: Bed): Promise<void> {
  await bed.stopContainerd();
  execFileSync("sync", ["-f", bed.root]);
}

function gnuDu(args: string[], path: string): number {
  return Number(execFileSync("du", [...args, path], { encoding: "utf8" }).split("\t")[0]);
}

export function duSuite(getBed: () => Bed) {
  describe("crifs du and imagefsinfo", () => {
    test("du's grand total equals du -s -B1 of the root, and its categories sum to the total", async () => {
      const bed = getBed();
      await quiesce(bed); // a quiescent root, so both tools see the same tree
      const r = json<Du>(crifs([...bedFlags(bed), "du", "-o", "json"]));
      assert.equal(r.total.allocatedBytes, gnuDu(["-s", "-B1"], bed.root));
      assert.equal(r.total.inodes, gnuDu(["-s", "--inodes"], bed.root));
      const sum = (k: "allocatedBytes" | "apparentBytes" | "inodes") =>
        r.categories.reduce((a, c) => a + c[k], 0);
      assert.equal(sum("allocatedBytes"), r.total.allocatedBytes);
      assert.equal(sum("apparentBytes"), r.total.apparentBytes);
      assert.equal(sum("inodes"), r.total.inodes);
      const cat = new Map(r.categories.map((c) => [c.category, c]));
      for (const c of ["image-layers-shared", "container-layers", "views", "content-blobs", "metadata"]) {
        assert.ok((cat.get(c)?.allocatedBytes ?? 0) > 0, `${c} is empty`);
      }
      // the running container's writable layer is attributed to it
      const running = r.containers.find((c) => c.id === bed.facts.containers.running);
      assert.ok(running && running.allocatedBytes > 0);
    });

    test("du counts a hard-linked file once, across layers too", async () => {
      const bed = getBed();
      await quiesce(bed);
      const before = json<Du>(crifs([...bedFlags(bed), "du", "--no-cache", "-o", "json"]));
      assert.equal(before.total.allocatedBytes, gnuDu(["-s", "-B1"], bed.root));
      const layer = `${bed.snapshotsDir}/${bed.facts.snapshotDirs.defaultLayers.at(-1)}/fs`;
      const upper = `${bed.snapshotsDir}/${bed.facts.snapshotDirs.created}/fs`;
      const upperBytes = () => statSync(upper).blocks * 512;
      const upperBefore = upperBytes();
      execFileSync("ln", [`${layer}/bin/busybox`, `${upper}/busybox-hardlink`]);
      try {
        const after = json<Du>(crifs([...bedFlags(bed), "du", "--no-cache", "-o", "json"]));
        assert.equal(after.total.allocatedBytes, gnuDu(["-s", "-B1"], bed.root));
        // the new name may grow the directory that holds it (ext4 turns a full one-block directory into an
        // htree of three blocks): that growth, and nothing for the file, is what du must add
        const dirGrowth = upperBytes() - upperBefore;
        assert.equal(
          after.total.allocatedBytes - before.total.allocatedBytes,
          dirGrowth,
          `a hard link must not add bytes (${upper} grew by ${dirGrowth} bytes)`,
        );
        assert.equal(after.total.inodes, before.total.inodes);
      } finally {
        rmSync(`${upper}/busybox-hardlink`);
      }
    });

    test("a second du reads committed layers from its cache and gives the same answer", async () => {
      const bed = getBed();
      await quiesce(bed);
      const a = json<Du>(crifs([...bedFlags(bed), "du", "-o", "json"]));
      const b = json<Du>(crifs([...bedFlags(bed), "du", "-o", "json"]));
      assert.ok(b.cachedTrees > 0, "nothing came from the cache");
      assert.deepEqual(b.total, a.total);
      assert.deepEqual(b.categories, a.categories);
    });

    test("imagefsinfo reports the snapshotter's mountpoint and the k8s.io usage", () => {
      const bed = getBed();
      const r = json<{
        imageFilesystems: {
          fsId: { mountpoint: string };
          usedBytes: { value: number };
          inodesUsed: { value: number };
        }[];
      }>(crifs([...bedFlags(bed), "imagefsinfo", "-o", "json"]));
      const fs = r.imageFilesystems[0];
      assert.equal(fs?.fsId.mountpoint, `${bed.root}/io.containerd.snapshotter.v1.overlayfs`);
      assert.ok((fs?.usedBytes.value ?? 0) > 0 && (fs?.inodesUsed.value ?? 0) > 0);
    });
  });
}
