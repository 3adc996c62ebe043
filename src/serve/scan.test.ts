import assert from "node:assert/strict";
import { test } from "node:test";
import type { DuReport } from "../disk/du.js";
import { categories, namespacedCategories } from "../disk/du.js";
import type { Store } from "../model/store.js";
import { metricRuntime, namespaceCategories, nodeRoot } from "./scan.js";

test("a store's root label is the node's path: below --host-root, the path inside it", () => {
  assert.equal(
    nodeRoot({ runtime: "containerd", root: "/var/lib/containerd", state: null, configPath: null }),
    "/var/lib/containerd",
  );
  assert.equal(
    nodeRoot({
      runtime: "docker",
      root: "/host/data/docker",
      state: null,
      configPath: null,
      hostRoot: "/host",
    }),
    "/data/docker",
  );
  assert.equal(
    nodeRoot({ runtime: "docker", root: "/host", state: null, configPath: null, hostRoot: "/host" }),
    "/",
  );
});

test("podman's and CRI-O's stores are one runtime label, containers-storage", () => {
  assert.deepEqual((["containerd", "podman", "crio", "docker"] as const).map(metricRuntime), [
    "containerd",
    "containers-storage",
    "containers-storage",
    "docker",
  ]);
});

test("store bytes by namespace: du's rows, zero-filled so a scan has the same series as the one before", () => {
  const usage = (allocatedBytes: number) => ({ allocatedBytes, apparentBytes: allocatedBytes, inodes: 1 });
  const du = {
    namespaces: [
      { namespace: "", category: "content-blobs", ...usage(4096) },
      { namespace: "default", category: "image-layers-unique", ...usage(8192) },
      { namespace: "moby", category: "container-layers", ...usage(12288) },
    ],
  } as unknown as DuReport;
  // "k8s.io" has no bytes yet, "moby" is in du's rows only: both get the categories a namespace can own
  const store = { namespaces: [{ name: "default" }, { name: "k8s.io" }] } as unknown as Store;
  const rows = namespaceCategories(du, store);
  assert.equal(rows.length, categories.length + 3 * namespacedCategories.length);
  const of = (ns: string, c: string) => rows.find((r) => r.namespace === ns && r.category === c);
  assert.equal(of("", "content-blobs")?.allocatedBytes, 4096);
  assert.equal(of("", "image-layers-unique")?.allocatedBytes, 0);
  assert.equal(of("default", "image-layers-unique")?.allocatedBytes, 8192);
  assert.equal(of("moby", "container-layers")?.allocatedBytes, 12288);
  assert.equal(of("k8s.io", "views")?.allocatedBytes, 0);
  assert.equal(of("default", "content-blobs"), undefined, "blobs are no namespace's");
});
