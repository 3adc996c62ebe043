// checks/orphan-layer-dir.ts — a dir in the overlay driver home that no layer record names: leaked space
// (e.g. `podman rm` with a corrupt layers.json leaves the container's layer dir behind). A dir a record
// still names as its parent is left to dangling-parent: the lost record is the fault there.

import { EVERY_RUNTIME, isInFlight } from "./check.js";
import { defineOverlayCheck } from "./driver-home.js";

/** Layer dirs no record names. Cost: metadata + one readdir of the home. */
export const orphanLayerDir = defineOverlayCheck({
  id: "orphan-layer-dir",
  summary: "a dir in the overlay driver home that no layer record names",
  kind: { severity: "warning", needs: ["metadata", "dirs", "walk"], runtimes: EVERY_RUNTIME },
  *find(input, v) {
    for (const d of v.od.layers.values()) {
      if (v.od.ignore.includes(d.id) || v.layers.has(d.id) || v.parents.has(d.id)) continue;
      if (isInFlight(input, d.mtimeMs, d.ctimeMs)) continue;
      yield {
        subject: `${v.od.driver} dir ${d.id}`,
        path: d.dir,
        message: `${d.isDir ? "directory" : "file"} ${d.id} is not named by any layer record`,
        remedy: `nothing can reach it: with the runtime idle, rm -rf ${d.dir}${d.link === null ? "" : ` (and its short link l/${d.link}, if any)`}`,
      };
    }
  },
});
