// logs/log-dirs.ts — which kubelet log dirs a command looks at. The defaults (/var/log/pods,
// /var/log/containers) belong to the host's runtime: they apply when crifs reads the host's store (no
// --root) or when the user names them (--log-root, --containers-log-dir). A store elsewhere (--root) is not
// the one that wrote the host's pod logs, so without the flags its commands leave the logs alone.

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
}

export function logDirsFor(flags: LogDirFlags, storeRoot: string | undefined): LogDirs {
  const isExplicit = flags.logRoot !== undefined || flags.containersLogDir !== undefined;
  return {
    podsDir: flags.logRoot ?? DEFAULT_PODS_LOG_DIR,
    containersDir: flags.containersLogDir ?? DEFAULT_CONTAINERS_LOG_DIR,
    isExplicit,
    applies: isExplicit || storeRoot === undefined,
  };
}

/** Reads --log-root / --containers-log-dir from a command's options. */
export function logDirFlags(o: Record<string, unknown>): LogDirFlags {
  return {
    ...(typeof o.logRoot === "string" ? { logRoot: o.logRoot } : {}),
    ...(typeof o.containersLogDir === "string" ? { containersLogDir: o.containersLogDir } : {}),
  };
}
