// fs/walk-sync.ts — the pure-JS engine's walk of one tree: readdirSync(withFileTypes) + lstatSync per entry,
// synchronous on purpose (docs/performance.md: per-entry async fs is 2.5–30× slower). It runs inside a worker
// (walk-worker.ts); walk-js.ts hands each worker whole trees.
//
// Names are bytes (fs/name-codec.ts). A name that is not valid UTF-8 comes back from a string readdir with
// U+FFFD in it and could not be stat'ed by that string: such a directory is listed again as Buffers,
// everything below it is walked by Buffer paths, and its names are reported through decodeName (exact
// bytes). A link target is re-read as a Buffer the same way. Pure ASCII and valid UTF-8 names, the common
// case, cost nothing more than before: one string per name, one scan for U+FFFD per listing.
// Node's fs has no openat: a path of PATH_MAX (4096) bytes or more cannot be opened, and is reported as an
// error ("enametoolong"), where the native engine opens it in steps.

import { type Dirent, lstatSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import { InodeSet } from "./inode-set.js";
import { decodeName, fsPath } from "./name-codec.js";
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

type FsPath = string | Buffer;

interface DirItem {
  readonly abs: FsPath;
  /** '/'-rooted, "" for the root */
  readonly rel: string;
  readonly depth: number;
}

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
function childRel(rel: string, name: string | Buffer): string {
  return `${rel}/${typeof name === "string" ? name : decodeName(name)}`;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Walks the tree at `root`. Cost: a full walk, one lstat per entry (directories only when !usage). */
export function walkTreeSync(root: string, options: WalkOptions): TreeScan {
  const usage = emptyUsage();
  const multiSeen = new InodeSet();
  const multi: number[] = [];
  const symlinks: string[] | null = options.symlinks ? [] : null;
  const errors: ScanError[] = [];
  const stops = new Set<string>();
  for (let i = 0; i + 1 < options.stops.length; i += 2)
    stops.add(`${options.stops[i]}:${options.stops[i + 1]}`);

  const fail = (rel: string, op: ScanOp, err: unknown): void => {
    errors.push({ path: joinTreePath(root, rel), message: scanErrorMessage(op, errCode(err)) });
  };

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

  // a root whose name is not UTF-8 (a leaked entry of a snapshot home) is walked by its bytes
  const rootPath = fsPath(root);
  let rootStat: Stats;
  try {
    rootStat = lstatSync(rootPath);
  } catch (err) {
    fail("", scanOp.lstat, err);
    return { usage, multi: new Float64Array(0), symlinks, errors };
  }
  const rootDev = rootStat.dev;
  if (options.usage) account(rootStat);
  if ((rootStat.mode & S_IFMT) === S_IFLNK) link(rootPath, "");

  const stack: DirItem[] = (rootStat.mode & S_IFMT) === S_IFDIR ? [{ abs: rootPath, rel: "", depth: 0 }] : [];
  const needDirStat = options.usage || options.oneFileSystem || stops.size > 0;
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.depth >= maxDepth) {
      fail(item.rel, scanOp.depth, undefined);
      continue;
    }
    // with sizes wanted every entry is lstat'ed anyway, so plain names (no Dirent objects) are enough
    let names: (string | Buffer)[];
    let dirents: (Dirent | Dirent<Buffer>)[] | null = null;
    try {
      if (options.usage) {
        names =
          typeof item.abs === "string"
            ? readdirSync(item.abs)
            : readdirSync(item.abs, { encoding: "buffer" });
        if (typeof item.abs === "string" && (names as string[]).some((n) => n.includes("\uFFFD"))) {
          names = readdirSync(item.abs, { encoding: "buffer" });
        }
      } else {
        dirents =
          typeof item.abs === "string"
            ? readdirSync(item.abs, { withFileTypes: true })
            : readdirSync(item.abs, { withFileTypes: true, encoding: "buffer" });
        if (typeof item.abs === "string" && (dirents as Dirent[]).some((d) => d.name.includes("\uFFFD"))) {
          dirents = readdirSync(item.abs, { withFileTypes: true, encoding: "buffer" });
        }
        names = dirents.map((d) => d.name);
      }
    } catch (err) {
      fail(item.rel, scanOp.open, err);
      continue;
    }
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string | Buffer;
      const abs = joinPath(item.abs, name);
      const d = dirents?.[i];
      if (d !== undefined) {
        // links only: the dirent's type is enough, except for directories that may cross a device
        if (d.isSymbolicLink()) {
          link(abs, childRel(item.rel, name));
          continue;
        }
        if (!d.isDirectory()) continue;
        if (!needDirStat) {
          stack.push({ abs, rel: childRel(item.rel, name), depth: item.depth + 1 });
          continue;
        }
      }
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch (err) {
        fail(childRel(item.rel, name), scanOp.stat, err);
        continue;
      }
      // du -x: an entry on another device (a mount point) is neither counted nor entered
      if (options.oneFileSystem && st.dev !== rootDev) continue;
      const type = st.mode & S_IFMT;
      if (type === S_IFDIR) {
        if (stops.size > 0 && stops.has(`${st.dev}:${st.ino}`)) continue;
        if (options.usage) account(st);
        stack.push({ abs, rel: childRel(item.rel, name), depth: item.depth + 1 });
      } else {
        if (options.usage) account(st);
        if (type === S_IFLNK) link(abs, childRel(item.rel, name));
      }
    }
  }
  return { usage, multi: Float64Array.from(multi), symlinks, errors };
}
