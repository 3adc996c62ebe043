import assert from "node:assert/strict";
import { test } from "node:test";
import { metricRuntime, nodeRoot } from "./scan.js";

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
