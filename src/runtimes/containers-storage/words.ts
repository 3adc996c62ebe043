// runtimes/containers-storage/words.ts — how doctor's findings speak to a podman or CRI-O user (model/words.ts).
// Both keep their records in containers/storage's JSON files; they differ in the tools that remove objects.
// `podman system check --repair` exists from podman 5 on (Debian 12 ships 4.3), so it is named as such.

import { join } from "node:path";
import type { RuntimeWords } from "../../model/words.js";
import { LAYERS_JSON } from "./load.js";

/** What podman and CRI-O say alike: they share containers/storage's files. */
const STORE_WORDS = {
  hasNamespaces: false,
  layerRecords: "layers.json",
  metadataFile: (root: string) => join(root, LAYERS_JSON),
  layerEntry: null,
  objectPaths: "<graphroot>/overlay/<layer id>",
} as const satisfies Partial<RuntimeWords>;

export const podmanWords: RuntimeWords = {
  name: "podman",
  ...STORE_WORDS,
  danglingParent:
    "remove the images and containers that use this layer (podman image rm -f, podman rm -f) and pull the images again; podman 5 and later: podman system check --repair removes such layers",
  parentCycle:
    "nothing can mount these layers: remove the images and containers on them (podman image rm -f, podman rm -f), or with podman idle restore layers.json from a backup; podman 5 and later: podman system check --repair",
  corruptFile:
    "containers/storage silently reads it as empty and forgets what it lists: keep a copy, restore it from a backup before podman writes over it (podman system check, podman 5 and later, reports the rest)",
  corruptRecord:
    "remove the object (podman image rm -f, podman rm -f) and pull or create it again; keep a copy of the file for a bug report",
  rootSetting: "graphroot in /etc/containers/storage.conf",
  openStore: "podman images",
  removeImage: (name) => `podman image rm -f ${name}`,
  removeContainer: (name) => `podman rm -f ${name}`,
};

export const crioWords: RuntimeWords = {
  name: "CRI-O",
  ...STORE_WORDS,
  danglingParent:
    "remove the images and containers that use this layer (crictl rmi, crictl rm) and let the kubelet pull the images again",
  parentCycle:
    "nothing can mount these layers: remove the images and containers on them (crictl rmi, crictl rm), or with CRI-O stopped (systemctl stop crio) restore layers.json from a backup",
  corruptFile:
    "containers/storage silently reads it as empty and forgets what it lists: keep a copy, stop CRI-O (systemctl stop crio) and restore it from a backup before CRI-O writes over it",
  corruptRecord:
    "remove the object (crictl rmi, crictl rm) and let the kubelet pull or create it again; keep a copy of the file for a bug report",
  rootSetting: "root in crio.conf ([crio] root) or graphroot in /etc/containers/storage.conf",
  openStore: null,
  removeImage: (name) => `crictl rmi ${name}`,
  removeContainer: (name) => `crictl rm -f ${name}`,
};
