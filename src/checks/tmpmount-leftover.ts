// checks/tmpmount-leftover.ts — dirs left in <root>/tmpmounts: containerd mounts layers there for a moment
// while it unpacks or diffs. At startup it unmounts and removes *mounted* leftovers, but a plain leftover
// dir stays for good.

import type { Check, Finding } from "./check.js";
import { isInFlight } from "./check.js";

/** Unmounted entries of <root>/tmpmounts. Cost: one readdir and mountinfo (bytes: a walk of each). */
export const tmpmountLeftover: Check = {
  id: "tmpmount-leftover",
  needs: ["dirs", "walk"],
  runtimes: ["containerd"], // containerd's own objects: snapshotter dirs and records, blobs, ingests, GC roots
  summary: "an unmounted dir left under <root>/tmpmounts",
  run(input) {
    const out: Finding[] = [];
    for (const t of input.tmpmounts) {
      if (t.isMountPoint || isInFlight(input, t.mtimeMs, t.ctimeMs)) continue;
      out.push({
        check: "tmpmount-leftover",
        severity: "warning",
        subject: `tmpmount ${t.name}`,
        path: t.path,
        bytes: null,
        message: `${t.isDir ? "directory" : "file"} ${t.name} in tmpmounts is not mounted: a temporary mount point left behind`,
        remedy: "remove it (containerd only cleans up tmpmounts that are still mounted)",
      });
    }
    return out;
  },
};
