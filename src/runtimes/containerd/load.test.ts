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

const L1 = "sha256:6f8f270c82a0d1c295a90f05405db38cde5dbaf075f16a3836a8c39adb08c044";
const L2 = "sha256:690696cc2d21bb22ae2ab2647464916dc0e76d00a2ccf38f75850a3fb774ef15";
const L3 = "sha256:c41ab2c679c33161177ef3fa9759660a05c7cca3b810fba99f15526ebee77fd0";
const LATEST = "sha256:97537526353a5d208b7fe65f3312068fa8a699de952a1739cd3e15b21c33950f";
const BASE = "sha256:5697433f21d0b47a0f59f466dec786220cf5eb4c22727dcf458708b34dffffff";
const INDEX = "sha256:fd210998b3f219ec39d1473d6dd82977900b0baf9c38d201a495f499ba96a08a";
const LATEST_CONFIG = "sha256:525b253f672792c59558560ac96c3bce0a6f1d78fdf65685b588ff54aafcaa17";
const BASE_CONFIG = "sha256:8f6d44bc32339129a3a8369f51bf9fd934f861876831418c6410d5dff828ed81";
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
      ["default", L2, L1, "committed", "2"],
      ["default", L1, null, "committed", "1"],
      ["default", L3, L2, "committed", "3"],
      ["k8s.io", "sample-k1", L3, "active", "9"],
      ["k8s.io", L2, L1, "committed", "5"],
      ["k8s.io", L1, null, "committed", "4"],
      ["k8s.io", L3, L2, "committed", "6"],
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

  test("the lease has no resources; one ingest is open: the pull the sample's maker cut short", () => {
    assert.deepEqual(
      store.leases.map((l) => [l.namespace, l.id, l.labels, l.resources]),
      [["default", "sample-lease", {}, { content: [], ingests: [], snapshots: [] }]],
    );
    assert.deepEqual(
      store.ingests.map((i) => [i.namespace, i.ref, i.runtimeKey]),
      [["default", "sample-partial-ref", "default/1/sample-partial-ref"]],
    );
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
