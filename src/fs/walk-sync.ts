// fs/walk-sync.ts — the one synchronous tree walk, and the two reports made with it:
//   walkTreeSync  the pure-JS engine's scan of one tree (sizes, symlinks, errors: a TreeScan); it runs inside a
//                 worker (walk-worker.ts), and walk-js.ts hands each worker whole trees
//   readTree      a record of every entry of one tree, as an image layer's tar can say it (kind, mode, size,
//                 sha256, symlink target, inode, device numbers, overlay opaque): doctor's layer contents
// walkSync is the traversal both share: readdirSync, then lstatSync of each entry in listing order, depth first
// (a stack: the last dir listed is entered first), symlinks never followed (the root's included), every failure
// handed to the visitor with what failed (ScanOp) and the walk going on. Synchronous on purpose
// (docs/performance.md: per-entry async fs is 2.5–30× slower).
//
// Names are bytes (fs/name-codec.ts). A name that is not valid UTF-8 comes back from a string readdir with
// U+FFFD in it and could not be stat'ed by that string: such a directory is listed again as Buffers,
// everything below it is walked by Buffer paths, and its names are reported through decodeName (exact
// bytes). A link target is re-read as a Buffer the same way. Pure ASCII and valid UTF-8 names, the common
// case, cost nothing more than before: one string per name, one scan for U+FFFD per listing.
// Node's fs has no openat: a path of PATH_MAX (4096) bytes or more cannot be opened, and is reported as an
// error ("enametoolong"), where the native engine opens it in steps.

import { type Dirent, lstatSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import type { FactReader } from "./fact-reader.js";
import { sha256File } from "./file-hash.js";
import { InodeSet } from "./inode-set.js";
import { decodeName, fsPath } from "./name-codec.js";
import { readLinkExact } from "./read-exact.js";
import {
  emptyUsage,
  joinTreePath,
  maxDepth,
  type ScanError,
  type ScanOp,
  scanErrorMessage,
  scanOp,
  type TreeScan,
  type WalkOptions,
} from "./walk-tree-scan.js";
import { isOpaqueDir, isWhiteout } from "./xattr.js";

/** A host path as Node's fs takes it: a string, or the exact bytes once a name on the way is not UTF-8. */
export type FsPath = string | Buffer;

const slash = Buffer.from("/");
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function joinPath(dir: FsPath, name: string | Buffer): FsPath {
  if (typeof dir === "string" && typeof name === "string")
    return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
  const d = typeof dir === "string" ? Buffer.from(dir) : dir;
  const n = typeof name === "string" ? Buffer.from(name) : name;
  return d.length > 0 && d[d.length - 1] === 0x2f ? Buffer.concat([d, n]) : Buffer.concat([d, slash, n]);
}

/** The tree path of `name` in the dir at tree path `rel`; built only for what is reported or entered. */
export function childRel(rel: string, name: string | Buffer): string {
  return `${rel}/${typeof name === "string" ? name : decodeName(name)}`;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** What a walk does at each entry; walkSync does the rest (listing, lstat, names as bytes, depth, devices). */
export interface EntryVisitor {
  /** false: entries are known by their d_type alone, and only directories are lstat'ed (when `statDirs`). */
  readonly statAll: boolean;
  /** With !statAll: lstat each directory anyway (for oneFileSystem, or to know its dev and ino). */
  readonly statDirs: boolean;
  /** Like du -x: an entry on another device than the root is neither visited nor entered. */
  readonly oneFileSystem: boolean;
  /** A dir this deep (the root is 0) is not entered: a `depth` failure at its tree path. */
  readonly depthLimit: number;
  /** The root, as lstat found it (entered next when it is a directory). */
  root(abs: FsPath, st: Stats): void;
  /**
   * An entry below the root, in listing order, parents before children: `rel` is its dir's tree path ("" for
   * the root). `st` is its lstat, or null when it was not stat'ed (then `type` is S_IFDIR, S_IFLNK or 0 from
   * its d_type). Returns whether to enter it (directories only).
   */
  entry(abs: FsPath, rel: string, name: string | Buffer, st: Stats | null, type: number): boolean;
  /** What could not be read, at its tree path ("" for the root); the walk goes on. */
  fail(rel: string, op: ScanOp, err: unknown): void;
}

interface DirItem {
  readonly abs: FsPath;
  /** '/'-rooted, "" for the root */
  readonly rel: string;
  readonly depth: number;
}

/** Lists a dir: names alone, or Dirents when their d_type is wanted; by bytes once a name is not UTF-8. */
function listDir(
  abs: FsPath,
  withTypes: boolean,
): { names: (string | Buffer)[]; dirents: (Dirent | Dirent<Buffer>)[] | null } {
  if (!withTypes) {
    let names: (string | Buffer)[] =
      typeof abs === "string" ? readdirSync(abs) : readdirSync(abs, { encoding: "buffer" });
    if (typeof abs === "string" && (names as string[]).some((n) => n.includes("\uFFFD")))
      names = readdirSync(abs, { encoding: "buffer" });
    return { names, dirents: null };
  }
  let dirents: (Dirent | Dirent<Buffer>)[] =
    typeof abs === "string"
      ? readdirSync(abs, { withFileTypes: true })
      : readdirSync(abs, { withFileTypes: true, encoding: "buffer" });
  if (typeof abs === "string" && (dirents as Dirent[]).some((d) => d.name.includes("\uFFFD")))
    dirents = readdirSync(abs, { withFileTypes: true, encoding: "buffer" });
  return { names: dirents.map((d) => d.name), dirents };
}

/**
 * Walks the tree at host path `root` (a root named in no UTF-8 is walked by its bytes), calling `visit` at
 * the root and at every entry below it. Returns the root's lstat, or null when it could not be lstat'ed
 * (handed to visit.fail). Cost: one readdir per dir, one lstat per entry (per dir only, with !statAll).
 */
export function walkSync(root: string, visit: EntryVisitor): Stats | null {
  const rootPath = fsPath(root);
  let rootStat: Stats;
  try {
    rootStat = lstatSync(rootPath);
  } catch (err) {
    visit.fail("", scanOp.lstat, err);
    return null;
  }
  const rootDev = rootStat.dev;
  visit.root(rootPath, rootStat);
  const stack: DirItem[] = rootStat.isDirectory() ? [{ abs: rootPath, rel: "", depth: 0 }] : [];
  const statDirs = visit.statDirs || visit.oneFileSystem;
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.depth >= visit.depthLimit) {
      visit.fail(item.rel, scanOp.depth, undefined);
      continue;
    }
    let listed: ReturnType<typeof listDir>;
    try {
      listed = listDir(item.abs, !visit.statAll);
    } catch (err) {
      visit.fail(item.rel, scanOp.open, err);
      continue;
    }
    const { names, dirents } = listed;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string | Buffer;
      const abs = joinPath(item.abs, name);
      const d = dirents?.[i];
      let type = 0;
      let st: Stats | null = null;
      if (d !== undefined) {
        type = d.isSymbolicLink() ? S_IFLNK : d.isDirectory() ? S_IFDIR : 0;
      }
      if (d === undefined || (type === S_IFDIR && statDirs)) {
        try {
          st = lstatSync(abs);
        } catch (err) {
          visit.fail(childRel(item.rel, name), scanOp.stat, err);
          continue;
        }
        // du -x: an entry on another device (a mount point) is neither visited nor entered
        if (visit.oneFileSystem && st.dev !== rootDev) continue;
        type = st.mode & S_IFMT;
      }
      if (visit.entry(abs, item.rel, name, st, type) && type === S_IFDIR)
        stack.push({ abs, rel: childRel(item.rel, name), depth: item.depth + 1 });
    }
  }
  return rootStat;
}

/** Scans the tree at `root` (the JS engine). Cost: a full walk, one lstat per entry (directories only when !usage). */
export function walkTreeSync(root: string, options: WalkOptions): TreeScan {
  const usage = emptyUsage();
  const multiSeen = new InodeSet();
  const multi: number[] = [];
  const symlinks: string[] | null = options.symlinks ? [] : null;
  const errors: ScanError[] = [];
  const stops = new Set<string>();
  for (let i = 0; i + 1 < options.stops.length; i += 2)
    stops.add(`${options.stops[i]}:${options.stops[i + 1]}`);

  const account = (st: Stats): void => {
    const alloc = st.blocks * 512;
    if ((st.mode & S_IFMT) !== S_IFDIR && st.nlink > 1) {
      if (!multiSeen.add(st.dev, st.ino)) return;
      multi.push(st.dev, st.ino, alloc, st.size);
      return;
    }
    usage.allocatedBytes += alloc;
    usage.apparentBytes += st.size;
    usage.inodes += 1;
  };

  const fail = (rel: string, op: ScanOp, err: unknown): void => {
    errors.push({ path: joinTreePath(root, rel), message: scanErrorMessage(op, errCode(err)) });
  };

  const link = (abs: FsPath, rel: string): void => {
    if (symlinks === null) return;
    try {
      let target = readlinkSync(abs, "utf8");
      if (target.includes("\uFFFD")) target = decodeName(readlinkSync(abs, { encoding: "buffer" }));
      symlinks.push(rel === "" ? "/" : rel, target);
    } catch (err) {
      fail(rel, scanOp.readlink, err);
    }
  };

  walkSync(root, {
    // with sizes wanted every entry is lstat'ed anyway, so plain names (no Dirent objects) are enough
    statAll: options.usage,
    statDirs: stops.size > 0,
    oneFileSystem: options.oneFileSystem,
    depthLimit: maxDepth,
    root(abs, st) {
      if (options.usage) account(st);
      if ((st.mode & S_IFMT) === S_IFLNK) link(abs, "");
    },
    entry(abs, rel, name, st, type) {
      if (type === S_IFDIR) {
        if (st !== null && stops.size > 0 && stops.has(`${st.dev}:${st.ino}`)) return false;
        if (st !== null && options.usage) account(st);
        return true;
      }
      if (st !== null && options.usage) account(st);
      if (type === S_IFLNK) link(abs, childRel(rel, name));
      return false;
    },
    fail,
  });
  return { usage, multi: Float64Array.from(multi), symlinks, errors };
}

export type TreeEntryKind =
  | "file"
  | "dir"
  | "symlink"
  | "char-device"
  | "block-device"
  | "fifo"
  | "socket"
  | "whiteout";

/** One entry of a tree as lstat, readlink, lgetxattr and sha256 found it. */
export interface TreeEntry {
  /** "/"-rooted path inside the tree (the path in a container). */
  readonly path: string;
  readonly kind: TreeEntryKind;
  /** Permission bits with setuid/setgid/sticky. */
  readonly mode: number;
  /** st_size of a regular file; 0 otherwise. */
  readonly size: number;
  /** Hex sha256 of a regular file, or null (not a file, not asked for, or unreadable: not compared). */
  readonly sha256: string | null;
  /** readlink of a symlink; null otherwise (or unreadable: not compared). */
  readonly target: string | null;
  /** "dev:ino": hard links share it. */
  readonly inode: string;
  /** Device numbers of a device node (a whiteout is 0:0); null otherwise. */
  readonly device: { readonly major: number; readonly minor: number } | null;
  /** A dir marked overlay.opaque="y". */
  readonly isOpaque: boolean;
}

/** Deepest dir nesting entered by readTree; deeper is a read error, not a stack overflow. */
export const maxTreeDepth = 4096;

/** Linux dev_t → major, minor (glibc's gnu_dev_major/minor, for numbers below 2^32). */
function deviceNumbers(rdev: number): { major: number; minor: number } {
  return { major: (rdev >>> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}

/** readTree's words for what walkSync could not do (FactReader.note leaves out what is merely gone). */
const readTreeVerbs: Readonly<Record<ScanOp, string>> = {
  [scanOp.lstat]: "stat",
  [scanOp.open]: "list directory",
  [scanOp.readdir]: "list directory",
  [scanOp.stat]: "stat",
  [scanOp.readlink]: "read symlink",
  [scanOp.depth]: "enter directory",
};

export interface ReadTreeOptions {
  /** Whether to read the file at `path` of `size` bytes for its sha256 (each inode is read once). */
  readonly hashWhen: (path: string, size: number) => boolean;
}

/**
 * The entries below `root`, by path; null when root is gone. Like du -x, an entry on another device is left
 * out. A file is read for its sha256 only when `hashWhen` says so, so a file that cannot be equal costs one
 * lstat (a planted 16 TiB sparse file: issue 13, item 8). Read errors are noted on the FactReader and the
 * walk goes on. Doctor compares the result with the layer's tar (formats/tar compareLayer). Cost: a full
 * walk and a read of the files hashed.
 */
export function readTree(
  r: FactReader,
  root: string,
  options: ReadTreeOptions,
): Map<string, TreeEntry> | null {
  const out = new Map<string, TreeEntry>();
  const hashes = new Map<string, string | null>();
  const rootStat = walkSync(root, {
    statAll: true,
    statDirs: true,
    oneFileSystem: true,
    depthLimit: maxTreeDepth + 1,
    root() {},
    entry(_abs, rel, name, st, type) {
      if (st === null) return false; // never: every entry is lstat'ed
      const path = childRel(rel, name);
      const host = joinTreePath(root, path);
      const inode = `${st.dev}:${st.ino}`;
      const e = {
        path,
        mode: st.mode & 0o7777,
        size: 0,
        sha256: null,
        target: null,
        inode,
        device: null,
        isOpaque: false,
      };
      if (type === S_IFDIR) {
        out.set(path, { ...e, kind: "dir", isOpaque: isOpaqueDir(host, { xattrs: "trusted" }) });
        return true;
      }
      if (st.isFile()) {
        let sha = options.hashWhen(path, st.size) ? hashes.get(inode) : null;
        if (sha === undefined) {
          try {
            sha = sha256File(host);
          } catch (err) {
            sha = null;
            r.note(host, "read", err);
          }
          hashes.set(inode, sha);
        }
        out.set(path, { ...e, kind: "file", size: st.size, sha256: sha });
      } else if (type === S_IFLNK) {
        let target: string | null = null;
        try {
          target = readLinkExact(host);
        } catch (err) {
          r.note(host, "read symlink", err);
        }
        out.set(path, { ...e, kind: "symlink", target });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const kind = isWhiteout(st) ? "whiteout" : st.isCharacterDevice() ? "char-device" : "block-device";
        out.set(path, { ...e, kind, device: deviceNumbers(st.rdev) });
      } else {
        out.set(path, { ...e, kind: st.isFIFO() ? "fifo" : "socket" });
      }
      return false;
    },
    fail(rel, op, err) {
      const host = joinTreePath(root, rel);
      if (op === scanOp.depth)
        r.errors.push({
          path: host,
          message: `cannot enter directory: nested deeper than ${maxTreeDepth} levels`,
        });
      else r.note(host, readTreeVerbs[op], err);
    },
  });
  return rootStat === null ? null : out;
}
