// runtimes/index.ts — the adapter list: one entry per runtime, a plain array (no import side effects).
// detect() says whether a runtime's store is on this host (or, with a root, whether the dir looks like its
// store) without reading metadata; load() builds the model.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RuntimeId, Store } from "../model/store.js";
import { DEFAULT_CONFIG_PATH, DEFAULT_ROOT, readContainerdConfig } from "./containerd/config.js";
import { loadContainerd, META_DB } from "./containerd/load.js";

export interface LoadOptions {
  readonly root?: string | undefined;
  readonly state?: string | undefined;
  readonly config?: string | undefined;
}

export interface Adapter {
  readonly id: RuntimeId;
  /** The default root, for messages. */
  readonly defaultRoot: string;
  /** True when this runtime's store is at the given root, or (no root) in its default or configured place. */
  detect(options: LoadOptions): boolean;
  load(options: LoadOptions): Store;
}

export const containerdAdapter: Adapter = {
  id: "containerd",
  defaultRoot: DEFAULT_ROOT,
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

export const adapters: readonly Adapter[] = [containerdAdapter];

export function adapterFor(id: string): Adapter | undefined {
  return adapters.find((a) => a.id === id);
}
