// checks/stale-mount.ts — overlay mounts that still use snapshot dirs of this root which no record names any
// more: the snapshot was removed (or its metadata lost) while something kept it mounted. The dir cannot be
// removed while mounted, and the mount shows files no metadata accounts for.

import { CONTAINERD_ONLY, defineCheck } from "./check.js";
import { isInside } from "./doctor-input.js";

/** The snapshot dir id a path names, when it lies in `snapshotsDir`. */
function idIn(snapshotsDir: string, p: string): string | null {
  if (!isInside(snapshotsDir, p) || p === snapshotsDir) return null;
  return p.slice(snapshotsDir.length).replace(/^\/+/, "").split("/")[0] ?? null;
}

/** Overlay mounts naming snapshot ids no record has. Cost: metadata + mountinfo. */
export const staleMount = defineCheck({
  id: "stale-mount",
  summary: "an overlay mount whose layers are snapshot dirs of this root that no record names",
  kind: { severity: "warning", needs: ["metadata", "dirs"], runtimes: CONTAINERD_ONLY },
  *find(input) {
    for (const sn of input.snapshotters) {
      const known = new Set(sn.records.map((r) => r.id));
      for (const s of input.store.snapshots) if (s.snapshotter === sn.name) known.add(s.id);
      const homes = [sn.snapshotsDir, ...(sn.realSnapshotsDir === null ? [] : [sn.realSnapshotsDir])];
      for (const m of input.overlayMounts) {
        const unknown = new Set<string>();
        for (const p of [...m.lowerdir, m.upperdir, m.workdir]) {
          if (p === null) continue;
          for (const h of homes) {
            const id = idIn(h, p);
            if (id !== null && id !== "" && !known.has(id)) unknown.add(id);
          }
        }
        if (unknown.size === 0) continue;
        const ids = [...unknown].sort();
        yield {
          subject: `mount ${m.mountPoint}`,
          path: m.mountPoint,
          message: `overlay mounted on ${m.mountPoint} uses ${sn.name} snapshot dir${ids.length > 1 ? "s" : ""} ${ids.join(", ")}, which no snapshot record names`,
          remedy: `find what holds the mount (a stopped task's rootfs, a tool's temp mount), then umount ${m.mountPoint}`,
        };
      }
    }
  },
});
