// checks/broken-lower.ts — a layer's `lower` file naming a short link that does not resolve, so the
// layer cannot be mounted. Entries another check explains are left to it: a short id some layer's `link`
// claims (missing-short-link), a link to a recorded layer whose dir is gone (missing-layer-dir).

import { join } from "node:path";
import { EVERY_RUNTIME, isInFlight } from "./check.js";
import { defineOverlayCheck, shortOfLower } from "./driver-home.js";

/** `lower` entries that resolve to no layer. Cost: metadata + the layer dirs' small files. */
export const brokenLower = defineOverlayCheck({
  id: "broken-lower",
  summary: "a layer's `lower` file naming a short link that does not resolve",
  kind: { severity: "error", needs: ["metadata", "dirs"], runtimes: EVERY_RUNTIME },
  *find(input, v) {
    const claimed = new Set<string>();
    for (const d of v.od.layers.values()) if (d.link !== null) claimed.add(d.link);
    for (const s of v.layers.values()) {
      const d = v.od.layers.get(s.id);
      if (d === undefined || d.lower === null || isInFlight(input, s.createdAt)) continue;
      const bad = d.lower.filter((e) => {
        const short = shortOfLower(e);
        if (short === null) return true;
        const link = v.od.shortLinks.get(short);
        if (link?.resolves === true || claimed.has(short)) return false;
        return !(link?.targetId != null && v.layers.has(link.targetId));
      });
      if (bad.length === 0) continue;
      yield {
        subject: `layer ${s.id}`,
        path: join(d.dir, "lower"),
        message: `${s.kind} layer ${s.id} stacks on ${bad.map((e) => `"${e}"`).join(", ")}, which resolve${bad.length > 1 ? "" : "s"} to no layer: it cannot be mounted`,
        remedy:
          "its parent layer is gone: remove the containers and images that use this layer and pull the images again",
      };
    }
  },
});
