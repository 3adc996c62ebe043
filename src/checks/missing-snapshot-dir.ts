// checks/missing-snapshot-dir.ts — snapshot records whose dir is gone: the snapshot cannot be mounted
// (containerd: "special device overlay does not exist"), and every container and child on it is broken.
// Also a snapshot meta.db names that its snapshotter has no record of (the loader reports that join).

import { join } from "node:path";
import type { Check, Finding } from "./check.js";
import { isInFlight } from "./check.js";

const NO_RECORD = / has no record "[^"]*" in the \S+ snapshotter$/;

/** Records whose snapshot dir (or its fs/ tree) is missing. Cost: metadata + one readdir per snapshotter. */
export const missingSnapshotDir: Check = {
  id: "missing-snapshot-dir",
  needs: ["metadata", "dirs"],
  runtimes: ["containerd"], // containerd's own objects: snapshotter dirs and records, blobs, ingests, GC roots
  summary: "a snapshot record whose dir (or fs/ tree) is gone",
  run(input) {
    const out: Finding[] = [];
    const store = input.store;
    if (store === null) return out;
    for (const sn of input.snapshotters) {
      const dirs = new Map(sn.dirs.map((d) => [d.name, d]));
      for (const s of store.snapshots) {
        if (s.snapshotter !== sn.name || isInFlight(input, s.createdAt, s.updatedAt)) continue;
        const dir = join(sn.snapshotsDir, s.id);
        const d = dirs.get(s.id);
        const expectsFs = s.path === join(dir, "fs");
        const subject = `snapshot ${s.namespace}/${s.snapshotter}/${s.key}`;
        if (d === undefined || !d.isDir) {
          out.push({
            check: "missing-snapshot-dir",
            severity: "error",
            subject,
            path: dir,
            bytes: 0,
            message: `${s.kind} snapshot "${s.key}" in namespace "${s.namespace}" has no directory ${s.id}: it cannot be mounted`,
            remedy: `remove the snapshot (ctr -n ${s.namespace} snapshots rm ${s.key}) and whatever was created on it; an image layer comes back when the image is pulled or unpacked again`,
          });
        } else if (expectsFs && !d.hasFs) {
          out.push({
            check: "missing-snapshot-dir",
            severity: "error",
            subject,
            path: s.path,
            bytes: 0,
            message: `${s.kind} snapshot "${s.key}" in namespace "${s.namespace}" has lost its fs/ tree: it cannot be mounted`,
            remedy: `remove the snapshot (ctr -n ${s.namespace} snapshots rm ${s.key}) and whatever was created on it`,
          });
        }
      }
    }
    for (const a of store.anomalies) {
      if (!a.subject.startsWith("snapshot ") || !NO_RECORD.test(a.message)) continue;
      out.push({
        check: "missing-snapshot-dir",
        severity: "error",
        subject: a.subject,
        path: a.path,
        bytes: 0,
        message: a.message,
        remedy: "remove the snapshot with ctr (containerd's own listing skips it, but its name stays taken)",
      });
    }
    return out;
  },
};
