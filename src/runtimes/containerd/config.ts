// runtimes/containerd/config.ts — containerd's config.toml (version 1 and 2), reduced to what crifs needs:
//   root, state                       defaults /var/lib/containerd, /run/containerd
//   [grpc] address                    default <state>/containerd.sock
//   plugin_dir, disabled_plugins, imports (merged in order, later files win, like containerd)
//   CRI plugin: sandbox_image, containerd.snapshotter, cni.bin_dir/conf_dir
//     v2: [plugins."io.containerd.grpc.v1.cri"]   v1: [plugins.cri]
//   overlayfs snapshotter root_path   default <root>/io.containerd.snapshotter.v1.overlayfs
// A missing file means defaults (containerd behaves the same); an unreadable or malformed one is an error.
// With a host root (--host-root) every path here is the node's: the file, its imports, root, state and
// root_path are resolved inside the host root (fs/resolve-node-path.ts), and the paths returned are the ones
// to open on this machine.

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, posix } from "node:path";
import { parse as parseToml } from "smol-toml";
import { CrifsError, fromFsError } from "../../errors.js";
import { resolveNodePath } from "../../fs/resolve-node-path.js";
import type { RootLink } from "../../model/store.js";

export const DEFAULT_CONFIG_PATH = "/etc/containerd/config.toml";
export const DEFAULT_ROOT = "/var/lib/containerd";
export const DEFAULT_STATE = "/run/containerd";

export interface ContainerdConfig {
  /** The file read, or null when it was absent and defaults apply. */
  readonly path: string | null;
  readonly version: number;
  readonly root: string;
  readonly state: string;
  readonly grpcAddress: string;
  readonly pluginDir: string | null;
  readonly disabledPlugins: readonly string[];
  /** Snapshotter the CRI plugin uses (also ctr's default): "overlayfs" unless configured. */
  readonly snapshotter: string;
  readonly sandboxImage: string;
  readonly cniBinDir: string;
  readonly cniConfDir: string;
  /** Root dir of the overlayfs snapshotter. */
  readonly overlayfsRoot: string;
  readonly contentRoot: string;
  readonly imports: readonly string[];
  /** The root as named, when it is a symlink or passes through one (shown by `info`); else null. */
  readonly rootLink: RootLink | null;
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function at(table: Table, path: readonly string[]): unknown {
  let cur: unknown = table;
  for (const p of path) {
    if (!isTable(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** Deep merge, b over a (containerd merges imported files the same way: tables merge, values replace). */
function merge(a: Table, b: Table): Table {
  const out: Table = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isTable(prev) && isTable(v) ? merge(prev, v) : v;
  }
  return out;
}

function parseFile(path: string): Table {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw fromFsError(err, path);
  }
  try {
    return parseToml(text) as Table;
  } catch (err) {
    const line = (err as { line?: number }).line;
    const where = line === undefined ? "" : ` at line ${line}`;
    const first = String((err as Error).message).split("\n")[0];
    throw new CrifsError("corrupt", `cannot parse TOML${where}: ${first}`, {
      path,
      remedy: "fix the file; containerd refuses to start with it too",
    });
  }
}

export interface ContainerdConfigOptions {
  /** config.toml; default /etc/containerd/config.toml (absent: defaults). */
  readonly path?: string | undefined;
  /** Overrides root. */
  readonly root?: string | undefined;
  /** Overrides state. */
  readonly state?: string | undefined;
  /** The dir standing for the node's / (--host-root): every path above and in the files is resolved in it. */
  readonly hostRoot?: string | undefined;
}

/** Reads config.toml (and its imports) and applies containerd's defaults. Cost: one small file read. */
export function readContainerdConfig(options: ContainerdConfigOptions = {}): ContainerdConfig {
  const { hostRoot } = options;
  const explicit = options.path !== undefined;
  const path = options.path ?? DEFAULT_CONFIG_PATH;
  const file = resolveNodePath(path, hostRoot);
  let table: Table = {};
  let used: string | null = null;
  const imports: string[] = [];
  if (file.exists || explicit) {
    table = parseFile(file.hostPath);
    used = file.hostPath;
    const list = table.imports;
    if (Array.isArray(list)) {
      for (const item of list) {
        if (typeof item !== "string") continue;
        // a node path: relative to the config's dir as named (containerd joins the strings)
        const imported = resolveNodePath(isAbsolute(item) ? item : posix.join(dirname(path), item), hostRoot);
        if (!imported.exists) continue; // containerd skips imports that match nothing
        table = merge(table, parseFile(imported.hostPath));
        imports.push(imported.hostPath);
      }
    }
  }
  const version = typeof table.version === "number" ? table.version : 1;
  const rootAt = resolveNodePath(options.root ?? str(table.root) ?? DEFAULT_ROOT, hostRoot);
  const root = rootAt.hostPath;
  const state = resolveIn(hostRoot, options.state ?? str(table.state) ?? DEFAULT_STATE).hostPath;
  const cri =
    (version >= 2 ? at(table, ["plugins", "io.containerd.grpc.v1.cri"]) : at(table, ["plugins", "cri"])) ??
    {};
  const criTable: Table = isTable(cri) ? cri : {};
  const overlay = at(table, ["plugins", "io.containerd.snapshotter.v1.overlayfs"]);
  return {
    path: used,
    version,
    root,
    state,
    grpcAddress: str(at(table, ["grpc", "address"])) ?? join(state, "containerd.sock"),
    pluginDir: str(table.plugin_dir) ?? null,
    disabledPlugins: Array.isArray(table.disabled_plugins)
      ? table.disabled_plugins.filter((p): p is string => typeof p === "string")
      : [],
    snapshotter: str(at(criTable, ["containerd", "snapshotter"])) ?? "overlayfs",
    sandboxImage: str(criTable.sandbox_image) ?? "registry.k8s.io/pause:3.6",
    cniBinDir: str(at(criTable, ["cni", "bin_dir"])) ?? "/opt/cni/bin",
    cniConfDir: str(at(criTable, ["cni", "conf_dir"])) ?? "/etc/cni/net.d",
    overlayfsRoot: overlayfsRoot(isTable(overlay) ? str(overlay.root_path) : undefined, root, hostRoot),
    contentRoot: join(root, "io.containerd.content.v1.content"),
    imports,
    rootLink: rootAt.isLink ? { path: rootAt.named, target: rootAt.target } : null,
  };
}

/** A dir the config names: as named without a host root (the kernel resolves it; a missing one says so when
 * opened), resolved inside it with one. */
function resolveIn(hostRoot: string | undefined, named: string) {
  if (hostRoot === undefined) return { named, hostPath: named, target: named, isLink: false };
  return resolveNodePath(named, hostRoot);
}

function overlayfsRoot(rootPath: string | undefined, root: string, hostRoot: string | undefined): string {
  return rootPath === undefined
    ? join(root, "io.containerd.snapshotter.v1.overlayfs")
    : resolveIn(hostRoot, rootPath).hostPath;
}
