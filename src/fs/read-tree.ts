// fs/read-tree.ts — every entry below a dir with what an image layer's tar can say of it: kind, mode, size,
// sha256 (only when the caller asks), symlink target, inode, device numbers, the overlay opaque xattr. Doctor
// compares this with the layer's tar (formats/tar compareLayer). Like du -x, an entry on another device is
// left out. Read errors are noted on the FactReader and the walk goes on.
// (fs/walk-sync.ts is the scanner engine's walk: sizes and symlinks of whole stores in worker threads, no
// per-entry records; this one keeps a record of every entry of one tree.)

import type { Stats } from "node:fs";
import type { FactReader } from "./fact-reader.js";
import { sha256File } from "./file-hash.js";
import { readLinkExact } from "./read-exact.js";
import { isOpaqueDir, isWhiteout } from "./xattr.js";

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

/** Deepest dir nesting entered; deeper is a read error, not a stack overflow. */
export const maxTreeDepth = 4096;

/** Linux dev_t → major, minor (glibc's gnu_dev_major/minor, for numbers below 2^32). */
function deviceNumbers(rdev: number): { major: number; minor: number } {
  return { major: (rdev >>> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}

export interface ReadTreeOptions {
  /** Whether to read the file at `path` of `size` bytes for its sha256 (each inode is read once). */
  readonly hashWhen: (path: string, size: number) => boolean;
}

/**
 * The entries below `root`, by path; null when root is gone. A file is read for its sha256 only when
 * `hashWhen` says so, so a file that cannot be equal costs one lstat (a planted 16 TiB sparse file: issue 13,
 * item 8). Cost: a full walk and a read of the files hashed.
 */
export function readTree(
  r: FactReader,
  root: string,
  options: ReadTreeOptions,
): Map<string, TreeEntry> | null {
  const rootStat = r.lstat(root);
  if (rootStat === null) return null;
  const rootDev = rootStat.dev;
  const out = new Map<string, TreeEntry>();
  const hashes = new Map<string, string | null>();
  const stack: { host: string; rel: string; depth: number }[] = [{ host: root, rel: "", depth: 0 }];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    for (const d of r.list(dir.host)) {
      const host = `${dir.host}/${d.name}`;
      const path = `${dir.rel}/${d.name}`;
      const st: Stats | null = r.lstat(host);
      if (st === null || st.dev !== rootDev) continue;
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
      if (st.isDirectory()) {
        out.set(path, { ...e, kind: "dir", isOpaque: isOpaqueDir(host, { xattrs: "trusted" }) });
        if (dir.depth + 1 > maxTreeDepth)
          r.errors.push({
            path: host,
            message: `cannot enter directory: nested deeper than ${maxTreeDepth} levels`,
          });
        else stack.push({ host, rel: path, depth: dir.depth + 1 });
      } else if (st.isFile()) {
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
      } else if (st.isSymbolicLink()) {
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
    }
  }
  return out;
}
