// du.test.ts — computeDu on the bundled sample, a real containerd root (sample/containerd-root.tar.gz, made by
// scripts/make-sample.sh from the test bed), unpacked without root-only operations by
// runtimes/containerd/testing-sample.ts (its 4 whiteout device nodes are left out), so this runs as any user.
// GNU du on the same tree is the reference: the grand total is `du -s -B1` of the root, and each category is
// `du -s -B1 -c` of the dirs it stands for. The integration suite checks the same on the live bed.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Store } from "../model/store.js";
import { loadContainerd } from "../runtimes/containerd/load.js";
import { type UnpackedSample, unpackSample } from "../runtimes/containerd/testing-sample.js";
import { type Category, computeDu, type DuReport } from "./du.js";

/** GNU du's allocated bytes (and inodes) for paths, hard links once across them all. */
function gnuDu(paths: readonly string[], inodes = false): number {
  const out = execFileSync("du", ["-s", "-x", "-c", inodes ? "--inodes" : "-B1", ...paths], {
    encoding: "utf8",
  });
  const total = out.trim().split("\n").pop() ?? "";
  return Number(total.split("\t")[0]);
}

describe("du on the bundled sample root", () => {
  let sample: UnpackedSample;
  let store: Store;
  const engines = ["native", "js"] as const;
  const reports = new Map<string, DuReport>();
  before(async () => {
    sample = unpackSample();
    store = loadContainerd({ root: sample.root, state: sample.state, config: sample.config });
    const saved = process.env.CRIFS_ENGINE;
    try {
      for (const e of engines) {
        process.env.CRIFS_ENGINE = e;
        try {
          reports.set(e, await computeDu(store, { cacheDir: null }));
        } catch (err) {
          // the native scanner is optional (not built without a compiler): say so, test the JS one
          if (e !== "native") throw err;
          console.log(`du: native scanner not available: ${(err as Error).message}`);
        }
      }
    } finally {
      if (saved === undefined) delete process.env.CRIFS_ENGINE;
      else process.env.CRIFS_ENGINE = saved;
    }
  });
  after(() => sample?.remove());

  test("the grand total equals du -s -B1 and du -s --inodes of the root, with either scanner", () => {
    assert.ok(reports.size > 0);
    for (const [engine, r] of reports) {
      assert.equal(r.engine, engine);
      assert.deepEqual(r.errors, []);
      assert.equal(r.total.allocatedBytes, gnuDu([sample.root]), `${engine}: bytes`);
      assert.equal(r.total.inodes, gnuDu([sample.root], true), `${engine}: inodes`);
    }
  });

  test("the categories sum to the total, in bytes, apparent bytes and inodes", () => {
    for (const [engine, r] of reports) {
      const sum = (k: "allocatedBytes" | "apparentBytes" | "inodes") =>
        r.categories.reduce((n, c) => n + c[k], 0);
      assert.equal(sum("allocatedBytes"), r.total.allocatedBytes, engine);
      assert.equal(sum("apparentBytes"), r.total.apparentBytes, engine);
      assert.equal(sum("inodes"), r.total.inodes, engine);
    }
  });

  test("the namespace split adds up to each category; a snapshot's bytes are its namespace's, the rest \"\"'s", () => {
    const snaps = join(sample.root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
    const dirBytes = (...n: number[]) => gnuDu(n.map((i) => join(snaps, String(i))));
    for (const [engine, r] of reports) {
      for (const c of r.categories) {
        const rows = r.namespaces.filter((x) => x.category === c.category);
        for (const k of ["allocatedBytes", "apparentBytes", "inodes"] as const)
          assert.equal(
            rows.reduce((n, x) => n + x[k], 0),
            c[k],
            `${engine}: ${c.category} ${k}`,
          );
      }
      const of = (ns: string, c: Category) =>
        r.namespaces.find((x) => x.namespace === ns && x.category === c)?.allocatedBytes ?? 0;
      // dir ids as the next test pins them: default 1 (shared), 2, 3; k8s.io 4 (shared), 5, 6; containers
      // sample-c1, sample-c2 (default) = 7, 8 and sample-k1 (k8s.io) = 9
      assert.equal(of("default", "image-layers-shared"), dirBytes(1), engine);
      assert.equal(of("k8s.io", "image-layers-shared"), dirBytes(4), engine);
      assert.equal(of("default", "image-layers-unique"), dirBytes(2, 3), engine);
      assert.equal(of("k8s.io", "image-layers-unique"), dirBytes(5, 6), engine);
      assert.equal(of("default", "container-layers"), dirBytes(7, 8), engine);
      assert.equal(of("k8s.io", "container-layers"), dirBytes(9), engine);
      for (const c of ["content-blobs", "metadata", "leaked", "other"] as const)
        assert.equal(
          of("", c),
          r.categories.find((x) => x.category === c)?.allocatedBytes,
          `${engine}: ${c}`,
        );
      assert.ok(
        r.namespaces.every((x) => x.allocatedBytes !== 0 || x.inodes !== 0),
        "non-zero rows only",
      );
    }
  });

  test("each category is what du measures of the dirs it stands for", () => {
    const snaps = join(sample.root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
    const ids = (...n: number[]) => n.map((i) => join(snaps, String(i)));
    const content = join(sample.root, "io.containerd.content.v1.content");
    // dir ids as the load test pins them: L1 = 1 (default), 4 (k8s.io), used by both images of its
    // namespace (base and latest have distinct configs): shared; L2, L3 = 2, 3, 5, 6: latest only;
    // containers sample-c1, sample-c2, sample-k1 = 7, 8, 9; view 10; sample-active (no container) 11
    const expected: [Category, string[]][] = [
      ["image-layers-shared", ids(1, 4)],
      ["image-layers-unique", ids(2, 3, 5, 6)],
      ["container-layers", ids(7, 8, 9)],
      ["views", ids(10)],
      ["active-snapshots", ids(11)],
      ["content-blobs", [join(content, "blobs")]],
      ["ingest", [join(content, "ingest")]],
      ["tmpmounts", [join(sample.root, "tmpmounts")]],
      [
        "metadata",
        [
          join(sample.root, "io.containerd.metadata.v1.bolt"),
          join(sample.root, "io.containerd.snapshotter.v1.overlayfs", "metadata.db"),
        ],
      ],
    ];
    for (const [engine, r] of reports) {
      const got = new Map(r.categories.map((c) => [c.category, c.allocatedBytes]));
      for (const [category, paths] of expected) {
        assert.equal(got.get(category), gnuDu(paths), `${engine}: ${category}`);
      }
      // the leftovers make-sample.sh plants: a leaked dir 99 and an interrupted prepare new-2937465021
      const leaked = gnuDu([join(snaps, "99"), join(snaps, "new-2937465021")]);
      assert.ok(leaked > 0);
      assert.equal(got.get("leaked"), leaked, `${engine}: the leaked snapshot dirs`);
      assert.equal(got.get("layers-unreferenced"), 0, `${engine}: every committed layer is an image's`);
    }
  });

  test("per image and per container: layers counted, unique and shared bytes split, containers' upper dirs", () => {
    const r = reports.values().next().value as DuReport;
    const snaps = join(sample.root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
    const dirBytes = (...n: number[]) => gnuDu(n.map((i) => join(snaps, String(i))));
    const images = r.images.map((i) => [
      i.namespace,
      i.names.join(","),
      i.layers,
      i.uniqueBytes,
      i.sharedBytes,
    ]);
    assert.deepEqual(images, [
      ["default", "docker.io/library/sample:base", 1, 0, dirBytes(1)],
      [
        "default",
        "docker.io/library/sample:index,docker.io/library/sample:latest",
        3,
        dirBytes(2, 3),
        dirBytes(1),
      ],
      [
        "k8s.io",
        "docker.io/library/sample:base,sha256:8f6d44bc32339129a3a8369f51bf9fd934f861876831418c6410d5dff828ed81",
        1,
        0,
        dirBytes(4),
      ],
      [
        "k8s.io",
        "docker.io/library/sample:latest,sha256:525b253f672792c59558560ac96c3bce0a6f1d78fdf65685b588ff54aafcaa17",
        3,
        dirBytes(5, 6),
        dirBytes(4),
      ],
    ]);
    assert.deepEqual(
      r.containers.map((c) => [c.namespace, c.id, c.allocatedBytes]),
      [
        ["default", "sample-c1", dirBytes(7)],
        ["default", "sample-c2", dirBytes(8)],
        ["k8s.io", "sample-k1", dirBytes(9)],
      ],
    );
  });

  test("per layer: every snapshot dir and leaked entry once, with du's bytes of it; a category's entries add up to the category", () => {
    const snaps = join(sample.root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
    for (const [engine, r] of reports) {
      const byPath = new Map(r.layers.map((l) => [l.path, l]));
      assert.equal(byPath.size, r.layers.length, `${engine}: each dir once`);
      for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99]) {
        const l = byPath.get(join(snaps, String(n)));
        assert.ok(l !== undefined, `${engine}: an entry for dir ${n}`);
        assert.equal(l.allocatedBytes, gnuDu([l.path]), `${engine}: dir ${n}`);
      }
      assert.deepEqual(
        [byPath.get(join(snaps, "99"))?.kind, byPath.get(join(snaps, "new-2937465021"))?.category],
        ["leaked", "leaked"],
      );
      // L1 of default is shared by base and latest: both named; L2 is latest's alone
      assert.deepEqual(byPath.get(join(snaps, "1"))?.images, [
        "docker.io/library/sample:base",
        "docker.io/library/sample:index",
      ]);
      assert.deepEqual(byPath.get(join(snaps, "2"))?.images, ["docker.io/library/sample:index"]);
      for (const c of r.categories) {
        const mine = r.layers.filter((l) => l.category === c.category);
        if (mine.length === 0) continue;
        assert.equal(
          mine.reduce((n, l) => n + l.allocatedBytes, 0),
          c.allocatedBytes,
          `${engine}: ${c.category}`,
        );
      }
    }
  });
});
