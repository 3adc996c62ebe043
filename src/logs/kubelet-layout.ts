// logs/kubelet-layout.ts — kubelet's container log layout, read from disk:
//
//   <pods dir = /var/log/pods>/
//     <namespace>_<pod>_<pod uid>/                 one dir per pod (kubelet removes it with the pod)
//       <container>/
//         <restart count>.log                      the file the runtime writes (CRI LogPath)
//         <restart count>.log.<YYYYMMDD-HHMMSS>[.gz]   rotated copies
//   <containers dir = /var/log/containers>/
//     <pod>_<namespace>_<container>-<64-hex container id>.log  →  symlink to the pod dir's <restart>.log
//
// Kubernetes names cannot contain '_', so the dir and link names split cleanly on it.

import { type Dirent, lstatSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { errnoWords } from "../errors.js";
import { nodePathAt, resolveNodePath } from "../fs/resolve-node-path.js";

export const DEFAULT_PODS_LOG_DIR = "/var/log/pods";
export const DEFAULT_CONTAINERS_LOG_DIR = "/var/log/containers";

export interface PodLogDirName {
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string;
}

/** `<namespace>_<pod>_<uid>` → its parts, or null. */
export function parsePodLogDirName(name: string): PodLogDirName | null {
  const parts = name.split("_");
  if (parts.length !== 3 || parts.some((p) => p === "")) return null;
  const [namespace, pod, uid] = parts as [string, string, string];
  return { namespace, pod, uid };
}

export interface LogLinkName {
  readonly pod: string;
  readonly namespace: string;
  readonly container: string;
  readonly containerId: string;
}

/** `<pod>_<namespace>_<container>-<64 hex>.log` → its parts, or null. */
export function parseLogLinkName(name: string): LogLinkName | null {
  const m = /^([^_]+)_([^_]+)_([^_]+)-([0-9a-f]{64})\.log$/.exec(name);
  if (m === null) return null;
  return {
    pod: m[1] as string,
    namespace: m[2] as string,
    container: m[3] as string,
    containerId: m[4] as string,
  };
}

export interface ContainerLogDir {
  readonly name: string;
  readonly path: string;
  /** File names in it (current and rotated logs), sorted. */
  readonly files: readonly string[];
}

export interface PodLogDir {
  readonly name: string;
  readonly path: string;
  /** The parsed dir name, or null when it is not `<ns>_<pod>_<uid>`. */
  readonly id: PodLogDirName | null;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly containers: readonly ContainerLogDir[];
}

export interface LogLink {
  readonly name: string;
  readonly path: string;
  /** The parsed link name, or null when it is not kubelet's. */
  readonly id: LogLinkName | null;
  /** readlink, or null when the entry is not a symlink. */
  readonly target: string | null;
  /** The target made absolute (relative targets resolve against the links' dir). */
  readonly targetPath: string | null;
  /** Whether the target exists (stat follows the link). */
  readonly resolves: boolean;
  /** What the target's path names: `…/<ns>_<pod>_<uid>/<container>/<file>`, or null when it is not that. */
  readonly targetPod: (PodLogDirName & { readonly container: string; readonly file: string }) | null;
  readonly mtimeMs: number;
}

export interface KubeletLogs {
  /** Where the dirs are on this machine (under --host-root, resolved below it). */
  readonly podsDir: string;
  readonly containersDir: string;
  /** --host-root: recorded node paths are resolved below it too (logs/find-log.ts). */
  readonly hostRoot?: string;
  readonly pods: readonly PodLogDir[];
  readonly links: readonly LogLink[];
  /** Dirs that exist but could not be read. */
  readonly problems: readonly { readonly path: string; readonly message: string }[];
}

/** Where a log path lies in the layout: `…/<ns>_<pod>_<uid>/<container>/<file>` → its parts, or null. */
export function podOfLogPath(p: string): (PodLogDirName & { container: string; file: string }) | null {
  const file = basename(p);
  const container = basename(dirname(p));
  const pod = parsePodLogDirName(basename(dirname(dirname(p))));
  if (pod === null || container === "" || file === "") return null;
  return { ...pod, container, file };
}

/** A link of this machine's containers dir: the kernel follows it. */
function followHere(path: string, dir: string, target: string | null) {
  let resolves = false;
  try {
    statSync(path);
    resolves = true;
  } catch {
    resolves = false;
  }
  return {
    resolves,
    targetPath: target === null ? null : isAbsolute(target) ? target : resolve(dir, target),
  };
}

/** A link of a node's containers dir under --host-root: its target is a node path, resolved there as in a
 * chroot (never this machine's /var/log/pods); targetPath is where that is on this machine. */
function followOnNode(nodeDir: string, target: string | null, hostRoot: string) {
  if (target === null) return { resolves: false, targetPath: null };
  let base = nodeDir;
  try {
    base = resolveNodePath(nodeDir, hostRoot).target; // a relative target starts at the dir the link is in
  } catch {
    // the dir was listed, so it resolves; if not, the named dir is as good a base as any
  }
  const named = isAbsolute(target) ? target : resolve(base, target);
  try {
    const r = resolveNodePath(named, hostRoot);
    return { resolves: r.exists, targetPath: r.hostPath };
  } catch {
    return { resolves: false, targetPath: nodePathAt(named, hostRoot) };
  }
}

/** Reads both dirs of the layout (absent dirs read as empty). Cost: a readdir per pod and container dir. */
export function readKubeletLogs(
  options: { podsDir?: string; containersDir?: string; hostRoot?: string } = {},
): KubeletLogs {
  const { hostRoot } = options;
  const nodeContainersDir = options.containersDir ?? DEFAULT_CONTAINERS_LOG_DIR;
  const podsDir = nodePathAt(options.podsDir ?? DEFAULT_PODS_LOG_DIR, hostRoot);
  const containersDir = nodePathAt(nodeContainersDir, hostRoot);
  const problems: { path: string; message: string }[] = [];
  const list = (dir: string): Dirent[] => {
    try {
      return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR")
        problems.push({ path: dir, message: `cannot list directory: ${errnoWords(code)}` });
      return [];
    }
  };
  const pods: PodLogDir[] = [];
  for (const e of list(podsDir)) {
    if (!e.isDirectory()) continue;
    const path = join(podsDir, e.name);
    let st: { mtimeMs: number; ctimeMs: number };
    try {
      st = lstatSync(path);
    } catch {
      continue; // removed while we looked
    }
    const containers = list(path)
      .filter((c) => c.isDirectory())
      .map((c) => ({
        name: c.name,
        path: join(path, c.name),
        files: list(join(path, c.name)).map((f) => f.name),
      }));
    pods.push({
      name: e.name,
      path,
      id: parsePodLogDirName(e.name),
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      containers,
    });
  }
  const links: LogLink[] = [];
  for (const e of list(containersDir)) {
    const path = join(containersDir, e.name);
    let target: string | null = null;
    let mtimeMs = 0;
    try {
      mtimeMs = lstatSync(path).mtimeMs;
      if (e.isSymbolicLink()) target = readlinkSync(path);
    } catch {
      continue; // removed while we looked
    }
    const { resolves, targetPath } =
      hostRoot === undefined
        ? followHere(path, containersDir, target)
        : followOnNode(nodeContainersDir, target, hostRoot);
    links.push({
      name: e.name,
      path,
      id: parseLogLinkName(e.name),
      target,
      targetPath,
      resolves,
      targetPod: targetPath === null ? null : podOfLogPath(targetPath),
      mtimeMs,
    });
  }
  return { podsDir, containersDir, ...(hostRoot === undefined ? {} : { hostRoot }), pods, links, problems };
}
