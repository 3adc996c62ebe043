// runtimes/containerd/config.ts — containerd's config.toml (version 1, 2 and 3), reduced to what crifs needs:
//   root, state                       defaults /var/lib/containerd, /run/containerd
//   [grpc] address                    default <state>/containerd.sock
//   plugin_dir, disabled_plugins, imports (merged in order, later files win, like containerd)
//   CRI plugin: sandbox image, snapshotter, CNI dirs
//     v1: [plugins.cri]  v2: [plugins."io.containerd.grpc.v1.cri"]
//         sandbox_image, containerd.snapshotter, cni.bin_dir, cni.conf_dir
//     v3 (containerd 2.x): the CRI plugin split in two
//         [plugins."io.containerd.cri.v1.images"]   pinned_images.sandbox, snapshotter
//         [plugins."io.containerd.cri.v1.runtime"]  cni.bin_dirs (2.1; bin_dir before), cni.conf_dir
//     containerd 2.x reads a v2 file by converting it to v3 (the same settings, moved)
//   overlayfs snapshotter root_path   default <root>/io.containerd.snapshotter.v1.overlayfs
// A setting the file does not name is left null here: its default depends on the containerd version, which
// runtime-version.ts finds (criDefaults).
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
  /** The CRI sandbox (pause) image the file names, null when it names none (criDefaults has the default). */
  readonly sandboxImage: string | null;
  /** The CNI plugin dirs the file names (bin_dir, or v3's bin_dirs), null when it names none. */
  readonly cniBinDir: string | null;
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
  const asTable = (v: unknown): Table => (isTable(v) ? v : {});
  const cri = asTable(
    version >= 2 ? at(table, ["plugins", "io.containerd.grpc.v1.cri"]) : at(table, ["plugins", "cri"]),
  );
  // v3 moved the image settings to io.containerd.cri.v1.images and the runtime's (cni) to .runtime; a v2
  // file's own names are read as they are (containerd 2.x converts them to the same settings)
  const images = asTable(at(table, ["plugins", "io.containerd.cri.v1.images"]));
  const runtime = asTable(at(table, ["plugins", "io.containerd.cri.v1.runtime"]));
  const v3 = version >= 3;
  const cni = asTable(v3 ? runtime.cni : cri.cni);
  const binDirs = Array.isArray(cni.bin_dirs)
    ? cni.bin_dirs.filter((d): d is string => typeof d === "string" && d !== "")
    : [];
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
    snapshotter: (v3 ? str(images.snapshotter) : str(at(cri, ["containerd", "snapshotter"]))) ?? "overlayfs",
    sandboxImage: v3
      ? (str(at(images, ["pinned_images", "sandbox"])) ?? null)
      : (str(cri.sandbox_image) ?? null),
    // 2.1 searches every dir of bin_dirs; bin_dir (deprecated in 2.1) wins when set
    cniBinDir: str(cni.bin_dir) ?? (binDirs.length > 0 ? binDirs.join(":") : null),
    cniConfDir: str(cni.conf_dir) ?? "/etc/cni/net.d",
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
