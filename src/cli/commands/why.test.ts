import assert from "node:assert/strict";
import { test } from "node:test";
import { blobPath, NOW, SNAPSHOTS, scenario } from "../../checks/testing.js";
import { CrifsError } from "../../errors.js";
import type { Store } from "../../model/store.js";
import { whyResult } from "./why.js";

function store(): Store {
  const s = scenario()
    .image("default", "bb", "sha256:idx")
    .blob("default", "sha256:idx", { "containerd.io/gc.ref.content.config": "sha256:cfg" })
    .blob("default", "sha256:cfg", { "containerd.io/gc.ref.snapshot.overlayfs": "top" })
    .blob("k8s.io", "sha256:cfg")
    .snapshot("default", "base", { id: "1" })
    .snapshot("default", "top", { id: "2", parent: "base" })
    .snapshot("k8s.io", "top", { id: "3" })
    .input().store;
  assert.ok(s !== null);
  return s;
}

test("a snapshot key gives its chains from the image; a snapshot dir path names the same snapshot", () => {
  const r = whyResult([store()], `${SNAPSHOTS}/1/fs`, NOW);
  assert.deepEqual(r.object, {
    kind: "snapshot",
    namespace: "default",
    name: "overlayfs/base",
    path: `${SNAPSHOTS}/1`,
  });
  assert.deepEqual(
    r.chains.map((c) => c.map((s) => s.name).join(" > ")),
    ["bb > sha256:idx > sha256:cfg > overlayfs/top > overlayfs/base"],
  );
});

test("a blob is one file for every namespace: alive when any namespace's record is", () => {
  const r = whyResult([store()], "sha256:cfg", NOW);
  assert.deepEqual(
    [r.object.kind, r.object.namespace, r.object.path, r.alive],
    ["blob", null, blobPath("sha256:cfg"), true],
  );
  assert.equal(r.chains.length, 1);
});

test("garbage: a dir no record names, an unrecorded blob file, a snapshot nothing holds", () => {
  assert.deepEqual(whyResult([store()], `${SNAPSHOTS}/9999`, NOW), {
    object: { kind: "dir", namespace: null, name: `${SNAPSHOTS}/9999`, path: `${SNAPSHOTS}/9999` },
    alive: false,
    chains: [],
  });
  assert.equal(whyResult([store()], blobPath("sha256:nobody"), NOW).alive, false);
});

test("a key in two namespaces is ambiguous (add -n); an unknown name is not found", () => {
  assert.throws(
    () => whyResult([store()], "top", NOW),
    (e) => e instanceof CrifsError && e.code === "usage",
  );
  assert.throws(
    () => whyResult([store()], "nothing-like-this", NOW),
    (e) => e instanceof CrifsError && e.code === "not-found",
  );
});
