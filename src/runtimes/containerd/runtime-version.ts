// runtimes/containerd/runtime-version.ts — which containerd keeps a store, and that version's CRI defaults.
//
// Where the version comes from, best first:
//   daemon    the Version API, when the store is read live (live.ts asks it)
//   process   a running containerd whose --config is this store's config: `/proc/<pid>/exe --version`
//   binary    `containerd --version` of the containerd on PATH, when the store's markers do not contradict it
//   store     the store's own markers: dirs that only newer plugins make under root, or a `version = 3`
//             config; they tell the line ("1.7+", "2.x", "2.1+"), not the release
// With a host root (a node's disk) only the store's markers count: no process or binary here is the node's.
// Loading a store reads the markers only (storeVersion: a few stats): they are enough to pick each line's
// defaults and mount option order. Asking a binary costs an exec (about 0.1 s), so only `info`, which shows
// the version, does it (findContainerdVersion, through the adapter's readRuntimeVersion).
//
// Defaults per version (what `containerd config default` prints; upstream's values, Debian's builds agree):
//   sandbox image   1.6 registry.k8s.io/pause:3.6, 1.7 pause:3.8, 2.0 and 2.1 pause:3.10
//   CNI bin dir     /opt/cni/bin (1.x bin_dir; 2.1's bin_dirs = ["/opt/cni/bin"])

import { realpathSync } from "node:fs";
import { join } from "node:path";
import { pathExists } from "../../fs/path-exists.js";
import { processesNamed } from "../../fs/proc-stat.js";
import type { RuntimeVersion } from "../../model/store.js";
import { agreesWithMarker, majorMinor, versionOfBinary } from "../runtime-version.js";
import { type ContainerdConfig, DEFAULT_CONFIG_PATH } from "./config.js";

/** The version in `containerd --version`'s line: "containerd github.com/containerd/containerd v1.7.24 <rev>"
 * (upstream) or "… 1.7.24~ds1 1.7.24~ds1-6+deb13u1" (Debian) → "1.7.24" / "1.7.24~ds1"; null if none. */
export function parseVersionLine(line: string): string | null {
  const word = line.trim().split(/\s+/)[2];
  if (word === undefined || !/^v?\d+\.\d+/.test(word)) return null;
  return word.replace(/^v/, "");
}

/** The lowest version the store's own markers prove, or null when they prove nothing beyond 1.x. */
export function storeMarkers(config: ContainerdConfig): string | null {
  // the erofs snapshotter is new in 2.1; the shim sandbox controller (CRI pods through the sandbox API) in 2.0
  if (pathExists(join(config.root, "io.containerd.snapshotter.v1.erofs"))) return "2.1+";
  if (pathExists(join(config.root, "io.containerd.sandbox.controller.v1.shim"))) return "2.x";
  if (config.version >= 3) return "2.x"; // only 2.x reads (and starts with) a version 3 config
  // the blockfile snapshotter is new in 1.7 (1.6 makes no such dir)
  if (pathExists(join(config.root, "io.containerd.snapshotter.v1.blockfile"))) return "1.7+";
  return null;
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** The config file a containerd command line names (-c/--config), or the default. */
function configArg(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if ((a === "-c" || a === "--config") && argv[i + 1] !== undefined) return argv[i + 1] as string;
    if (a.startsWith("--config=")) return a.slice("--config=".length);
  }
  return DEFAULT_CONFIG_PATH;
}

function versionOf(binary: string): string | null {
  return versionOfBinary(binary, parseVersionLine);
}

/** The version of a running containerd that serves this config. Cost: one /proc listing, one exec. */
function fromProcess(config: ContainerdConfig): string | null {
  const ours = config.path ?? DEFAULT_CONFIG_PATH;
  for (const { pid, argv } of processesNamed("containerd")) {
    if (argv[1] !== undefined && argv[1] !== "" && !argv[1].startsWith("-")) continue; // a subcommand
    const named = configArg(argv.slice(1));
    if (named !== ours && !sameFile(named, ours)) continue;
    const v = versionOf(`/proc/${pid}/exe`); // null when the process ended meanwhile
    if (v !== null) return v;
  }
  return null;
}

/**
 * The containerd version that keeps this store, read from the disk side (process, binary, store markers);
 * null when nothing says. Cost: one /proc listing and at most two `--version` execs (none with a host root).
 */
export function findContainerdVersion(
  config: ContainerdConfig,
  options: { readonly hostRoot?: string | undefined } = {},
): RuntimeVersion | null {
  const marker = storeMarkers(config);
  if (options.hostRoot === undefined) {
    const running = fromProcess(config);
    if (running !== null) return { version: running, source: "process" };
    const onPath = versionOf("containerd");
    if (onPath !== null && agreesWithMarker(onPath, marker)) return { version: onPath, source: "binary" };
  }
  return marker === null ? null : { version: marker, source: "store" };
}

/** The version the store's own markers prove, or null. Cost: a few stats. */
export function storeVersion(config: ContainerdConfig): RuntimeVersion | null {
  const marker = storeMarkers(config);
  return marker === null ? null : { version: marker, source: "store" };
}

export interface CriDefaults {
  readonly sandboxImage: string;
  readonly cniBinDir: string;
}

/** The CRI plugin's defaults of a containerd version; an unknown version gets 1.6's (the oldest line read),
 * a version 3 config without a known version 2.x's. */
export function criDefaults(version: string | null, configVersion = 2): CriDefaults {
  const v = version === null ? null : majorMinor(version);
  const cniBinDir = "/opt/cni/bin";
  if (v === null)
    return {
      sandboxImage: configVersion >= 3 ? "registry.k8s.io/pause:3.10" : "registry.k8s.io/pause:3.6",
      cniBinDir,
    };
  if (v[0] >= 2) return { sandboxImage: "registry.k8s.io/pause:3.10", cniBinDir };
  if (v[0] === 1 && v[1] >= 7) return { sandboxImage: "registry.k8s.io/pause:3.8", cniBinDir };
  return { sandboxImage: "registry.k8s.io/pause:3.6", cniBinDir };
}

/** The settings `info` shows for the CRI plugin: the config's, else the version's defaults. */
export function criSettings(config: ContainerdConfig, version: RuntimeVersion | null): CriDefaults {
  const d = criDefaults(version?.version ?? null, config.version);
  return { sandboxImage: config.sandboxImage ?? d.sandboxImage, cniBinDir: config.cniBinDir ?? d.cniBinDir };
}
