// links/layer-files.ts — the regular files of one layer dir with their inode facts: what hard-link groups
// and duplicate finding need (scanTrees sums sizes and lists symlinks, but does not name files).
//
//   readLayerFiles(dir) ──► [{ rel, dev, ino, nlink, size, allocated }] sorted by rel, plus read errors
//
// Like `du -x`: an entry on another device than the layer dir is neither listed nor entered. Only regular
// files are listed (whiteouts, devices, fifos, sockets and symlinks hold no bytes worth sharing).

import { type Dirent, lstatSync, type Stats } from "node:fs";
import { errnoWords } from "../errors.js";
import { fsPath } from "../fs/name-codec.js";
import { direntName, readDirents } from "../fs/read-exact.js";

/** One regular file of a layer. */
export interface LayerFile {
  /** Path inside the layer, "/"-rooted: the path the file has in a container. */
  readonly rel: string;
  readonly dev: number;
  readonly ino: number;
  readonly nlink: number;
  /** Apparent size (st_size). */
  readonly size: number;
  /** Allocated bytes (st_blocks × 512). */
  readonly allocated: number;
}

/** Something the walk could not read; it went on. */
export interface LayerReadError {
  readonly path: string;
  readonly message: string;
}

export interface LayerFiles {
  readonly files: LayerFile[];
  readonly errors: LayerReadError[];
}

/** Deepest dir nesting entered; deeper dirs are an error, not a stack overflow or a hang. */
export const maxLayerDepth = 4096;

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Lists the regular files below `dir` (a layer's file tree). Cost: a full walk: one readdir per dir and one
 * lstat per entry that is not a symlink. Names that are not valid UTF-8 are kept exact (fs/name-codec.ts).
 */
export function readLayerFiles(dir: string): LayerFiles {
  const files: LayerFile[] = [];
  const errors: LayerReadError[] = [];
  const fail = (path: string, verb: string, err: unknown) => {
    errors.push({ path, message: `cannot ${verb}: ${errnoWords((err as NodeJS.ErrnoException).code)}` });
  };
  let rootDev: number;
  try {
    rootDev = lstatSync(fsPath(dir)).dev;
  } catch (err) {
    fail(dir, "stat", err);
    return { files, errors };
  }
  const stack: { host: string; rel: string; depth: number }[] = [{ host: dir, rel: "", depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    let entries: (Dirent | Dirent<Buffer>)[];
    try {
      entries = readDirents(item.host);
    } catch (err) {
      fail(item.host, "read directory", err);
      continue;
    }
    for (const d of entries) {
      // d_type answers without a stat for everything but files and dirs
      if (!d.isFile() && !d.isDirectory()) continue;
      const name = direntName(d);
      const host = `${item.host}/${name}`;
      const rel = `${item.rel}/${name}`;
      let st: Stats;
      try {
        st = lstatSync(fsPath(host));
      } catch (err) {
        fail(host, "stat", err);
        continue;
      }
      if (st.dev !== rootDev) continue; // a mount point: like du -x, not ours
      if (st.isDirectory()) {
        if (item.depth + 1 > maxLayerDepth) {
          errors.push({
            path: host,
            message: `cannot enter directory: nested deeper than ${maxLayerDepth} levels`,
          });
          continue;
        }
        stack.push({ host, rel, depth: item.depth + 1 });
      } else if (st.isFile()) {
        files.push({
          rel,
          dev: st.dev,
          ino: st.ino,
          nlink: st.nlink,
          size: st.size,
          allocated: st.blocks * 512,
        });
      }
    }
  }
  files.sort((a, b) => compareText(a.rel, b.rel));
  errors.sort((a, b) => compareText(a.path, b.path));
  return { files, errors };
}
