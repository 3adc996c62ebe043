import assert from "node:assert/strict";
import { test } from "node:test";
import { CrifsError } from "../errors.js";
import type { Image, Snapshot } from "../model/store.js";
import { emptyStore, k8sContainer } from "../model/testing.js";
import { resolveRef } from "./resolve-ref.js";

function snapshot(key: string): Snapshot {
  return {
    namespace: "",
    snapshotter: "overlay",
    key,
    parent: null,
    kind: "active",
    id: key,
    path: `/r/${key}`,
    dir: `/r/${key}/diff`,
    workPath: null,
    createdAt: null,
    updatedAt: null,
    labels: {},
    recordedSize: null,
    runtimeKey: key,
  } as unknown as Snapshot;
}

// podman's shape: a container's id and its layer's key differ; another container's layer shares a prefix
const store = emptyStore(
  { runtime: "podman", root: "/r" },
  {
    containers: [
      k8sContainer("ac15aaaa", { namespace: "", snapshotKey: "5a6f0000" }),
      k8sContainer("7c8d0000", { namespace: "", snapshotKey: "af4a0000" }),
      k8sContainer("d0d0cafe", { namespace: "", snapshotKey: "d0d0cafe" }), // containerd's shape
    ],
    snapshots: [snapshot("5a6f0000"), snapshot("af4a0000"), snapshot("d0d0cafe"), snapshot("afc50000")],
    images: [{ namespace: "", name: "d0d0/app:1", digest: "sha256:1111" } as unknown as Image],
  },
);
const kinds = ["container", "snapshot", "image"] as const;

function ambiguity(ref: string): string {
  try {
    resolveRef([store], ref, kinds);
  } catch (err) {
    assert.ok(err instanceof CrifsError);
    return err.oneLine();
  }
  assert.fail(`${ref} was resolved`);
}

test("a prefix shared by a container and unrelated snapshots is ambiguous, not the container", () => {
  // "a" was container ac15aaaa, though snapshots af4a0000 and afc50000 start with it too
  const line = ambiguity("a");
  assert.match(
    line,
    /"a" names 3 objects: container \/ac15aaaa, snapshot \/overlay\/af4a0000, snapshot \/overlay\/afc50000/,
  );
});

test("a prefix of a container and of its own snapshot (one key) names the container", () => {
  const t = resolveRef([store], "d0d0c", kinds);
  assert.equal(t.type, "container");
});

test("a prefix shared by a container and an image's name is ambiguous; exact names still prefer the container", () => {
  assert.match(
    ambiguity("d0d0"),
    /names 3 objects: container \/d0d0cafe, snapshot \/overlay\/d0d0cafe, image \/d0d0\/app:1/,
  );
  assert.equal(resolveRef([store], "d0d0cafe", kinds).type, "container");
});

test("a unique prefix of any kind names it", () => {
  assert.equal(resolveRef([store], "ac", kinds).type, "container");
  assert.equal(resolveRef([store], "afc", kinds).type, "snapshot");
  assert.equal(resolveRef([store], "sha256:11", kinds).type, "image");
});

test("an empty name is refused as such, not listed as matching every object", () => {
  assert.throws(() => resolveRef([store], "", kinds), /an empty name names no container, snapshot, image/);
});
