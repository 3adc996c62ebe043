import assert from "node:assert/strict";
import { test } from "node:test";
import { SnapshotIndex } from "./chain.js";
import { planMount } from "./mounts.js";
import type { Snapshot } from "./store.js";

const H = "/g/overlay";
function layer(id: string, parent: string | null, kind: Snapshot["kind"], withLink = true): Snapshot {
  return {
    namespace: "",
    snapshotter: "overlay",
    key: id,
    parent,
    kind,
    id,
    path: `${H}/${id}/diff`,
    dir: `${H}/${id}`,
    workPath: `${H}/${id}/work`,
    createdAt: null,
    updatedAt: null,
    labels: {},
    recordedSize: null,
    runtimeKey: id,
    ...(withLink ? { lowerPath: `${H}/l/S${id.toUpperCase()}` } : {}),
  };
}

test("overlay-driver style: lowerdir by the l/ links nearest first, then upperdir and workdir, no index=off", () => {
  const snaps = [layer("a", null, "committed"), layer("b", "a", "committed"), layer("c", "b", "active")];
  const m = planMount(snaps[2] as Snapshot, new SnapshotIndex(snaps), {
    indexOff: true,
    userxattr: false,
    style: "overlay-driver",
  });
  assert.deepEqual(m.options, [
    `lowerdir=${H}/l/SB:${H}/l/SA`,
    `upperdir=${H}/c/diff`,
    `workdir=${H}/c/work`,
  ]);
});

test("containerd style is unchanged: index=off, workdir, upperdir, lowerdir; a layer without lowerPath uses its path", () => {
  const snaps = [layer("a", null, "committed", false), layer("c", "a", "active")];
  const m = planMount(snaps[1] as Snapshot, new SnapshotIndex(snaps), { indexOff: true, userxattr: false });
  assert.deepEqual(m.options, [
    "index=off",
    `workdir=${H}/c/work`,
    `upperdir=${H}/c/diff`,
    `lowerdir=${H}/a/diff`,
  ]);
});

test("containerd 2.x style (optionsLast): workdir, upperdir, lowerdir, then index=off and userxattr", () => {
  const snaps = [
    layer("a", null, "committed", false),
    layer("b", "a", "committed", false),
    layer("c", "b", "active"),
  ];
  const m = planMount(snaps[2] as Snapshot, new SnapshotIndex(snaps), {
    indexOff: true,
    userxattr: true,
    optionsLast: true,
  });
  assert.deepEqual(m.options, [
    `workdir=${H}/c/work`,
    `upperdir=${H}/c/diff`,
    `lowerdir=${H}/b/diff:${H}/a/diff`,
    "index=off",
    "userxattr",
  ]);
});
