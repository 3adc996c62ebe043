// checks/unreferenced-snapshot.ts — committed snapshots nothing holds: no image (through its config blob's
// gc.ref.snapshot label), container, lease, gc.root label, and no active snapshot or view on top of them.
// containerd's GC removes them at its next pass; until then they are reclaimable space.

import { SnapshotIndex, snapshotRef } from "../model/chain.js";
import { reachable } from "../model/usage.js";
import { CONTAINERD_ONLY, defineCheck, isInFlight, snapshotDirOf } from "./check.js";

/** Committed snapshots unreachable from every root. Cost: metadata only (bytes: a walk of each). */
export const unreferencedSnapshot = defineCheck({
  id: "unreferenced-snapshot",
  summary: "a committed snapshot no image, container, lease, gc.root label or child snapshot holds",
  kind: { severity: "warning", needs: ["metadata", "walk"], runtimes: CONTAINERD_ONLY },
  *find(input) {
    const held = new Set(reachable(input.store, { now: input.now }).snapshots);
    // an active snapshot or view (even one GC would take) holds its parents until it is gone itself
    const index = new SnapshotIndex(input.store.snapshots);
    for (const s of input.store.snapshots) {
      if (s.kind === "committed") continue;
      for (const p of index.chain(s).parents) held.add(snapshotRef(p));
    }
    for (const s of input.store.snapshots) {
      if (s.kind !== "committed" || held.has(snapshotRef(s))) continue;
      if (isInFlight(input, s.createdAt, s.updatedAt)) continue;
      yield {
        subject: `snapshot ${s.namespace}/${s.snapshotter}/${s.key}`,
        path: snapshotDirOf(input, s),
        message: `committed snapshot "${s.key}" in namespace "${s.namespace}" is held by no image, container, lease, gc.root label or child`,
        remedy: `ctr -n ${s.namespace} snapshots rm ${s.key} (containerd's next GC pass removes it too); \`crifs why\` shows what holds a snapshot`,
      };
    }
  },
});
