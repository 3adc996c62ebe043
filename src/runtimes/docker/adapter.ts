// runtimes/docker/adapter.ts — the Docker (overlay2) entry of the adapter list (runtimes/index.ts).
// detect: with --root, by layout alone (image/overlay2/layerdb); without, at daemon.json's data-root (default
// /var/lib/docker), or where a dockerd socket under /run says Docker is installed and its data-root exists.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../../model/store.js";
import { DEFAULT_CONFIG_PATH, DEFAULT_ROOT, DEFAULT_SOCKETS, LAYERDB, readDockerConfig } from "./config.js";
import { loadDocker } from "./load.js";
import { dockerWords } from "./words.js";

interface Options {
  readonly root?: string | undefined;
  readonly state?: string | undefined;
  readonly config?: string | undefined;
}

export const dockerAdapter = {
  id: "docker" as const,
  defaultRoot: DEFAULT_ROOT,
  words: dockerWords,
  detect(options: Options): boolean {
    if (options.root !== undefined) return existsSync(join(options.root, LAYERDB));
    let root = DEFAULT_ROOT;
    const cfgPath = options.config ?? DEFAULT_CONFIG_PATH;
    if (existsSync(cfgPath)) {
      try {
        root = readDockerConfig({ path: cfgPath }).root;
      } catch {
        // an unreadable daemon.json still lets load() report the error
        return true;
      }
    }
    if (existsSync(join(root, LAYERDB))) return true;
    return DEFAULT_SOCKETS.some((s) => existsSync(s)) && existsSync(join(root, "image"));
  },
  load: (options: Options): Store => loadDocker(options),
};
