// runtimes/containers-storage/config.ts — where a containers/storage store lives, from storage.conf (and, for
// CRI-O, crio.conf), reduced to what crifs needs:
//   storage.conf  [storage] driver graphroot runroot   [storage.options.overlay] mountopt mount_program
//                 the first file that exists wins, no merging (c/storage's own rule):
//                 /etc/containers/storage.conf, else /usr/share/containers/storage.conf, else built-in defaults
//   crio.conf     [crio] root runroot storage_driver, over storage.conf; /etc/crio/crio.conf, then every
//                 /etc/crio/crio.conf.d/*.conf in name order (later files win, like CRI-O)
// Flags win over both: --root is the graphroot, --state the runroot. A missing file means defaults; an
// unreadable or malformed one is an error.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { CrifsError, fromFsError } from "../../errors.js";

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

/** crio.conf files in the order CRI-O applies them. */
function crioConfPaths(path: string | undefined): string[] {
  const main = path ?? CRIO_CONF_PATH;
  const out = existsSync(main) ? [main] : [];
  if (path !== undefined && !existsSync(path))
    throw new CrifsError("not-found", "cannot read crio config: no such file", {
      path,
      remedy: "pass the crio.conf CRI-O runs with, or leave --config out",
    });
  const dropIns = `${main}.d`;
  try {
    for (const n of readdirSync(dropIns).sort()) if (n.endsWith(".conf")) out.push(join(dropIns, n));
  } catch {
    // no drop-in dir
  }
  return out;
}

/** Reads storage.conf (and crio.conf for CRI-O). Cost: one or a few small files. */
export function readStorageConfig(options: StorageConfigOptions = {}): StorageConfig {
  const crio = options.crio === true;
  let path: string | null = null;
  if (!crio && options.path !== undefined) {
    if (!existsSync(options.path))
      throw new CrifsError("not-found", "cannot read storage.conf: no such file", {
        path: options.path,
        remedy: "pass the storage.conf the runtime uses, or leave --config out",
      });
    path = options.path;
  } else {
    path = STORAGE_CONF_PATHS.find((p) => existsSync(p)) ?? null;
  }
  const conf = path === null ? {} : readToml(path, "storage.conf");
  const storage = table(conf, "storage");
  const overlay = table(table(table(conf, "storage"), "options"), "overlay");
  let graphroot = str(storage?.graphroot) ?? DEFAULT_GRAPHROOT;
  let runroot = str(storage?.runroot) ?? DEFAULT_RUNROOT;
  let driver = str(storage?.driver) ?? "overlay";
  const crioPaths = crio ? crioConfPaths(options.path) : [];
  for (const p of crioPaths) {
    const c = table(readToml(p, "crio config"), "crio");
    graphroot = str(c?.root) ?? graphroot;
    runroot = str(c?.runroot) ?? runroot;
    driver = str(c?.storage_driver) ?? driver;
  }
  return {
    path,
    crioPaths,
    graphroot: options.root ?? graphroot,
    runroot: options.runroot ?? runroot,
    driver,
    mountopt: str(overlay?.mountopt) ?? "",
    mountProgram: str(overlay?.mount_program) ?? "",
  };
}
