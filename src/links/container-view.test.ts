// container-view.test.ts — a container's layer stack in planMount's order, and what its spec mounts over it.
// Needs root (mknod, trusted.* xattrs); CRIFS_SKIP_ROOT=1 skips instead of failing.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CrifsError } from "../errors.js";
import { rootOnly } from "../fs/testing-tree.js";
import { containerLayers, containerView, mountPointOf, runtimeMountPoints } from "./container-view.js";
import { tempStores } from "./testing.js";

const skip = rootOnly();
const fresh = tempStores();

test("the layers are the container's own snapshot, then its parents nearest first", { skip }, () => {
  const t = fresh();
  t.layer("base", null, ["f etc/os base"]);
  t.layer("mid", "base", ["f etc/os mid"]);
  t.layer("top", "mid", ["o keep", "f keep/new top"]);
  t.layer("c1", "top", ["f etc/os c1"], "active");
  t.container("c1");
  const store = t.store();
  const c = store.containers[0];
  assert.ok(c !== undefined);
  assert.deepEqual(
    containerLayers(store, c).map((s) => s.key),
    ["c1", "top", "mid", "base"],
  );
  const view = containerView(store, c);
  assert.deepEqual(
    view.layers,
    ["4", "3", "2", "1"].map((id) => `${t.dir}/snapshots/${id}/fs`),
  );
  assert.equal(view.readFile("/etc/os").toString(), "c1");
  assert.equal(view.isUpper(0), true);
  assert.equal(view.isUpper(1), false);
});

test("a container on one committed layer reads through its own dir and that layer", { skip }, () => {
  const t = fresh();
  t.layer("base", null, ["f a base"]);
  t.layer("c1", "base", [], "active");
  t.container("c1");
  const store = t.store();
  const view = containerView(store, store.containers[0] as never);
  assert.equal(view.layers.length, 2);
  assert.equal(view.readFile("/a").toString(), "base");
});

test("a missing snapshot, a dangling parent and another snapshotter fail in one line each", { skip }, () => {
  const t = fresh();
  t.layer("c1", "gone", [], "active");
  t.container("c1");
  t.container("c2", { key: "nothing" });
  const store = t.store();
  const [c1, c2] = store.containers;
  assert.ok(c1 !== undefined && c2 !== undefined);
  assert.throws(
    () => containerLayers(store, c1),
    (e) => e instanceof CrifsError && e.code === "corrupt" && /parent "gone" does not exist/.test(e.message),
  );
  assert.throws(
    () => containerLayers(store, c2),
    (e) => e instanceof CrifsError && e.code === "not-found" && /no snapshot "nothing"/.test(e.message),
  );
  assert.throws(
    () => containerLayers(store, { ...c1, snapshotter: "native" }),
    (e) => e instanceof CrifsError && e.code === "unsupported",
  );
});

test("runtime mount points come from the spec's mounts, normalized and sorted", () => {
  const spec = {
    mounts: [
      { destination: "/run/" },
      { destination: "/proc" },
      { destination: "/dev//pts" },
      { destination: "rel" },
      {},
    ],
  };
  assert.deepEqual(runtimeMountPoints({ spec }), ["/dev/pts", "/proc", "/run"]);
  assert.deepEqual(runtimeMountPoints({ spec: null }), []);
  assert.deepEqual(runtimeMountPoints({ spec: { mounts: "x" } }), []);
  const mps = ["/dev", "/dev/pts", "/proc"];
  assert.equal(mountPointOf(mps, "/dev/pts/0"), "/dev/pts");
  assert.equal(mountPointOf(mps, "/dev"), "/dev");
  assert.equal(mountPointOf(mps, "/devices"), null);
  assert.equal(mountPointOf(mps, "/etc/mtab"), null);
});
