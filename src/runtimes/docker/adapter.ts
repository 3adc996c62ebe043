// runtimes/docker/adapter.ts — the Docker (overlay2) entry of the adapter list (runtimes/index.ts).
// detect: with --root, by layout alone (image/overlay2/layerdb); without, at daemon.json's data-root (default
// /var/lib/docker), or where a dockerd socket under /run says Docker is installed and its data-root exists.
// With a host root every path is the node's, resolved inside it; a root-only dir says "permission denied".

import { existsSync } from "node:fs";
import { join } from "node:path";
import { CrifsError } from "../../errors.js";
import { pathExists } from "../../fs/path-exists.js";
import { resolveNodePath } from "../../fs/resolve-node-path.js";
import { getUnixJson } from "../../live/unix-http.js";
import type { RuntimeVersion, Store } from "../../model/store.js";
import type { ApiRequest } from "../../repair/action.js";
import type { DaemonSockets } from "../index.js";
import { binaryOrMarker, versionAfterWord, versionOfBinary } from "../runtime-version.js";
import { checkDockerApiRequest, runDockerApiRequest } from "./api-repair.js";
import { DEFAULT_ROOT, DEFAULT_SOCKETS, LAYERDB, readDockerConfig } from "./config.js";
import { type EmbeddedContainerd, isContainerdImageStore } from "./containerd-store.js";
import { type DockerApiView, dockerSocket, isSameDir, readDockerApi } from "./docker-api.js";
import { readDockerDoctorMetadata } from "./doctor-metadata.js";
import { loadDocker } from "./load.js";
import { dockerWords } from "./words.js";

interface Options {
  readonly root?: string | undefined;
  readonly state?: string | undefined;
  readonly config?: string | undefined;
  readonly hostRoot?: string | undefined;
}

/** The Docker adapter; `embedded` is the containerd adapter, which reads a data-root that keeps its images in
 * containerd (runtimes/index.ts passes it: no import cycle, one containerd reader). */
export const makeDockerAdapter = (embedded: EmbeddedContainerd) => ({
  id: "docker" as const,
  defaultRoot: DEFAULT_ROOT,
  words: dockerWords,
  mountStyle: "overlay-driver" as const,
  detect(options: Options): boolean {
    const { hostRoot } = options;
    if (options.root !== undefined && hostRoot === undefined)
      return pathExists(join(options.root, LAYERDB)) || isContainerdImageStore(options.root, null);
    let root: string;
    try {
      root = readDockerConfig({ path: options.config, root: options.root, hostRoot }).root;
    } catch (err) {
      if (err instanceof CrifsError && err.code === "permission") throw err;
      return true; // a malformed daemon.json still lets load() report the error
    }
    if (pathExists(join(root, LAYERDB)) || isContainerdImageStore(root, null)) return true;
    return (
      DEFAULT_SOCKETS.some((s) => resolveNodePath(s, hostRoot).exists) && pathExists(join(root, "image"))
    );
  },
  load: (options: Options): Store => loadDocker({ ...options, embedded }),
  readDoctorMetadata: (options: Options) => readDockerDoctorMetadata({ ...options, embedded }),
  /** dockerd on PATH when it agrees with the data-root's markers, else the markers (an exec: `info` only). */
  readRuntimeVersion: (store: Store): RuntimeVersion | null =>
    binaryOrMarker(store.runtimeVersion ?? null, store.location.hostRoot, () =>
      versionOfBinary("dockerd", versionAfterWord),
    ),
  /** Removes an image through the Engine API on `socket` (docker.image.remove), no force. */
  runApiRequest: (request: ApiRequest, socket: string, timeoutMs: number): Promise<void> =>
    runDockerApiRequest(request, socket, timeoutMs),
  /** dockerd's DockerRootDir (Engine API /info). */
  readServedRoot: async (socket: string, timeoutMs: number): Promise<string | null> => {
    const info = (await getUnixJson(socket, "/info", { timeoutMs, speaker: "Docker" })) as {
      DockerRootDir?: unknown;
    } | null;
    return typeof info?.DockerRootDir === "string" && info.DockerRootDir !== "" ? info.DockerRootDir : null;
  },
  /** Null when no container uses the image and it is still there, else the reason to skip. */
  checkApiRequest: (request: ApiRequest, socket: string, timeoutMs: number): Promise<string | null> =>
    checkDockerApiRequest(request, socket, timeoutMs),
  /** dockerd's view of the store (Engine API /info) when its socket is there and its data-root is this one. */
  async readDaemonView(store: Store, sockets: DaemonSockets): Promise<DockerApiView | undefined> {
    const socket = dockerSocket(sockets.dockerHost);
    if (socket === null || !existsSync(socket)) return undefined;
    const v = await readDockerApi(socket, { timeoutMs: sockets.timeoutMs });
    return isSameDir(v.rootDir, store.location.root) ? v : undefined;
  },
});
