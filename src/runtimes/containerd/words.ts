// runtimes/containerd/words.ts — how doctor's findings speak to a containerd user (model/words.ts).

import { join } from "node:path";
import type { RuntimeWords } from "../../model/words.js";
import { META_DB } from "./load.js";

export const containerdWords: RuntimeWords = {
  name: "containerd",
  hasNamespaces: true,
  layerRecords: "meta.db",
  metadataFile: (root) => join(root, META_DB),
  layerEntry: null,
  objectPaths: "<root>/io.containerd.snapshotter.v1.overlayfs/snapshots or …/content/blobs",
  danglingParent:
    "with containerd stopped, remove the child's record and dir (or restore the parent's record from a backup of meta.db); then let GC collect what the parent held",
  parentCycle: "with containerd stopped, remove the records on the cycle; nothing can mount them",
  corruptFile:
    "containerd cannot open it either: stop containerd, keep a copy of the file, and restore it from a backup (or move it aside and re-pull images)",
  corruptRecord:
    "remove the object with ctr and recreate it (pull the image again); keep a copy of the file for a bug report",
  rootSetting: "root in /etc/containerd/config.toml",
  openStore: null,
  removeImage: (name) => `ctr images rm ${name}`,
  removeContainer: (name) => `ctr containers rm ${name}`,
};
