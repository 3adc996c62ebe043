// runtimes/docker/config.ts — dockerd's daemon.json, reduced to what crifs needs:
//   "data-root"        default /var/lib/docker (the pre-17.05 spelling "graph" too)
//   "exec-root"        default /var/run/docker (runc state: <exec-root>/runtime-runc/moby/<id>/); when the
//                      file is silent, a running dockerd's --exec-root for this data-root (running-dockerd.ts)
//   "storage-driver"   default: whatever the data-root holds; crifs reads overlay2 only
//   "live-restore"     containers keep running while dockerd is down
// A missing file means defaults (dockerd behaves the same); an unreadable or malformed one is an error.
// With a host root (--host-root) every path here is the node's: the file, data-root and exec-root are resolved
// inside it (fs/resolve-node-path.ts), and the paths returned are the ones to open on this machine.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CrifsError, fromFsError } from "../../errors.js";
import { parseJson } from "../../formats/json/parse-json.js";
import { resolveNodePath } from "../../fs/resolve-node-path.js";
import type { RootLink } from "../../model/store.js";
import { DEFAULT_CONFIG_PATH, DEFAULT_EXEC_ROOT, DEFAULT_ROOT } from "./defaults.js";
import { runningExecRoot } from "./running-dockerd.js";

export { DEFAULT_CONFIG_PATH, DEFAULT_EXEC_ROOT, DEFAULT_ROOT };
/** The dir layerdb lives in for the overlay2 driver: what makes a dir a Docker overlay2 data-root. */
export const LAYERDB = join("image", "overlay2", "layerdb");
/** Where dockerd listens by default, and its pid file: signs of a Docker host even before the first image. */
export const DEFAULT_SOCKETS = ["/run/docker.sock", "/var/run/docker.sock"];

export interface DockerConfig {
  /** The file read, or null when it was absent and defaults apply. */
  readonly path: string | null;
  readonly root: string;
  readonly execRoot: string;
  /** The configured storage driver, or "" when not set (dockerd then picks; overlay2 on any recent kernel). */
  readonly storageDriver: string;
  readonly liveRestore: boolean;
  readonly logDriver: string;
  /** daemon.json's "features": {"containerd-snapshotter": …}: images in containerd's store; null when unset. */
  readonly containerdSnapshotter: boolean | null;
  /** The data-root as named, when it is a symlink or passes through one (shown by `info`); else null. */
  readonly rootLink: RootLink | null;
}

function onNode(path: string, hostRoot: string | undefined): string {
  return hostRoot === undefined ? path : resolveNodePath(path, hostRoot).hostPath;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function featureOf(table: Record<string, unknown>, name: string): boolean | null {
  const f = table.features;
  if (typeof f !== "object" || f === null) return null;
  const v = (f as Record<string, unknown>)[name];
  return typeof v === "boolean" ? v : null;
}

/** Reads daemon.json and applies dockerd's defaults; root/state (exec-root) options win. Cost: one small file read. */
export function readDockerConfig(
  options: {
    path?: string | undefined;
    root?: string | undefined;
    /** Overrides exec-root (dockerd's --exec-root, crifs's --state). */
    state?: string | undefined;
    /** The dir standing for the node's / (--host-root): every path above and in the file is resolved in it. */
    hostRoot?: string | undefined;
  } = {},
): DockerConfig {
  const { hostRoot } = options;
  const explicit = options.path !== undefined;
  const file = resolveNodePath(options.path ?? DEFAULT_CONFIG_PATH, hostRoot);
  const path = file.hostPath;
  let table: Record<string, unknown> = {};
  let used: string | null = null;
  if (explicit || file.exists) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw fromFsError(err, path);
    }
    let v: unknown;
    try {
      v = text.trim() === "" ? {} : parseJson(text);
    } catch (err) {
      throw err instanceof CrifsError
        ? new CrifsError(err.code, err.message, {
            path,
            remedy: "fix the file; dockerd refuses to start with it too",
          })
        : err;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new CrifsError("corrupt", "cannot read daemon.json: the top level is not an object", { path });
    table = v as Record<string, unknown>;
    used = path;
  }
  const root = resolveNodePath(
    options.root ?? str(table["data-root"]) ?? str(table.graph) ?? DEFAULT_ROOT,
    hostRoot,
  );
  const named = options.state ?? str(table["exec-root"]);
  // found when asked for: telling whether a data-root is Docker's (the adapter's detection) needs no /proc
  let execRoot = named === undefined ? undefined : onNode(named, hostRoot);
  return {
    path: used,
    root: root.hostPath,
    get execRoot() {
      execRoot ??= runningExecRoot(root.hostPath, hostRoot) ?? onNode(DEFAULT_EXEC_ROOT, hostRoot);
      return execRoot;
    },
    rootLink: root.isLink ? { path: root.named, target: root.target } : null,
    storageDriver: str(table["storage-driver"]) ?? "",
    liveRestore: table["live-restore"] === true,
    logDriver: str(table["log-driver"]) ?? "json-file",
    containerdSnapshotter: featureOf(table, "containerd-snapshotter"),
  };
}
