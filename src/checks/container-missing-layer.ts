// checks/container-missing-layer.ts — a container whose writable layer has no layer record: podman start
// fails with "mounting storage for container <id>: layer not known". Overlay-driver stores only. Docker stores:
// see docker-layers.ts (a container's rw or -init layer dir gone).

import { join } from "node:path";
import { EVERY_RUNTIME, isInFlight } from "./check.js";
import { dockerContainerLayerFindings } from "./docker-layers.js";
import { defineOverlayCheck } from "./driver-home.js";

/** Containers whose layer is not recorded. Cost: metadata only. */
export const containerMissingLayer = defineOverlayCheck({
  id: "container-missing-layer",
  summary: "a container whose writable layer has no layer record",
  kind: { severity: "error", needs: ["metadata"], runtimes: EVERY_RUNTIME },
  *find(input, v) {
    for (const c of v.store.containers) {
      if (c.snapshotKey === "" || v.layers.has(c.snapshotKey) || isInFlight(input, c.createdAt)) continue;
      yield {
        subject: `container ${c.id}`,
        path: join(v.od.home, c.snapshotKey),
        message: `container ${c.id} names layer ${c.snapshotKey}, which has no layer record: it cannot start`,
        remedy: `remove the container (${input.words.removeContainer(c.names?.[0] ?? c.id)}) and create it again`,
      };
    }
  },
  onDocker: dockerContainerLayerFindings,
});
