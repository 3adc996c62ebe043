// checks/missing-short-link.ts — a layer whose `link` names a short id whose `<home>/l/<short>` symlink is
// missing or points at another layer: every mount that stacks this layer as a lower fails (docker: "error
// creating overlay mount"). containers/storage recreates a missing link the next time a command resolves
// the layer ("Can't stat lower layer … Going through storage to recreate the missing symlinks"); docker
// never does.

import { join } from "node:path";
import type { Check, Finding } from "./check.js";
import { EVERY_RUNTIME, isInFlight } from "./check.js";
import { overlayView } from "./driver-home.js";

/** Layers whose l/ short link is missing or names another dir. Cost: metadata + one readdir of l/. */
export const missingShortLink: Check = {
  id: "missing-short-link",
  needs: ["metadata", "dirs"],
  runtimes: EVERY_RUNTIME,
  summary: "a layer whose l/<short> link (named by its `link` file) is missing or points elsewhere",
  run(input) {
    const v = overlayView(input);
    if (v === null) return [];
    const out: Finding[] = [];
    for (const s of v.layers.values()) {
      const d = v.od.layers.get(s.id);
      if (d === undefined || !d.isDir || d.link === null || isInFlight(input, s.createdAt)) continue;
      const link = v.od.shortLinks.get(d.link);
      if (link !== undefined && link.targetId === s.id) continue;
      if (link !== undefined && isInFlight(input, link.mtimeMs, link.ctimeMs)) continue;
      const path = join(v.od.home, "l", d.link);
      out.push({
        check: "missing-short-link",
        severity: "error",
        subject: `layer ${s.id}`,
        path,
        bytes: 0,
        message:
          link === undefined
            ? `short link l/${d.link} of ${s.kind} layer ${s.id} is missing: mounts that use the layer fail`
            : `short link l/${d.link} of ${s.kind} layer ${s.id} points to "${link.target ?? "(not a symlink)"}", not to ../${s.id}/diff`,
        remedy: `recreate it: ln -sfn ../${s.id}/diff ${path} (podman and CRI-O also recreate it the next time they use the layer; docker does not)`,
      });
    }
    return out;
  },
};
