// runtimes/index.ts — the adapter list: one entry per runtime, a plain array (no import side effects).
// detect() says whether a runtime's store is on this host (or, with a root, whether the dir looks like its
// store) without reading metadata; load() builds the model.
// "Absent" and "not allowed to look" differ: detect() says false only for what is not there (fs/path-exists);
// a store a non-root user cannot read throws "permission denied" naming the path (exit 77).
// With a host root (--host-root) every path, flags' and configs' alike, is the node's, resolved inside it.

import { join } from "node:path";
import { CrifsError } from "../errors.js";
import { pathExists } from "../fs/path-exists.js";
import { resolveNodePath } from "../fs/resolve-node-path.js";
import type { RuntimeId, Store } from "../model/store.js";
import type { RuntimeWords } from "../model/words.js";
import { DEFAULT_ROOT, readContainerdConfig } from "./containerd/config.js";
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
  /** --host-root: the dir standing for the node's /; root, state and config are resolved inside it. */
  readonly hostRoot?: string | undefined;
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

/** Rethrows a permission error (the caller must say it); anything else is the load's to report. */
function rethrowPermission(err: unknown): void {
  if (err instanceof CrifsError && err.code === "permission") throw err;
}

export const containerdAdapter: Adapter = {
  id: "containerd",
  defaultRoot: DEFAULT_ROOT,
  words: containerdWords,
  detect(options) {
    if (options.root !== undefined && options.hostRoot === undefined)
      return pathExists(join(options.root, META_DB));
    let root: string;
    try {
      root = readContainerdConfig({
        path: options.config,
        root: options.root,
        hostRoot: options.hostRoot,
      }).root;
    } catch (err) {
      rethrowPermission(err);
      return true; // a malformed config still lets load() report the error
    }
    return pathExists(join(root, META_DB));
  },
  load: (options) => loadContainerd(options),
};

function isCrioInstalled(hostRoot: string | undefined): boolean {
  return ["/etc/crio", "/usr/bin/crio", "/usr/local/bin/crio"].some(
    (p) => resolveNodePath(p, hostRoot).exists,
  );
}

/** Which of the two a c/storage graphroot belongs to: podman keeps libpod/ in it; CRI-O does not. */
function claims(id: "podman" | "crio", graphroot: string, hostRoot: string | undefined): boolean {
  if (!pathExists(join(graphroot, LAYERS_JSON))) return false;
  const byPodman = pathExists(join(graphroot, "libpod")) || !isCrioInstalled(hostRoot);
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
      const { hostRoot } = options;
      if (options.root !== undefined && hostRoot === undefined) return claims(id, options.root, hostRoot);
      let graphroot: string;
      try {
        const c = readStorageConfig({
          path: options.config,
          root: options.root,
          runroot: options.state,
          crio: id === "crio",
          hostRoot,
        });
        graphroot = c.graphroot;
      } catch (err) {
        rethrowPermission(err);
        return false; // a config of another runtime (--config names containerd's) is not ours
      }
      return claims(id, graphroot, hostRoot);
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

// doctor's disk facts of containerd's own objects (snapshot dirs, blobs, ingests, tmpmounts, layer contents)
export { readContainerdDiskFacts } from "./containerd/doctor-facts.js";
export { readLayerContents } from "./containerd/layer-contents.js";
