// load.test.ts — loadContainerd on the bundled sample, a real containerd root (sample/containerd-root.tar.gz,
// made by scripts/make-sample.sh from the test bed; sample/README.md lists its objects). The sample is
// unpacked by testing-sample.ts without root-only operations (its whiteout device nodes are left out, which
// no decoder reads), so this runs as any user. The expected records are what `ctr` listed when a containerd
// was started on the same root (namespaces, images, snapshots ls, snapshots mounts for the dir ids,
// containers, leases, content ls); the integration suites compare with a live ctr on every run.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Store } from "../../model/store.js";
import { loadContainerd } from "./load.js";
import { type UnpackedSample, unpackSample } from "./testing-sample.js";

const L1 = "sha256:4fdac972b405dc2bbe0004bb58ec9b5383c174ec351db72287350edc98421ff2";
const L2 = "sha256:b9f9db45acd8c89a79f796c33f800a03d1547e296f6f02181d091127a8de84a3";
const L3 = "sha256:377a1f84c6af17ea861d6d99d11f70146b85b4bab8106ceefca86ff49af3c932";
const LATEST = "sha256:39565308caa24aae6b929d48bd77804ca46b7a8a5c44697d154bdf06ec7f7f05";
const BASE = "sha256:13a93c9663032c49224d94e2913024712de335aae89fbd7e8e6fabab7eaf90e2";
const INDEX = "sha256:05101a0c56aaa2a1d548fa57c4ba95fd7497ead2599fd0f6c6273dc897665f1f";
const LATEST_CONFIG = "sha256:54d6239efce79cb902deeaf02979f4606152e6bb55e24d9f6eae826ca4143117";
const BASE_CONFIG = "sha256:a479297e4183b7466fa113f2c59ac469b3d0afcd772951d4cd4e5caa6f8bd327";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";

/** Each object as the row of its `keys`' values, as `ctr … ls` lists them. */
function rowsOf<T, K extends keyof T>(objects: readonly T[], ...keys: K[]): T[K][][] {
  return objects.map((o) => keys.map((k) => o[k]));
}

describe("loadContainerd on the bundled sample root", () => {
  let sample: UnpackedSample;
  let store: Store;
  before(() => {
    sample = unpackSample();
    if (sample.skippedDevices.length > 0) {
      console.log(`sample: left out ${sample.skippedDevices.length} device nodes (mknod is root-only)`);
    }
    store = loadContainerd({ root: sample.root, state: sample.state, config: sample.config });
  });
  after(() => sample?.remove());

  test("the store loads without an anomaly, with the config's overlayfs snapshotter", () => {
    assert.deepEqual(store.anomalies, []);
    assert.equal(store.location.root, sample.root);
    assert.equal(store.settings.snapshotter, "overlayfs");
    assert.equal(store.settings.metadataSchema, "v1 (db version 3)");
  });

  test("namespaces: default (labelled crifs.sample=yes) and k8s.io", () => {
    assert.deepEqual(store.namespaces, [
      { name: "default", labels: { "crifs.sample": "yes" } },
      { name: "k8s.io", labels: {} },
    ]);
  });

  test("images with their targets, configs and layer chains, as ctr images ls lists them", () => {
    const rows = rowsOf(store.images, "namespace", "name", "digest", "mediaType", "size", "configDigest");
    assert.deepEqual(rows, [
      ["default", "docker.io/library/sample:base", BASE, MANIFEST, 346, BASE_CONFIG],
      [
        "default",
        "docker.io/library/sample:index",
        INDEX,
        "application/vnd.oci.image.index.v1+json",
        460,
        LATEST_CONFIG,
      ],
      ["default", "docker.io/library/sample:latest", LATEST, MANIFEST, 654, LATEST_CONFIG],
      ["k8s.io", "docker.io/library/sample:base", BASE, MANIFEST, 346, BASE_CONFIG],
      ["k8s.io", "docker.io/library/sample:latest", LATEST, MANIFEST, 654, LATEST_CONFIG],
      ["k8s.io", LATEST_CONFIG, LATEST, MANIFEST, 654, LATEST_CONFIG],
      ["k8s.io", BASE_CONFIG, BASE, MANIFEST, 346, BASE_CONFIG],
    ]);
    for (const i of store.images) {
      assert.deepEqual(i.snapshotKeys, i.configDigest === BASE_CONFIG ? [L1] : [L1, L2, L3], i.name);
      const managed = i.namespace === "k8s.io" ? { "io.cri-containerd.image": "managed" } : {};
      assert.deepEqual(i.labels, managed, i.name);
    }
  });

  test("snapshots with parents, kinds and dir ids, as ctr snapshots ls and mounts show them", () => {
    const home = join(sample.root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
    const rows = rowsOf(store.snapshots, "namespace", "key", "parent", "kind", "id");
    assert.deepEqual(rows, [
      ["default", "sample-active", L3, "active", "11"],
      ["default", "sample-c1", L3, "active", "7"],
      ["default", "sample-c2", L1, "active", "8"],
      ["default", "sample-view", L3, "view", "10"],
      ["default", L3, L2, "committed", "3"],
      ["default", L1, null, "committed", "1"],
      ["default", L2, L1, "committed", "2"],
      ["k8s.io", "sample-k1", L3, "active", "9"],
      ["k8s.io", L3, L2, "committed", "6"],
      ["k8s.io", L1, null, "committed", "4"],
      ["k8s.io", L2, L1, "committed", "5"],
    ]);
    for (const s of store.snapshots) {
      assert.equal(s.path, join(home, s.id, "fs"));
      assert.equal(s.workPath, s.kind === "view" ? null : join(home, s.id, "work"));
      assert.ok(statSync(s.path).isDirectory(), `${s.key}'s dir exists`);
    }
    const view = store.snapshots.find((s) => s.key === "sample-view");
    assert.equal(view?.labels["containerd.io/gc.root"], "2026-01-01T00:00:00Z");
  });

  test("containers with image, snapshot and runtime; no task, since the state dir is empty", () => {
    const rows = rowsOf(
      store.containers,
      "namespace",
      "id",
      "image",
      "snapshotter",
      "snapshotKey",
      "runtime",
    );
    assert.deepEqual(rows, [
      [
        "default",
        "sample-c1",
        "docker.io/library/sample:latest",
        "overlayfs",
        "sample-c1",
        "io.containerd.runc.v2",
      ],
      [
        "default",
        "sample-c2",
        "docker.io/library/sample:base",
        "overlayfs",
        "sample-c2",
        "io.containerd.runc.v2",
      ],
      [
        "k8s.io",
        "sample-k1",
        "docker.io/library/sample:latest",
        "overlayfs",
        "sample-k1",
        "io.containerd.runc.v2",
      ],
    ]);
    for (const c of store.containers) {
      assert.equal(c.task, null);
      assert.equal(c.pod, null);
      assert.equal(c.labels["io.containerd.image.config.stop-signal"], "SIGTERM");
    }
  });

  test("the lease has no resources; no ingest is open", () => {
    assert.deepEqual(
      store.leases.map((l) => [l.namespace, l.id, l.labels, l.resources]),
      [["default", "sample-lease", {}, { content: [], ingests: [], snapshots: [] }]],
    );
    assert.deepEqual(store.ingests, []);
  });

  test("content records: 8 blobs per namespace but the index only in default, each the sha256 of its file", () => {
    const count = (ns: string) => store.blobs.filter((b) => b.namespace === ns).length;
    assert.equal(count("default"), 8);
    assert.equal(count("k8s.io"), 7);
    for (const b of store.blobs) {
      const bytes = readFileSync(b.path);
      assert.equal(bytes.length, b.size, b.digest);
      assert.equal(`sha256:${createHash("sha256").update(bytes).digest("hex")}`, b.digest);
    }
    const latest = store.blobs.find((b) => b.namespace === "default" && b.digest === LATEST);
    assert.equal(latest?.labels["containerd.io/gc.ref.content.config"], LATEST_CONFIG);
    const config = store.blobs.find((b) => b.namespace === "k8s.io" && b.digest === LATEST_CONFIG);
    assert.deepEqual(config?.labels, { "containerd.io/gc.ref.snapshot.overlayfs": L3 });
  });
});
