// checks/missing-short-link.ts — a layer whose `link` names a short id whose `<home>/l/<short>` symlink is
// missing or points at another layer: every mount that stacks this layer as a lower fails (docker: "error
// creating overlay mount"). containers/storage recreates a missing link the next time a command resolves
// the layer ("Can't stat lower layer … Going through storage to recreate the missing symlinks"); docker
// never does.

import { join } from "node:path";
import { EVERY_RUNTIME, isInFlight } from "./check.js";
import { defineOverlayCheck } from "./driver-home.js";

/** Layers whose l/ short link is missing or names another dir. Cost: metadata + one readdir of l/. */
export const missingShortLink = defineOverlayCheck({
  id: "missing-short-link",
  summary: "a layer whose l/<short> link (named by its `link` file) is missing or points elsewhere",
  kind: { severity: "error", needs: ["metadata", "dirs"], runtimes: EVERY_RUNTIME },
  *find(input, v) {
    for (const s of v.layers.values()) {
      const d = v.od.layers.get(s.id);
      if (d === undefined || !d.isDir || d.link === null || isInFlight(input, s.createdAt)) continue;
      const link = v.od.shortLinks.get(d.link);
      if (link !== undefined && (link.targetId === s.id || isInFlight(input, link.mtimeMs, link.ctimeMs)))
        continue;
      const path = join(v.od.home, "l", d.link);
      const what = `short link l/${d.link} of ${s.kind} layer ${s.id}`;
      yield {
        subject: `layer ${s.id}`,
        path,
        message:
          link === undefined
            ? `${what} is missing: mounts that use the layer fail`
            : `${what} points to "${link.target ?? "(not a symlink)"}", not to ../${s.id}/diff`,
        remedy: `recreate it: ln -sfn ../${s.id}/diff ${path} (podman and CRI-O also recreate it the next time they use the layer; docker does not)`,
      };
    }
  },
});
