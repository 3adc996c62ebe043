// checks/tmpmount-leftover.ts — dirs left in <root>/tmpmounts: containerd mounts layers there for a moment
// while it unpacks or diffs. At startup it unmounts and removes *mounted* leftovers, but a plain leftover
// dir stays for good.

import { CONTAINERD_ONLY, defineCheck, isInFlight } from "./check.js";

/** Unmounted entries of <root>/tmpmounts. Cost: one readdir and mountinfo (bytes: a walk of each). */
export const tmpmountLeftover = defineCheck({
  id: "tmpmount-leftover",
  summary: "an unmounted dir left under <root>/tmpmounts",
  kind: { severity: "warning", needs: ["dirs", "walk"], runtimes: CONTAINERD_ONLY },
  *find(input) {
    for (const t of input.tmpmounts) {
      if (t.isMountPoint || isInFlight(input, t.mtimeMs, t.ctimeMs)) continue;
      yield {
        subject: `tmpmount ${t.name}`,
        path: t.path,
        message: `${t.isDir ? "directory" : "file"} ${t.name} in tmpmounts is not mounted: a temporary mount point left behind`,
        remedy: "remove it (containerd only cleans up tmpmounts that are still mounted)",
      };
    }
  },
});
