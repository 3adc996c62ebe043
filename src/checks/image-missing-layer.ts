// checks/image-missing-layer.ts — an image whose layers are not all recorded: podman warns "Top layer <id>
// of image <id> not found in layer tree" and cannot run it. A missing layer that a recorded layer still names
// as its parent is left to dangling-parent. Overlay-driver stores only: a containerd image may rightly not be
// unpacked in a snapshotter. Docker stores: see docker-layers.ts (layers by chain id; a layer's lost cache dir).

import { join } from "node:path";
import type { Check, Finding } from "./check.js";
import { EVERY_RUNTIME } from "./check.js";
import { dockerImageLayerFindings, isDockerInput } from "./docker-layers.js";
import { overlayView } from "./driver-home.js";

/** Images naming layers no record has. Cost: metadata only. */
export const imageMissingLayer: Check = {
  id: "image-missing-layer",
  needs: ["metadata"],
  runtimes: EVERY_RUNTIME,
  summary: "an image whose top layer (or a layer below it) has no layer record",
  run(input) {
    if (isDockerInput(input)) return dockerImageLayerFindings(input);
    const v = overlayView(input);
    if (v === null) return [];
    const out: Finding[] = [];
    for (const img of v.store.images) {
      for (const key of img.snapshotKeys) {
        if (v.layers.has(key) || v.parents.has(key)) continue;
        out.push({
          check: "image-missing-layer",
          severity: "error",
          subject: `image ${img.name === "" ? img.digest : img.name}`,
          path: join(v.od.home, key),
          bytes: 0,
          message: `image ${img.name === "" ? img.digest : `"${img.name}"`} names layer ${key}, which has no layer record: it cannot be run`,
          remedy: `remove the image (${input.words.removeImage(img.name === "" ? img.digest : img.name)}) and pull it again`,
        });
      }
    }
    return out;
  },
};
