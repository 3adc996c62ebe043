import assert from "node:assert/strict";
import { test } from "node:test";
import type { Store } from "../model/store.js";
import { compareLiveAndDisk, metadataMismatch } from "./metadata-mismatch.js";
import { OLD, PATHS, scenario } from "./testing.js";

function withSnapshots(base: Store, keys: readonly [string, string][]): Store {
  const proto = {
    namespace: "default",
    snapshotter: "overlayfs",
    parent: null,
    kind: "committed" as const,
    path: "/r/x/fs",
    dir: "/r/x",
    workPath: null,
    createdAt: OLD,
    updatedAt: OLD,
    labels: {},
    recordedSize: null,
    runtimeKey: "",
  };
  return { ...base, snapshots: keys.map(([key, id]) => ({ ...proto, key, id })) };
}

test("a snapshot the daemon lists but the files lack, one the files hold but the daemon does not, and a changed dir id are each one error", () => {
  const input = scenario().input();
  assert.ok(input.store);
  const disk = withSnapshots(input.store, [
    ["same", "1"],
    ["disk-only", "2"],
    ["moved", "3"],
  ]);
  const live = withSnapshots(input.store, [
    ["same", "1"],
    ["live-only", "4"],
    ["moved", "5"],
  ]);
  const found = compareLiveAndDisk(live, disk, input);
  assert.deepEqual(found.map((f) => f.subject).sort(), [
    "snapshot default/overlayfs/disk-only",
    "snapshot default/overlayfs/live-only",
    "snapshot default/overlayfs/moved",
  ]);
  assert.ok(found.every((f) => f.severity === "error" && f.path.endsWith(PATHS.metaDb)));
  assert.match(found.find((f) => f.subject.endsWith("moved"))?.message ?? "", /dir 5; the files say .*dir 3/);
});

test("records younger than the grace period are in flight, not a mismatch; without a live read the check is silent", () => {
  const input = scenario().input();
  assert.ok(input.store);
  const young = new Date(input.now - 1000).toISOString();
  const live = withSnapshots(input.store, [["new", "9"]]);
  const liveYoung = {
    ...live,
    snapshots: live.snapshots.map((s) => ({ ...s, createdAt: young, updatedAt: young })),
  };
  assert.deepEqual(compareLiveAndDisk(liveYoung, withSnapshots(input.store, []), input), []);
  assert.deepEqual(metadataMismatch.run(input), []);
  assert.equal(input.store.snapshots.length, 0, "an empty scenario");
  assert.deepEqual(
    metadataMismatch.run({ ...input, live }).map((f) => f.subject),
    ["snapshot default/overlayfs/new"],
  );
});
