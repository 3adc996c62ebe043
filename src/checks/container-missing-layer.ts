// checks/container-missing-layer.ts — a container whose writable layer has no layer record: podman start
// fails with "mounting storage for container <id>: layer not known". Overlay-driver stores only. Docker stores:
// see docker-layers.ts (a container's rw or -init layer dir gone).

import { join } from "node:path";
import type { Check, Finding } from "./check.js";
import { EVERY_RUNTIME, isInFlight } from "./check.js";
import { dockerContainerLayerFindings, isDockerInput } from "./docker-layers.js";
import { overlayView } from "./driver-home.js";

/** Containers whose layer is not recorded. Cost: metadata only. */
export const containerMissingLayer: Check = {
  id: "container-missing-layer",
  needs: ["metadata"],
  runtimes: EVERY_RUNTIME,
  summary: "a container whose writable layer has no layer record",
  run(input) {
    if (isDockerInput(input)) return dockerContainerLayerFindings(input);
    const v = overlayView(input);
    if (v === null) return [];
    const out: Finding[] = [];
    for (const c of v.store.containers) {
      if (c.snapshotKey === "" || v.layers.has(c.snapshotKey) || isInFlight(input, c.createdAt)) continue;
      out.push({
        check: "container-missing-layer",
        severity: "error",
        subject: `container ${c.id}`,
        path: join(v.od.home, c.snapshotKey),
        bytes: 0,
        message: `container ${c.id} names layer ${c.snapshotKey}, which has no layer record: it cannot start`,
        remedy: `remove the container (${input.words.removeContainer(c.names?.[0] ?? c.id)}) and create it again`,
      });
    }
    return out;
  },
};
