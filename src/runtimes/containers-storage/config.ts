// runtimes/containers-storage/config.ts — where a containers/storage store lives, from storage.conf (and, for
// CRI-O, crio.conf), reduced to what crifs needs:
//   storage.conf  [storage] driver graphroot runroot   [storage.options.overlay] mountopt mount_program
//                 the first file that exists wins, no merging (c/storage's own rule):
//                 /etc/containers/storage.conf, else /usr/share/containers/storage.conf, else built-in defaults
//   crio.conf     [crio] root runroot storage_driver, over storage.conf; /etc/crio/crio.conf, then every
//                 /etc/crio/crio.conf.d/*.conf in name order (later files win, like CRI-O)
// Flags win over both: --root is the graphroot, --state the runroot. A missing file means defaults; an
// unreadable or malformed one is an error. With a host root (--host-root) every path here is the node's: the
// files, the drop-ins, graphroot and runroot are resolved inside it (fs/resolve-node-path.ts), and the paths
// returned are the ones to open on this machine.

import { readdirSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import { parse as parseToml } from "smol-toml";
import { CrifsError, fromFsError } from "../../errors.js";
import { type NodePath, resolveNodePath } from "../../fs/resolve-node-path.js";
import type { RootLink } from "../../model/store.js";

export const DEFAULT_GRAPHROOT = "/var/lib/containers/storage";
export const DEFAULT_RUNROOT = "/run/containers/storage";
export const STORAGE_CONF_PATHS = ["/etc/containers/storage.conf", "/usr/share/containers/storage.conf"];
export const CRIO_CONF_PATH = "/etc/crio/crio.conf";

export interface StorageConfig {
  /** The storage.conf read, or null when none exists and defaults apply. */
  readonly path: string | null;
  /** crio.conf files read (CRI-O only), in order. */
  readonly crioPaths: readonly string[];
  readonly graphroot: string;
  readonly runroot: string;
  /** Storage driver: "overlay" unless configured. */
  readonly driver: string;
  /** [storage.options.overlay] mountopt, e.g. "nodev" ("" when unset). */
  readonly mountopt: string;
  /** [storage.options.overlay] mount_program, e.g. /usr/bin/fuse-overlayfs ("" when unset). */
  readonly mountProgram: string;
  /** The graphroot as named, when it is a symlink or passes through one (shown by `info`); else null. */
  readonly rootLink: RootLink | null;
}

export interface StorageConfigOptions {
  /** storage.conf to read instead of the default search (podman) or crio.conf (crio). */
  readonly path?: string | undefined;
  /** Overrides graphroot. */
  readonly root?: string | undefined;
  /** Overrides runroot. */
  readonly runroot?: string | undefined;
  /** Also read crio.conf (CRI-O's own root/runroot/storage_driver win over storage.conf). Default false. */
  readonly crio?: boolean | undefined;
  /** The dir standing for the node's / (--host-root): every path above and in the files is resolved in it. */
  readonly hostRoot?: string | undefined;
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function table(t: Table | undefined, key: string): Table | undefined {
  const v = t?.[key];
  return isTable(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function readToml(path: string, what: string): Table {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw fromFsError(err, path, `read ${what}`);
  }
  try {
    return parseToml(text) as Table;
  } catch (err) {
    throw new CrifsError(
      "corrupt",
      `cannot parse ${what}: ${(err as Error).message.split("\n")[0] ?? "invalid TOML"}`,
      {
        path,
        remedy: "fix the TOML syntax (the runtime cannot read it either)",
        cause: err,
      },
    );
  }
}

/** crio.conf files in the order CRI-O applies them (host paths). */
function crioConfPaths(path: string | undefined, hostRoot: string | undefined): string[] {
  const main = resolveNodePath(path ?? CRIO_CONF_PATH, hostRoot);
  if (path !== undefined && !main.exists)
    throw new CrifsError("not-found", "cannot read crio config: no such file", {
      path: main.hostPath,
      remedy: "pass the crio.conf CRI-O runs with, or leave --config out",
    });
  const out = main.exists ? [main.hostPath] : [];
  const dropIns = resolveNodePath(`${main.named}.d`, hostRoot);
  if (!dropIns.exists) return out;
  let names: string[];
  try {
    names = readdirSync(dropIns.hostPath).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") return out;
    throw fromFsError(err, dropIns.hostPath, "list crio drop-ins");
  }
  for (const n of names) {
    if (!n.endsWith(".conf")) continue;
    // a drop-in may be a symlink (an absolute one points into the node's /): resolved as a node path
    const dropIn = resolveNodePath(posix.join(dropIns.target, n), hostRoot);
    if (dropIn.exists) out.push(dropIn.hostPath);
  }
  return out;
}

/** The first storage.conf that exists, or null (defaults). */
function storageConfPath(options: StorageConfigOptions): string | null {
  if (options.crio !== true && options.path !== undefined) {
    const named = resolveNodePath(options.path, options.hostRoot);
    if (!named.exists)
      throw new CrifsError("not-found", "cannot read storage.conf: no such file", {
        path: named.hostPath,
        remedy: "pass the storage.conf the runtime uses, or leave --config out",
      });
    return named.hostPath;
  }
  for (const p of STORAGE_CONF_PATHS) {
    const found = resolveNodePath(p, options.hostRoot);
    if (found.exists) return found.hostPath;
  }
  return null;
}

/** A dir the config names: as named without a host root (the kernel resolves it), inside it with one. */
function resolveIn(named: string, hostRoot: string | undefined): Pick<NodePath, "hostPath"> {
  return hostRoot === undefined ? { hostPath: named } : resolveNodePath(named, hostRoot);
}

/** Reads storage.conf (and crio.conf for CRI-O). Cost: one or a few small files. */
export function readStorageConfig(options: StorageConfigOptions = {}): StorageConfig {
  const crio = options.crio === true;
  const path = storageConfPath(options);
  const conf = path === null ? {} : readToml(path, "storage.conf");
  const storage = table(conf, "storage");
  const overlay = table(table(table(conf, "storage"), "options"), "overlay");
  let graphroot = str(storage?.graphroot) ?? DEFAULT_GRAPHROOT;
  let runroot = str(storage?.runroot) ?? DEFAULT_RUNROOT;
  let driver = str(storage?.driver) ?? "overlay";
  const crioPaths = crio ? crioConfPaths(options.path, options.hostRoot) : [];
  for (const p of crioPaths) {
    const c = table(readToml(p, "crio config"), "crio");
    graphroot = str(c?.root) ?? graphroot;
    runroot = str(c?.runroot) ?? runroot;
    driver = str(c?.storage_driver) ?? driver;
  }
  const root = resolveNodePath(options.root ?? graphroot, options.hostRoot);
  return {
    path,
    crioPaths,
    graphroot: root.hostPath,
    runroot: resolveIn(options.runroot ?? runroot, options.hostRoot).hostPath,
    driver,
    mountopt: str(overlay?.mountopt) ?? "",
    mountProgram: str(overlay?.mount_program) ?? "",
    rootLink: root.isLink ? { path: root.named, target: root.target } : null,
  };
}
