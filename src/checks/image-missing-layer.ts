// checks/image-missing-layer.ts — an image whose layers are not all recorded: podman warns "Top layer <id>
// of image <id> not found in layer tree" and cannot run it. A missing layer that a recorded layer still names
// as its parent is left to dangling-parent. Overlay-driver stores only: a containerd image may rightly not be
// unpacked in a snapshotter. Docker stores: see docker-layers.ts (layers by chain id; a layer's lost cache dir).

import { join } from "node:path";
import { EVERY_RUNTIME } from "./check.js";
import { dockerImageLayerFindings } from "./docker-layers.js";
import { defineOverlayCheck } from "./driver-home.js";

/** Images naming layers no record has. Cost: metadata only. */
export const imageMissingLayer = defineOverlayCheck({
  id: "image-missing-layer",
  summary: "an image whose top layer (or a layer below it) has no layer record",
  kind: { severity: "error", needs: ["metadata"], runtimes: EVERY_RUNTIME },
  *find(input, v) {
    for (const img of v.store.images) {
      const name = img.name === "" ? img.digest : img.name;
      for (const key of img.snapshotKeys) {
        if (v.layers.has(key) || v.parents.has(key)) continue;
        yield {
          subject: `image ${name}`,
          path: join(v.od.home, key),
          message: `image ${img.name === "" ? img.digest : `"${img.name}"`} names layer ${key}, which has no layer record: it cannot be run`,
          remedy: `remove the image (${input.words.removeImage(name)}) and pull it again`,
        };
      }
    }
  },
  onDocker: dockerImageLayerFindings,
});
