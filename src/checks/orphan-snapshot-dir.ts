// checks/orphan-snapshot-dir.ts — snapshot dirs that no metadata names: leaked space. A dir counts as named
// when meta.db's snapshots or the snapshotter's own database give its id (a record only the snapshotter
// still has is a different fault: see dangling-parent). new-* dirs are interrupted prepares, rm-* dirs
// interrupted removals; containerd's next GC pass in that snapshotter removes all of them.

import { CONTAINERD_ONLY, defineCheck, isInFlight } from "./check.js";

/** Snapshot dirs that no metadata record names. Cost: metadata + one readdir per snapshotter. */
export const orphanSnapshotDir = defineCheck({
  id: "orphan-snapshot-dir",
  summary: "a dir under snapshots/ that no snapshot record names (incl. new-*/rm-* temp dirs)",
  kind: { severity: "warning", needs: ["metadata", "dirs", "walk"], runtimes: CONTAINERD_ONLY },
  // an in-flight dir is young: containerd's snapshotters make it (new-*, renamed to its id: ctime) inside the
  // bolt transaction that records it, and unpack into it only after that commit. Not orphan-layer-dir: dockerd
  // untars a layer into its dir for as long as the pull takes and records it only then
  isJudgedByAge: true,
  *find(input) {
    for (const sn of input.snapshotters) {
      const named = new Set(sn.records.map((r) => r.id));
      for (const s of input.store.snapshots) if (s.snapshotter === sn.name) named.add(s.id);
      for (const d of sn.dirs) {
        if (named.has(d.name) || isInFlight(input, d.mtimeMs, d.ctimeMs)) continue;
        const temp = d.name.startsWith("new-")
          ? "an interrupted prepare"
          : d.name.startsWith("rm-")
            ? "an interrupted removal"
            : null;
        yield {
          severity: d.name.startsWith("new-") ? "info" : "warning",
          subject: `${sn.name} dir ${d.name}`,
          path: d.path,
          message:
            `${d.isDir ? "directory" : "file"} ${d.name} is not named by any snapshot in metadata` +
            (temp === null ? "" : ` (left by ${temp})`),
          remedy:
            "nothing can reach it: remove it (containerd removes it too at its next GC pass in this snapshotter)",
        };
      }
    }
  },
});
