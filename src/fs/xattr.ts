// xattr.ts — extended attributes and the two overlayfs markers that are not plain files.
//
// Node has no xattr API. Attributes are read here and nowhere else: through the @napi-rs/xattr addon
// (lgetxattr, prebuilt, no compiler), or, when its binary does not load, through `getfattr -h` from the
// Debian `attr` package (one process per read: slow but correct). Neither follows symlinks.
//
// On disk, overlayfs marks a deleted name with a character device 0:0 (a whiteout) and a directory that
// hides everything below it with the xattr `trusted.overlay.opaque="y"` (`user.overlay.opaque="y"` when the
// overlay is mounted with `userxattr`, as rootless runtimes do). See docs/on-disk.md §5.

import type * as ChildProcess from "node:child_process";
import type { BigIntStats, Stats } from "node:fs";
import { createRequire } from "node:module";
import { CrifsError, errnoWords } from "../errors.js";
import { decodeName, encodeName, hasEscapedBytes } from "./name-codec.js";
import { loadNativeScanner } from "./walk-native.js";

/** The part of the @napi-rs/xattr addon crifs uses. */
export interface XattrAddon {
  getAttributeSync(path: string, name: string): Buffer | null;
  listAttributesSync?(path: string): string[];
  removeAttributeSync?(path: string, name: string): void;
}

/** One way of reading attributes, and which one it is. */
export interface XattrReader {
  readonly backend: "addon" | "getfattr";
  /** Why the addon was not used (only for the getfattr backend); shown by --debug. */
  readonly loadError?: unknown;
  read(path: string, name: string): Buffer | null;
  /** Every attribute of `path` itself (not following a symlink), names sorted; null: use getfattr. */
  list?(path: string): [string, Buffer][];
}

const require = createRequire(import.meta.url);

/** node:child_process, loaded on first use (getfattr only): not at every start-up (issue 15). */
const childProcess = () => require("node:child_process") as typeof ChildProcess;

function loadAddon(): XattrAddon {
  return require("@napi-rs/xattr") as XattrAddon;
}

/**
 * Reads one attribute with `getfattr -h --absolute-names -n <name> --only-values` (does not follow symlinks).
 * Null when the attribute is absent or the file cannot be read, as the addon answers.
 * Cost: one child process per call; used only when the addon does not load.
 */
export function readXattrWithGetfattr(path: string, name: string): Buffer | null {
  try {
    return childProcess().execFileSync(
      "getfattr",
      ["-h", "--absolute-names", "-n", name, "--only-values", "--", path],
      {
        stdio: ["ignore", "pipe", "pipe"],
        maxBuffer: 1 << 20,
      },
    );
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null };
    // Exit 1: "No such attribute", "Operation not supported", "No such file or directory"; the addon says null.
    if (e.status === 1) return null;
    throw new CrifsError("unsupported", "cannot read extended attributes: the xattr addon did not load", {
      path,
      remedy:
        e.code === "ENOENT"
          ? "install the attr package (getfattr), or reinstall crifs so that @napi-rs/xattr has its binary"
          : "reinstall crifs so that @napi-rs/xattr has its binary",
      cause: err,
    });
  }
}

/**
 * Picks the reader: the addon when `load` returns it, else getfattr. `load` defaults to requiring
 * @napi-rs/xattr; tests pass a failing one. Cost: one module load, no I/O on files.
 */
export function selectXattrReader(load: () => XattrAddon = loadAddon): XattrReader {
  let addon: XattrAddon;
  try {
    addon = load();
    if (typeof addon.getAttributeSync !== "function")
      throw new Error("@napi-rs/xattr has no getAttributeSync");
  } catch (err) {
    return { backend: "getfattr", loadError: err, read: readXattrWithGetfattr };
  }
  const names = addon.listAttributesSync?.bind(addon);
  return {
    backend: "addon",
    read: (path, name) => addon.getAttributeSync(path, name),
    ...(names === undefined
      ? {}
      : {
          list: (path: string) =>
            names(path)
              .sort()
              .flatMap((n): [string, Buffer][] => {
                const v = addon.getAttributeSync(path, n);
                return v === null ? [] : [[n, v]];
              }),
        }),
  };
}

let reader: XattrReader | undefined;

/** The reader every readXattr call uses (chosen on first use). */
export function xattrReader(): XattrReader {
  reader ??= selectXattrReader();
  return reader;
}

/**
 * The value of attribute `name` on `path` itself (a symlink is not followed), or null when it is absent
 * or the file cannot be read. `trusted.*` reads as absent unless crifs runs as root.
 * Cost: one lgetxattr (addon) or one getfattr process (fallback).
 */
export function readXattr(path: string, name: string): Buffer | null {
  if (hasEscapedBytes(path)) return readXattrByBytes(encodeName(path), name);
  return xattrReader().read(path, name);
}

/**
 * readXattr for a path that is not UTF-8 (fs/name-codec.ts): @napi-rs/xattr takes only a UTF-8 string, so
 * crifs's own addon (native/scan.c lgetxattr) reads it by its bytes. Without that addon, neither can a
 * child's argv (Node writes UTF-8) carry the bytes, so the shell rebuilds them from octal escapes with printf
 * and hands them to `getfattr -h`: one process per call, paid only by such names (a hostile layer's dir, not a
 * runtime's).
 */
function readXattrByBytes(path: Buffer, name: string): Buffer | null {
  const native = loadNativeScanner().scanner?.lgetxattr;
  if (native !== undefined) {
    const r = native(path, name);
    if (typeof r !== "number") return r;
    if (r === -2 || r === -20) return null; // ENOENT, ENOTDIR: absent, as the addon answers
    throw new CrifsError("corrupt", `cannot read extended attribute ${name}: ${errnoName(-r)}`, {
      path: decodeName(path),
    });
  }
  return readXattrByGetfattrBytes(path, name);
}

/** errno numbers the kernel gives lgetxattr, in words. */
function errnoName(errno: number): string {
  const words: Record<number, string> = {
    1: "EPERM",
    5: "EIO",
    13: "EACCES",
    36: "ENAMETOOLONG",
    40: "ELOOP",
  };
  return errnoWords(words[errno] ?? `errno ${errno}`);
}

/** The getfattr way of readXattrByBytes (exported for the test that both ways agree). */
export function readXattrByGetfattrBytes(path: Buffer, name: string): Buffer | null {
  let octal = "";
  for (const b of path) octal += `\\${b.toString(8).padStart(3, "0")}`;
  // the trailing "x" keeps a name's final newlines through the command substitution
  // "$" + "{p%x}": a shell parameter expansion, not a JS template
  const script = `p="$(printf "$1"; echo x)"; exec getfattr -h --absolute-names -n "$2" --only-values -- "$${"{p%x}"}"`;
  try {
    return childProcess().execFileSync("/bin/sh", ["-c", script, "sh", octal, name], {
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 1 << 20,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null };
    if (e.status === 1) return null; // no such attribute, not supported, no such file: absent, as the addon says
    throw new CrifsError("unsupported", "cannot read extended attributes of a name that is not UTF-8", {
      path: decodeName(path),
      remedy: "install the attr package (getfattr)",
      cause: err,
    });
  }
}

/**
 * Which overlay xattr namespace marks opaque dirs: "trusted" (the kernel's default), "user" (an overlay
 * mounted with `userxattr`: the kernel then reads only user.overlay.*), or "either" (crifs does not
 * know how the layers will be mounted).
 */
export type OverlayXattrs = "trusted" | "user" | "either";

/** Options of isOpaqueDir. */
export interface OpaqueDirOptions {
  /** Which namespace counts. Default "either". */
  xattrs?: OverlayXattrs;
}

function isY(value: Buffer | null): boolean {
  // The kernel reads at most one byte and wants exactly "y": "yes", "y\n" and "x" are not opaque
  // ("x" marks a dir that holds xattr whiteouts, a different feature).
  return value !== null && value.length === 1 && value[0] === 0x79;
}

/**
 * True when the directory at `path` carries `overlay.opaque="y"` in the chosen namespace, i.e. it hides
 * the same-named dirs of every lower layer. Cost: one or two xattr reads; no stat.
 */
export function isOpaqueDir(path: string, options: OpaqueDirOptions = {}): boolean {
  const xattrs = options.xattrs ?? "either";
  if (xattrs !== "user" && isY(readXattr(path, "trusted.overlay.opaque"))) return true;
  return xattrs !== "trusted" && isY(readXattr(path, "user.overlay.opaque"));
}

/** True for an overlayfs whiteout: a character device with device number 0:0. Pure; takes lstat output. */
export function isWhiteout(stats: Stats | BigIntStats): boolean {
  return stats.isCharacterDevice() && Number(stats.rdev) === 0;
}

/**
 * Every extended attribute of `path` itself (a symlink is not followed), sorted by name, values as bytes; []
 * when it has none or the file system keeps none. `trusted.*` is listed only when crifs runs as root.
 * Cost: one llistxattr plus one lgetxattr per attribute (addon), or one getfattr process (fallback, and for a
 * path that is not UTF-8).
 */
export function readAllXattrs(path: string): [string, Buffer][] {
  const r = xattrReader();
  if (r.list !== undefined && !hasEscapedBytes(path)) {
    try {
      return r.list(path);
    } catch (err) {
      // the addon's errors carry the OS error in words ("No such file or directory (os error 2)"), code
      // "GenericFailure": gone since it was listed, or a file system without xattrs, is none
      const msg = err instanceof Error ? err.message : String(err);
      if (/\(os error (2|20|95)\)$/.test(msg)) return [];
      throw new CrifsError("corrupt", `cannot list extended attributes: ${msg}`, { path, cause: err });
    }
  }
  return readAllXattrsWithGetfattr(encodeName(path));
}

/** readAllXattrs through `getfattr -h -d -m - -e hex`, the path handed over as its bytes (see readXattrByGetfattrBytes). */
export function readAllXattrsWithGetfattr(path: Buffer): [string, Buffer][] {
  let octal = "";
  for (const b of path) octal += `\\${b.toString(8).padStart(3, "0")}`;
  // "$" + "{p%x}": a shell parameter expansion, not a JS template
  const script = `p="$(printf "$1"; echo x)"; exec getfattr -h --absolute-names -d -m - -e hex -- "$${"{p%x}"}"`;
  let out: string;
  try {
    out = childProcess().execFileSync("/bin/sh", ["-c", script, "sh", octal], {
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "latin1",
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null };
    if (e.status === 1) return []; // not supported, no such file: none, as the addon says
    throw new CrifsError("unsupported", "cannot list extended attributes", {
      path: decodeName(path),
      remedy: "install the attr package (getfattr)",
      cause: err,
    });
  }
  const attrs: [string, Buffer][] = [];
  for (const line of out.split("\n")) {
    const m = /^([^#=][^=]*)=(?:0x([0-9a-f]*))?$/.exec(line);
    if (m === null) continue;
    attrs.push([Buffer.from(m[1] as string, "latin1").toString("utf8"), Buffer.from(m[2] ?? "", "hex")]);
  }
  return attrs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Removes attribute `name` of `path`: with the addon, else (or for a symlink's own, `noFollow`) `setfattr -h -x`.
 * The one write of an attribute crifs makes (clone --merged takes overlay's own markers off the copy).
 * Throws an Error naming the path. Cost: one syscall, or one child process without the addon.
 */
export function removeXattr(path: string, name: string, options: { noFollow?: boolean } = {}): void {
  let addon: XattrAddon | null = null;
  try {
    // the addon follows a symlink: a symlink's own attribute goes through setfattr -h
    addon = options.noFollow === true ? null : loadAddon();
  } catch {
    addon = null;
  }
  try {
    if (addon?.removeAttributeSync !== undefined) addon.removeAttributeSync(path, name);
    else
      childProcess().execFileSync("setfattr", ["-h", "-x", name, "--", path], {
        stdio: ["ignore", "ignore", "pipe"],
      });
  } catch (err) {
    throw new Error(`${path}: cannot remove attribute ${name}: ${(err as Error).message.split("\n")[0]}`);
  }
}
