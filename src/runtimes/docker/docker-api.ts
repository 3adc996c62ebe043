// runtimes/docker/docker-api.ts — Docker's view of its own store, from the Engine API on its unix socket (node:http,
// no client library): GET /info, /version, /images/json, /containers/json?all=1, /system/df. Used by `crifs info` to
// put the daemon's counts beside what crifs read from disk, when the socket answers.

import { realpathSync } from "node:fs";
import { socketPath } from "../../live/address.js";
import { getUnixJson } from "../../live/unix-http.js";

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/** The Docker socket: --docker-host, else $DOCKER_HOST (unix:// only), else /var/run/docker.sock. */
export function dockerSocket(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const v = flag ?? env.DOCKER_HOST;
  return v === undefined || v === "" ? DEFAULT_DOCKER_SOCKET : socketPath(v);
}

export interface DockerApiView {
  readonly source: "docker-api";
  readonly socket: string;
  readonly serverVersion: string;
  /** The Engine API version the daemon speaks (/version's ApiVersion), e.g. "1.45". */
  readonly apiVersion: string;
  readonly storageDriver: string;
  readonly rootDir: string;
  readonly counts: {
    readonly images: number;
    readonly containers: number;
    readonly containersRunning: number;
  };
  /** /system/df's LayersSize: bytes of every image layer, as dockerd counts them. */
  readonly layersSize: number | null;
  readonly images: readonly {
    readonly id: string;
    readonly tags: readonly string[];
    readonly size: number;
  }[];
  readonly containers: readonly {
    readonly id: string;
    readonly names: readonly string[];
    readonly image: string;
    readonly state: string;
  }[];
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => (typeof v === "number" ? v : 0);

/** Shapes the four answers into the view (pure; unknown fields are ignored, missing ones read empty). */
export function parseDockerApi(
  socket: string,
  answers: { info: unknown; version?: unknown; images: unknown; containers: unknown; df: unknown },
): DockerApiView {
  const info = obj(answers.info);
  const version = obj(answers.version);
  const df = obj(answers.df);
  const images = arr(answers.images).map((i) => ({
    id: str(obj(i).Id),
    tags: arr(obj(i).RepoTags)
      .map(str)
      .filter((t) => t !== "" && t !== "<none>:<none>"),
    size: num(obj(i).Size),
  }));
  const containers = arr(answers.containers).map((c) => ({
    id: str(obj(c).Id),
    names: arr(obj(c).Names)
      .map(str)
      .map((n) => n.replace(/^\//, "")),
    image: str(obj(c).Image),
    state: str(obj(c).State),
  }));
  return {
    source: "docker-api",
    socket,
    serverVersion: str(info.ServerVersion) || str(version.Version),
    apiVersion: str(version.ApiVersion),
    storageDriver: str(info.Driver),
    rootDir: str(info.DockerRootDir),
    counts: {
      images: typeof info.Images === "number" ? info.Images : images.length,
      containers: typeof info.Containers === "number" ? info.Containers : containers.length,
      containersRunning: num(info.ContainersRunning),
    },
    layersSize: typeof df.LayersSize === "number" ? df.LayersSize : null,
    images,
    containers,
  };
}

/** Asks dockerd on `socket`. Cost: five requests; /system/df makes dockerd walk its layers. */
export async function readDockerApi(
  socket: string,
  options: { timeoutMs?: number } = {},
): Promise<DockerApiView> {
  const o = { ...options, speaker: "Docker" };
  const [info, version, images, containers, df] = await Promise.all([
    getUnixJson(socket, "/info", o),
    // the API version only adds to the view: a daemon (or proxy) that does not serve /version still has one
    getUnixJson(socket, "/version", o).catch(() => null),
    getUnixJson(socket, "/images/json", o),
    getUnixJson(socket, "/containers/json?all=1", o),
    getUnixJson(socket, "/system/df", o),
  ]);
  return parseDockerApi(socket, { info, version, images, containers, df });
}

/** Whether two paths name the same dir (symlinks resolved; a path that does not resolve is compared as is). */
export function isSameDir(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  return real(a) === real(b);
}
