// checks/incomplete-layer.ts — a layer left half-made: its record carries containers/storage's
// `incomplete` flag (a create or remove was interrupted; c/storage deletes such layers the next time it
// opens the store for writing), or its dir exists without diff/.

import { join } from "node:path";
import type { Check, Finding } from "./check.js";
import { EVERY_RUNTIME, isInFlight } from "./check.js";
import { overlayView } from "./driver-home.js";

/** Layers flagged incomplete, and layer dirs without diff/. Cost: metadata + a stat per layer dir. */
export const incompleteLayer: Check = {
  id: "incomplete-layer",
  needs: ["metadata", "dirs"],
  runtimes: EVERY_RUNTIME,
  summary: "a layer flagged incomplete in layers.json, or a layer dir without diff/",
  run(input) {
    const v = overlayView(input);
    if (v === null) return [];
    const out: Finding[] = [];
    for (const s of v.layers.values()) {
      if (isInFlight(input, s.createdAt)) continue;
      const d = v.od.layers.get(s.id);
      if (v.od.incompleteLayers.has(s.id)) {
        out.push({
          check: "incomplete-layer",
          severity: "warning",
          subject: `layer ${s.id}`,
          path: s.dir,
          bytes: 0,
          message: `layer ${s.id} is flagged incomplete: its creation or removal was interrupted`,
          remedy: `containers/storage removes it the next time ${input.words.name} opens the store for writing${input.words.openStore === null ? " (when it starts)" : ` (e.g. ${input.words.openStore})`}; nothing should use it`,
        });
      } else if (d?.isDir && !d.hasDiff) {
        out.push({
          check: "incomplete-layer",
          severity: "error",
          subject: `layer ${s.id}`,
          path: join(s.dir, "diff"),
          bytes: 0,
          message: `${s.kind} layer ${s.id} has no diff/ tree: it cannot be mounted`,
          remedy: "remove the images or containers that use this layer and pull the images again",
        });
      }
    }
    return out;
  },
};
