// checks/missing-layer-dir.ts — a layer record whose dir in the overlay driver home is gone: podman says
// "stat <graphroot>/overlay/<id>: no such file or directory" (or "correcting link for layer …" when it is a
// lower), docker "open …/committed: no such file or directory".

import type { RuntimeId } from "../model/store.js";
import { isInFlight } from "./check.js";
import { defineOverlayCheck } from "./driver-home.js";

/** On docker a lost layer dir is its owner's: image-missing-layer or container-missing-layer (docker-layers.ts). */
const NOT_DOCKER: readonly RuntimeId[] = ["containerd", "podman", "crio"];

/** Layer records without their dir. Cost: metadata + one readdir of the home. */
export const missingLayerDir = defineOverlayCheck({
  id: "missing-layer-dir",
  summary: "a layer record whose dir in the overlay driver home is gone",
  kind: { severity: "error", needs: ["metadata", "dirs"], runtimes: NOT_DOCKER },
  *find(input, v) {
    for (const s of v.layers.values()) {
      if (v.od.layers.get(s.id)?.isDir || isInFlight(input, s.createdAt)) continue;
      yield {
        subject: `layer ${s.id}`,
        path: s.dir,
        message: `${s.kind} layer ${s.id} has no directory: it and everything stacked on it cannot be mounted`,
        remedy:
          s.kind === "active"
            ? `remove the container that owns this layer (${input.words.removeContainer("<container>")}); its changes are lost`
            : "remove the images (and their containers) that use this layer, then pull them again",
      };
    }
  },
});
