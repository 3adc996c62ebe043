// checks/incomplete-layer.ts — a layer left half-made: its record carries containers/storage's
// `incomplete` flag (a create or remove was interrupted; c/storage deletes such layers the next time it
// opens the store for writing), or its dir exists without diff/.

import { join } from "node:path";
import { EVERY_RUNTIME, isInFlight } from "./check.js";
import { defineOverlayCheck } from "./driver-home.js";

/** Layers flagged incomplete, and layer dirs without diff/. Cost: metadata + a stat per layer dir. */
export const incompleteLayer = defineOverlayCheck({
  id: "incomplete-layer",
  summary: "a layer flagged incomplete in layers.json, or a layer dir without diff/",
  kind: { severity: "error", needs: ["metadata", "dirs"], runtimes: EVERY_RUNTIME },
  *find(input, v) {
    for (const s of v.layers.values()) {
      if (isInFlight(input, s.createdAt)) continue;
      const d = v.od.layers.get(s.id);
      if (v.od.incompleteLayers.has(s.id)) {
        yield {
          severity: "warning",
          subject: `layer ${s.id}`,
          path: s.dir,
          message: `layer ${s.id} is flagged incomplete: its creation or removal was interrupted`,
          remedy: `containers/storage removes it the next time ${input.words.name} opens the store for writing${input.words.openStore === null ? " (when it starts)" : ` (e.g. ${input.words.openStore})`}; nothing should use it`,
        };
      } else if (d?.isDir && !d.hasDiff) {
        yield {
          subject: `layer ${s.id}`,
          path: join(s.dir, "diff"),
          message: `${s.kind} layer ${s.id} has no diff/ tree: it cannot be mounted`,
          remedy: "remove the images or containers that use this layer and pull the images again",
        };
      }
    }
  },
});
