// logs/log-dirs.ts — which kubelet log dirs a command looks at. The defaults (/var/log/pods,
// /var/log/containers) belong to the node's runtime: they apply when crifs reads the node's store (no
// --root) or when the user names them (--log-root, --containers-log-dir). A store elsewhere (--root) is not
// the one that wrote the node's pod logs, so without the flags its commands leave the logs alone.
//
// The dirs are node paths. Under --host-root they name the node's dirs below it, and every path the logs
// code reads (the dirs, /var/log/containers links' targets, recorded log paths) is resolved there as in a
// chroot (fs/resolve-node-path.ts): a link to /var/log/pods/… is the node's, never this machine's.

import { DEFAULT_CONTAINERS_LOG_DIR, DEFAULT_PODS_LOG_DIR } from "./kubelet-layout.js";

export interface LogDirFlags {
  /** --log-root: kubelet's pods log dir. */
  readonly logRoot?: string;
  /** --containers-log-dir: kubelet's dir of per-container links. */
  readonly containersLogDir?: string;
}

export interface LogDirs {
  readonly podsDir: string;
  readonly containersDir: string;
  /** The user named at least one of them. */
  readonly isExplicit: boolean;
  /** Whether commands that check or measure the logs should look at them (see the header). */
  readonly applies: boolean;
  /** --host-root: the dirs are the node's, below it. */
  readonly hostRoot?: string;
}

/** The log dirs of a command run with these global options (`root`: --root, `hostRoot`: --host-root). */
export function logDirsFor(flags: LogDirFlags, g: { root?: string; hostRoot?: string }): LogDirs {
  const isExplicit = flags.logRoot !== undefined || flags.containersLogDir !== undefined;
  return {
    podsDir: flags.logRoot ?? DEFAULT_PODS_LOG_DIR,
    containersDir: flags.containersLogDir ?? DEFAULT_CONTAINERS_LOG_DIR,
    isExplicit,
    applies: isExplicit || g.root === undefined,
    ...(g.hostRoot === undefined ? {} : { hostRoot: g.hostRoot }),
  };
}

/** Reads --log-root / --containers-log-dir from a command's options. */
export function logDirFlags(o: Record<string, unknown>): LogDirFlags {
  return {
    ...(typeof o.logRoot === "string" ? { logRoot: o.logRoot } : {}),
    ...(typeof o.containersLogDir === "string" ? { containersLogDir: o.containersLogDir } : {}),
  };
}
