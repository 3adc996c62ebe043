// checks/dangling-parent.ts — parent links that lead nowhere: a parent key that names no snapshot (its
// record was lost), or a chain of parents that comes back to itself (a layer that is its own parent too).
// containerd then refuses to remove the child ("parent snapshot … does not exist") and its GC cannot remove
// the parent ("cannot remove snapshot with child"); mounting the child is impossible; podman and docker
// cannot mount it either. The remedy is the runtime's own (input.words): podman and docker users are not
// told to stop containerd.

import { MAX_CHAIN_LENGTH, SnapshotIndex, snapshotRef } from "../model/chain.js";
import type { Snapshot } from "../model/store.js";
import { inNamespace, subjectOf } from "../model/words.js";
import { defineCheck, EVERY_RUNTIME, isInFlight, snapshotDirOf } from "./check.js";

/** The keys around a parent cycle starting at `s`, or null when `s` is not on one. */
function cycleFrom(index: SnapshotIndex, s: Snapshot): string[] | null {
  const start = snapshotRef(s);
  const keys = [s.key];
  let cur: Snapshot | undefined = s;
  for (let i = 0; i <= MAX_CHAIN_LENGTH && cur?.parent != null; i++) {
    cur = index.get(cur.namespace, cur.snapshotter, cur.parent);
    if (cur === undefined) return null;
    keys.push(cur.key);
    if (snapshotRef(cur) === start) return keys;
  }
  return null;
}

/** Parent keys that name no snapshot, and parent cycles. Cost: metadata only. */
export const danglingParent = defineCheck({
  id: "dangling-parent",
  summary: "a snapshot whose parent key names no snapshot, or whose parents form a cycle",
  kind: { severity: "error", needs: ["metadata"], runtimes: EVERY_RUNTIME },
  *find(input) {
    const index = new SnapshotIndex(input.store.snapshots);
    for (const s of input.store.snapshots) {
      if (s.parent === null || isInFlight(input, s.createdAt, s.updatedAt)) continue;
      const subject = subjectOf("snapshot", s.namespace, `${s.snapshotter}/${s.key}`);
      const path = snapshotDirOf(input, s);
      const what = `${s.kind} ${input.words.hasNamespaces ? "snapshot" : "layer"} "${s.key}"${inNamespace(s.namespace)}`;
      if (index.get(s.namespace, s.snapshotter, s.parent) === undefined) {
        yield {
          subject,
          path,
          message: `${what} names parent "${s.parent}", which is not in ${input.words.layerRecords}: it cannot be mounted or removed`,
          remedy: input.words.danglingParent,
        };
        continue;
      }
      const cycle = cycleFrom(index, s);
      if (cycle === null) continue;
      yield {
        subject,
        path,
        message:
          cycle.length === 2
            ? `${what} names itself as its parent`
            : `${what} is on a parent cycle: ${cycle.join(" → ")}`,
        remedy: input.words.parentCycle,
      };
    }
  },
});
