// copy/copy-tree.ts — the faithful tree copier's API: copyTree (a directory tree) and copyEntries (a stream of
// entries, e.g. a container's merged view), both crash-safe the same way:
//
//   <parent of DEST>/.<name of DEST>.crifs-clone-tmp-<pid>   the copy is made here (same filesystem as DEST)
//   rename(2) onto DEST                                      only once every entry and every time is in place
//
// so a killed copy leaves that temp dir (named for what it is) and never a half tree under DEST's name. DEST
// may be absent or an empty dir (rename replaces an empty dir); anything else, or a DEST inside the source,
// is refused before anything is written. `durable` syncs the copy's filesystem before the rename (a power
// cut then leaves the old state or the whole copy: relocate wants that; clone does not pay for it).
// What is kept, and how, is native/copy.c's header.

import {
  type BigIntStats,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statfsSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { CrifsError, errnoWords } from "../errors.js";
import { readMountinfo } from "../fs/mountinfo.js";
import { decodeName, fsPath } from "../fs/name-codec.js";
import { type NativeCopyError, nativeCopier, nativeModes } from "./native-copier.js";
import { type CopyMode, fsTypeName } from "./plan-copy-mode.js";

export interface CopyOptions {
  /** From planCopyMode: auto tries FICLONE and copies where the filesystem has none. */
  readonly mode: CopyMode;
  /** syncfs before the rename into place. Default false. */
  readonly durable?: boolean;
}

export interface CopyWarning {
  /** The entry's path in the tree (decodeName form: exact bytes). */
  readonly path: string;
  readonly message: string;
}

/** What a copy made. JSON contract: docs/json.md#clone (its `copied` object). */
export interface CopyResult {
  readonly dirs: number;
  readonly files: number;
  readonly symlinks: number;
  /** Devices (overlay whiteouts among them) and fifos. */
  readonly specials: number;
  readonly sockets: number;
  /** Names linked to an earlier name of the same inode (hard-link groups inside the tree). */
  readonly hardlinks: number;
  readonly bytes: number;
  readonly reflinkedBytes: number;
  readonly warnings: readonly CopyWarning[];
}

/** One entry of a stream to copy: its path in the new tree ("" is the root itself), where it is, its lstat. */
export interface CopyEntry {
  readonly rel: string;
  readonly abs: string;
  /** lstat of abs; a BigIntStats keeps times to the nanosecond (a Stats to the microsecond). */
  readonly stat: BigIntStats | Stats;
}

/** The filesystem of a path: its name (fsTypeName), device number and the mount point it lies under (the
 * longest mount point of /proc/self/mountinfo above its real path; the last one mounted there). */
export function filesystemOf(path: string): {
  readonly name: string;
  readonly dev: number;
  readonly mount: string;
} {
  const real = realpathSync(path);
  let mount = "/";
  for (const m of readMountinfo()) {
    const p = m.mountPoint;
    if ((real === p || real.startsWith(p === "/" ? "/" : `${p}/`)) && p.length >= mount.length) mount = p;
  }
  return { name: fsTypeName(statfsSync(path).type), dev: lstatSync(path).dev, mount };
}

/** Where a copy into `dest` is made before it is renamed into place. */
export function stagingPath(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.crifs-clone-tmp-${process.pid}`);
}

/**
 * Refuses a DEST that exists and is not an empty dir, whose parent is missing, or that lies inside `source`
 * (or is it) or inside one of `alsoRead` (the lower layer dirs a merged clone reads: a DEST in one of them
 * would be walked while it is written, and would put a stranger into an image's layer). Returns DEST resolved
 * (its parent's real path + its name). Cost: a few lstats and one readdir.
 */
export function checkDestination(source: string, dest: string, alsoRead: readonly string[] = []): string {
  // resolve("") is the cwd: an empty DEST (a shell variable unset) would be "the cwd is not empty"
  if (dest === "")
    throw new CrifsError("usage", "DEST is empty", { remedy: "name the new dir to clone into" });
  const abs = resolve(dest);
  const parent = dirname(abs);
  let realParent: string;
  try {
    realParent = realpathSync(parent);
  } catch (err) {
    throw new CrifsError(
      "not-found",
      `cannot clone into it: its parent dir is ${errnoWords((err as NodeJS.ErrnoException).code)}`,
      {
        path: dest,
        remedy: "make the parent dir first (mkdir -p)",
      },
    );
  }
  if (!statSync(realParent).isDirectory())
    throw new CrifsError("not-found", "cannot clone into it: its parent is not a directory", {
      path: dest,
      remedy: "name a DEST in an existing dir",
    });
  const target = join(realParent, basename(abs));
  let st: Stats | undefined;
  try {
    st = lstatSync(target);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink() === true)
    throw new CrifsError("usage", "cannot clone into it: it is a symlink", {
      path: dest,
      remedy: "name the dir it leads to, or a new path",
    });
  if (st !== undefined && !(st.isDirectory() && readdirSync(target).length === 0)) {
    throw new CrifsError("usage", "cannot clone into it: it exists and is not an empty dir", {
      path: dest,
      remedy: "name a new path or an empty dir",
    });
  }
  for (const read of [source, ...alsoRead]) {
    const src = realpathSync(read);
    if (target === src || target.startsWith(src.endsWith(sep) ? src : src + sep)) {
      throw new CrifsError("usage", `cannot clone into it: it lies inside the source ${src}`, {
        path: dest,
        remedy: "name a DEST outside the tree being copied",
      });
    }
  }
  return target;
}

/** The addon's error as one line naming the entry and DEST's filesystem where it matters. */
function copyError(err: unknown, dest: string): CrifsError {
  const e = err as Partial<NativeCopyError>;
  if (err instanceof CrifsError || e.op === undefined)
    return err instanceof CrifsError
      ? err
      : new CrifsError("corrupt", `cannot copy: ${String(err)}`, { path: dest });
  const rel = e.rel === undefined ? "" : decodeName(e.rel);
  const where = rel === "" ? dest : rel.startsWith("/") ? rel : join(dest, rel);
  const words =
    { EXDEV: "cross-device link", EOPNOTSUPP: "operation not supported", ENOSPC: "no space left on device" }[
      e.code ?? ""
    ] ?? errnoWords(e.code);
  let fs = "?";
  try {
    fs = fsTypeName(statfsSync(dirname(dest)).type);
  } catch {
    // the message still names the entry
  }
  if (
    /reflink/.test(e.op) &&
    (e.code === "EOPNOTSUPP" || e.code === "EXDEV" || e.code === "EINVAL" || e.code === "ENOTTY")
  ) {
    return new CrifsError(
      "unsupported",
      `cannot reflink: DEST's filesystem (${fs}) has no reflinks (FICLONE: ${words})`,
      {
        path: dest,
        remedy: "clone onto xfs made with reflink=1 or btrfs, or use --mode copy (or auto)",
        cause: err,
      },
    );
  }
  if (/xattr/.test(e.op) && (e.code === "EOPNOTSUPP" || e.code === "EPERM")) {
    return new CrifsError("unsupported", `${e.op}: DEST's filesystem (${fs}) refuses it (${words})`, {
      path: where,
      remedy: "clone onto a filesystem with trusted and security xattrs (ext4, xfs, btrfs) as root",
      cause: err,
    });
  }
  if (e.code === "ENOSPC" || e.code === "EDQUOT")
    return new CrifsError("busy", `${e.op}: DEST's filesystem (${fs}) is full`, {
      path: where,
      remedy: "free space there, or clone elsewhere",
      cause: err,
    });
  if (e.code === "EPERM" || e.code === "EACCES")
    return new CrifsError("permission", `${e.op}: ${words}`, {
      path: where,
      remedy: "run crifs as root (owners and devices need it)",
      cause: err,
    });
  if (e.code === "EXDEV")
    return new CrifsError("unsupported", `${e.op}: DEST is on another mount than the source (${words})`, {
      path: where,
      remedy: "clone to a dir under the source's own mount, or use --mode copy",
      cause: err,
    });
  if (e.code === "EROFS")
    return new CrifsError("permission", `${e.op}: DEST's filesystem (${fs}) is read-only`, {
      path: where,
      remedy: "clone onto a writable filesystem",
      cause: err,
    });
  if (e.code === "ENOENT" || e.code === "ENOTDIR")
    return new CrifsError("not-found", `${e.op}: ${words}`, {
      path: where,
      remedy: "name a DEST in a dir of a real, writable filesystem (not /proc, /sys or a file)",
      cause: err,
    });
  return new CrifsError("corrupt", `${e.op}: ${words}`, {
    path: where,
    remedy: "check the source and DEST's disk (dmesg), or clone elsewhere",
    cause: err,
  });
}

/** rename(2) of the finished copy onto DEST (absent or an empty dir when checked: something may have come). */
function putInPlace(staging: string, dest: string): void {
  try {
    renameSync(fsPath(staging), fsPath(dest));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CrifsError(
      code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR" ? "busy" : "corrupt",
      `cannot put the copy in place: ${code === "ENOTEMPTY" || code === "EEXIST" ? "something was put there meanwhile" : errnoWords(code)}`,
      {
        path: dest,
        remedy: `the whole copy is in ${staging}: move it where it belongs, or remove it and clone again`,
      },
    );
  }
}

function removeStaging(staging: string): void {
  try {
    rmSync(staging, { recursive: true, force: true });
  } catch {
    // left for the user: its name says what it is
  }
}

/**
 * Copies the tree at `source` (a directory; never a symlink followed) to `dest` with `options.mode`, through
 * the staging dir and a rename (header). Cost: one walk of the source; the bytes of every regular file unless
 * reflinked or hard-linked. Call checkDestination first.
 */
export async function copyTree(source: string, dest: string, options: CopyOptions): Promise<CopyResult> {
  const copier = nativeCopier();
  const staging = stagingPath(dest);
  let stats: Awaited<ReturnType<typeof copier.copyTree>>;
  try {
    stats = await copier.copyTree(fsPath(source), fsPath(staging), nativeModes[options.mode]);
    if (options.durable === true) copier.syncFs(fsPath(staging));
  } catch (err) {
    removeStaging(staging);
    throw copyError(err, dest);
  }
  putInPlace(staging, dest);
  return {
    dirs: stats.dirs,
    files: stats.files,
    symlinks: stats.symlinks,
    specials: stats.specials,
    sockets: stats.sockets,
    hardlinks: stats.hardlinks,
    bytes: stats.bytes,
    reflinkedBytes: stats.reflinkedBytes,
    warnings: stats.warnings.map(([rel, message]) => ({ path: decodeName(rel), message })),
  };
}

function splitNs(stat: BigIntStats | Stats, which: "atime" | "mtime"): [number, number] {
  if (typeof stat.dev === "bigint") {
    const ns = (stat as BigIntStats)[`${which}Ns`];
    return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
  }
  const ms = (stat as Stats)[`${which}Ms`];
  const sec = Math.floor(ms / 1000);
  return [sec, Math.round((ms - sec * 1000) * 1e6)];
}

/**
 * Copies a stream of entries (a directory before what it holds) into a new tree at `dest`, as copyTree does a
 * directory: the same per-entry copy (native copyNode), hard-link groups by the entries' dev:ino, directory
 * times set after all entries, the staging dir and the rename. Without a root entry (rel ""), the root is
 * made 0755 root:root. Cost: one native call per entry.
 */
export async function copyEntries(
  entries: AsyncIterable<CopyEntry> | Iterable<CopyEntry>,
  dest: string,
  options: CopyOptions,
): Promise<CopyResult> {
  const copier = nativeCopier();
  const staging = stagingPath(dest);
  let mode = options.mode;
  const groups = new Map<string, string>(); // dev:ino → the first copy's path
  const dirs: { path: string; stat: BigIntStats | Stats }[] = [];
  const warnings: CopyWarning[] = [];
  const n = {
    dirs: 0,
    files: 0,
    symlinks: 0,
    specials: 0,
    sockets: 0,
    hardlinks: 0,
    bytes: 0,
    reflinkedBytes: 0,
  };
  let rootMade = false;
  try {
    for await (const e of entries) {
      const to = e.rel === "" ? staging : join(staging, e.rel);
      if (!rootMade && e.rel !== "") mkdirSync(fsPath(staging), 0o755);
      rootMade = true;
      const isDir = e.stat.isDirectory();
      if (!isDir && Number(e.stat.nlink) > 1) {
        const key = `${e.stat.dev}:${e.stat.ino}`;
        const first = groups.get(key);
        if (first !== undefined) {
          linkSync(fsPath(first), fsPath(to));
          n.hardlinks++;
          continue;
        }
        groups.set(key, to);
      }
      const [, reflinked, warning] = copier.copyNode(fsPath(e.abs), fsPath(to), nativeModes[mode]);
      if (warning !== null) {
        warnings.push({ path: e.rel, message: warning });
        continue;
      }
      if (isDir) {
        dirs.push({ path: to, stat: e.stat });
        n.dirs++;
      } else if (e.stat.isFile()) {
        n.files++;
        const size = Number(e.stat.size);
        if (mode !== "hardlink") n.bytes += size;
        if (reflinked === 1) n.reflinkedBytes += size;
        else if (mode === "auto" && size > 0) mode = "copy"; // the filesystem has no FICLONE: stop asking
      } else if (e.stat.isSymbolicLink()) n.symlinks++;
      else if (e.stat.isSocket()) n.sockets++;
      else n.specials++;
    }
    if (!rootMade) mkdirSync(fsPath(staging), 0o755);
    for (let i = dirs.length - 1; i >= 0; i--) {
      const d = dirs[i] as (typeof dirs)[number];
      copier.setTimes(fsPath(d.path), ...splitNs(d.stat, "atime"), ...splitNs(d.stat, "mtime"));
    }
    if (options.durable === true) copier.syncFs(fsPath(staging));
  } catch (err) {
    removeStaging(staging);
    throw copyError(err, dest);
  }
  putInPlace(staging, dest);
  return { ...n, warnings };
}
