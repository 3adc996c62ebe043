// runtimes/index.ts — the adapter list: one entry per runtime, a plain array (no import side effects).
// detect() says whether a runtime's store is on this host (or, with a root, whether the dir looks like its
// store) without reading metadata; load() builds the model.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RuntimeId, Store } from "../model/store.js";
import type { RuntimeWords } from "../model/words.js";
import { DEFAULT_CONFIG_PATH, DEFAULT_ROOT, readContainerdConfig } from "./containerd/config.js";
import { loadContainerd, META_DB } from "./containerd/load.js";
import { containerdWords } from "./containerd/words.js";
import { DEFAULT_GRAPHROOT, readStorageConfig } from "./containers-storage/config.js";
import { LAYERS_JSON, loadContainersStorage } from "./containers-storage/load.js";
import { crioWords, podmanWords } from "./containers-storage/words.js";
import { dockerAdapter } from "./docker/adapter.js";

export interface LoadOptions {
  readonly root?: string | undefined;
  readonly state?: string | undefined;
  readonly config?: string | undefined;
}

export interface Adapter {
  readonly id: RuntimeId;
  /** The default root, for messages. */
  readonly defaultRoot: string;
  /** How findings and notes speak of this runtime: its tools and files (src/runtimes/<runtime>/words.ts). */
  readonly words: RuntimeWords;
  /** True when this runtime's store is at the given root, or (no root) in its default or configured place. */
  detect(options: LoadOptions): boolean;
  load(options: LoadOptions): Store;
}

export const containerdAdapter: Adapter = {
  id: "containerd",
  defaultRoot: DEFAULT_ROOT,
  words: containerdWords,
  detect(options) {
    if (options.root !== undefined) return existsSync(join(options.root, META_DB));
    let root = DEFAULT_ROOT;
    const cfgPath = options.config ?? DEFAULT_CONFIG_PATH;
    if (existsSync(cfgPath)) {
      try {
        root = readContainerdConfig({ path: cfgPath }).root;
      } catch {
        // an unreadable config still lets load() report the error
        return true;
      }
    }
    return existsSync(join(root, META_DB));
  },
  load: (options) => loadContainerd(options),
};

function isCrioInstalled(): boolean {
  return existsSync("/etc/crio") || existsSync("/usr/bin/crio") || existsSync("/usr/local/bin/crio");
}

/** Which of the two a c/storage graphroot belongs to: podman keeps libpod/ in it; CRI-O does not. */
function claims(id: "podman" | "crio", graphroot: string): boolean {
  if (!existsSync(join(graphroot, LAYERS_JSON))) return false;
  const byPodman = existsSync(join(graphroot, "libpod")) || !isCrioInstalled();
  return id === "podman" ? byPodman : !byPodman;
}

/** Podman and CRI-O share containers/storage: one loader; CRI-O also reads crio.conf for its root. With a
 * root, detection is by layout alone (`overlay-layers/layers.json`; libpod/ or no CRI-O says podman). */
function containersStorageAdapter(id: "podman" | "crio"): Adapter {
  return {
    id,
    defaultRoot: DEFAULT_GRAPHROOT,
    words: id === "podman" ? podmanWords : crioWords,
    detect(options) {
      if (options.root !== undefined) return claims(id, options.root);
      try {
        const c = readStorageConfig({ path: options.config, runroot: options.state, crio: id === "crio" });
        return claims(id, c.graphroot);
      } catch {
        return false; // a config of another runtime (--config names containerd's) is not ours
      }
    },
    load: (options) => loadContainersStorage({ ...options, runtime: id }),
  };
}

export const podmanAdapter = containersStorageAdapter("podman");
export const crioAdapter = containersStorageAdapter("crio");

export const adapters: readonly Adapter[] = [containerdAdapter, podmanAdapter, crioAdapter, dockerAdapter];

export function adapterFor(id: string): Adapter | undefined {
  return adapters.find((a) => a.id === id);
}

/** The words of a runtime (containerd's for an id no adapter has, which only a live store could carry). */
export function wordsFor(id: RuntimeId): RuntimeWords {
  return adapterFor(id)?.words ?? containerdWords;
}
