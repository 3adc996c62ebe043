// checks/missing-snapshot-dir.ts — snapshot records whose dir is gone: the snapshot cannot be mounted
// (containerd: "special device overlay does not exist"), and every container and child on it is broken.
// Also a snapshot meta.db names that its snapshotter has no record of (the loader reports that join).

import { join } from "node:path";
import { CONTAINERD_ONLY, defineCheck, isInFlight } from "./check.js";

const NO_RECORD = / has no record "[^"]*" in the \S+ snapshotter$/;

/** Records whose snapshot dir (or its fs/ tree) is missing. Cost: metadata + one readdir per snapshotter. */
export const missingSnapshotDir = defineCheck({
  id: "missing-snapshot-dir",
  summary: "a snapshot record whose dir (or fs/ tree) is gone",
  kind: { severity: "error", needs: ["metadata", "dirs"], runtimes: CONTAINERD_ONLY },
  *find(input) {
    for (const sn of input.snapshotters) {
      const dirs = new Map(sn.dirs.map((d) => [d.name, d]));
      for (const s of input.store.snapshots) {
        if (s.snapshotter !== sn.name || isInFlight(input, s.createdAt, s.updatedAt)) continue;
        const dir = join(sn.snapshotsDir, s.id);
        const d = dirs.get(s.id);
        const what = `${s.kind} snapshot "${s.key}" in namespace "${s.namespace}"`;
        const remove = `remove the snapshot (ctr -n ${s.namespace} snapshots rm ${s.key}) and whatever was created on it`;
        const subject = `snapshot ${s.namespace}/${s.snapshotter}/${s.key}`;
        if (d === undefined || !d.isDir) {
          yield {
            subject,
            path: dir,
            message: `${what} has no directory ${s.id}: it cannot be mounted`,
            remedy: `${remove}; an image layer comes back when the image is pulled or unpacked again`,
          };
        } else if (s.path === join(dir, "fs") && !d.hasFs) {
          yield {
            subject,
            path: s.path,
            message: `${what} has lost its fs/ tree: it cannot be mounted`,
            remedy: remove,
          };
        }
      }
    }
    for (const a of input.store.anomalies) {
      if (!a.subject.startsWith("snapshot ") || !NO_RECORD.test(a.message)) continue;
      yield {
        subject: a.subject,
        path: a.path,
        message: a.message,
        remedy: "remove the snapshot with ctr (containerd's own listing skips it, but its name stays taken)",
      };
    }
  },
});
