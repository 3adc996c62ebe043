// runtimes/docker/words.ts — how doctor's findings speak to a Docker user (model/words.ts). Docker keeps a
// layer's parent in layerdb/sha256/<chain id>/parent under its data-root.

import { join } from "node:path";
import type { RuntimeWords } from "../../model/words.js";
import { LAYERDB } from "./config.js";

export const dockerWords: RuntimeWords = {
  name: "docker",
  hasNamespaces: false,
  layerRecords: "image/overlay2/layerdb",
  metadataFile: (root) => join(root, "image", "overlay2", "repositories.json"),
  // image layers by chain id: layerdb/sha256/<hex>
  layerEntry: {
    name: "layerdb entry",
    path: (root, key) => join(root, LAYERDB, "sha256", key.replace(/^sha256:/, "")),
  },
  objectPaths: "<data-root>/overlay2/<layer id>",
  danglingParent:
    "remove the images and containers that use this layer (docker image rm -f, docker rm -f), then docker image prune, and pull the images again; if dockerd refuses, stop dockerd and move the layer's layerdb entry out of the data-root",
  parentCycle:
    "nothing can mount these layers: remove the images and containers on them (docker image rm -f, docker rm -f); if dockerd refuses, stop dockerd and move their layerdb entries out of the data-root, then pull again",
  corruptFile:
    "dockerd does not start with it either: stop dockerd, keep a copy, and restore it from a backup (or move it aside and tag the images again)",
  corruptRecord:
    "docker cannot use the object either: remove it (docker rm -f, docker image rm -f) and create or pull it again; keep a copy of the file for a bug report",
  rootSetting: "data-root in /etc/docker/daemon.json (dockerd --data-root)",
  openStore: null,
  removeImage: (name) => `docker image rm -f ${name}`,
  removeContainer: (name) => `docker rm -f ${name}`,
};
