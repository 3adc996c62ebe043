// checks/dangling-short-link.ts — an `<home>/l/<short>` symlink whose target does not resolve: its layer
// dir is gone. A link whose layer is still recorded is left to missing-layer-dir (the record is the fault
// then), and one whose dir is there without diff/ to incomplete-layer.

import { EVERY_RUNTIME, isInFlight } from "./check.js";
import { defineOverlayCheck } from "./driver-home.js";

/** l/ links to layer dirs that are gone. Cost: one readdir of l/ and a stat per link. */
export const danglingShortLink = defineOverlayCheck({
  id: "dangling-short-link",
  summary: "an l/<short> link whose layer dir is gone",
  kind: { severity: "warning", needs: ["metadata", "dirs"], runtimes: EVERY_RUNTIME },
  *find(input, v) {
    for (const l of v.od.shortLinks.values()) {
      if (l.resolves || isInFlight(input, l.mtimeMs, l.ctimeMs)) continue;
      if (l.targetId !== null && (v.layers.has(l.targetId) || v.od.layers.has(l.targetId))) continue;
      yield {
        subject: `short link ${l.name}`,
        path: l.path,
        message: `short link l/${l.name} points to "${l.target ?? "(not a symlink)"}", which does not exist`,
        remedy: `nothing can use it: rm ${l.path}`,
      };
    }
  },
});
