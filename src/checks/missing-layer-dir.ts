// checks/missing-layer-dir.ts — a layer record whose dir in the overlay driver home is gone: podman says
// "stat <graphroot>/overlay/<id>: no such file or directory" (or "correcting link for layer …" when it is a
// lower), docker "open …/committed: no such file or directory".

import type { Check, Finding } from "./check.js";
import { isInFlight } from "./check.js";
import { overlayView } from "./driver-home.js";

/** Layer records without their dir. Cost: metadata + one readdir of the home. */
export const missingLayerDir: Check = {
  id: "missing-layer-dir",
  needs: ["metadata", "dirs"],
  runtimes: ["containerd", "podman", "crio"], // on docker a lost layer dir is its owner's (docker-layers.ts)
  summary: "a layer record whose dir in the overlay driver home is gone",
  run(input) {
    const v = overlayView(input);
    if (v === null) return [];
    const out: Finding[] = [];
    for (const s of v.layers.values()) {
      const d = v.od.layers.get(s.id);
      if (d?.isDir || isInFlight(input, s.createdAt)) continue;
      out.push({
        check: "missing-layer-dir",
        severity: "error",
        subject: `layer ${s.id}`,
        path: s.dir,
        bytes: 0,
        message: `${s.kind} layer ${s.id} has no directory: it and everything stacked on it cannot be mounted`,
        remedy:
          s.kind === "active"
            ? `remove the container that owns this layer (${input.words.removeContainer("<container>")}); its changes are lost`
            : "remove the images (and their containers) that use this layer, then pull them again",
      });
    }
    return out;
  },
};
