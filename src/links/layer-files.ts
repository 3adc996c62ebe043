// links/layer-files.ts — the regular files of one layer dir with their inode facts: what hard-link groups
// and duplicate finding need (scanTrees sums sizes and lists symlinks, but does not name files).
//
//   readLayerFiles(dir) ──► LayerFileTable: per file its dir, name, dev, ino, nlink, size, allocated;
//                           plus read errors
//
// The table keeps a file in typed-array columns and its name string (each dir's path once), not in an object
// with its whole path: a few big layers of 10^5 files each were 0.5 GB of such objects (issue 15). Files are
// in walk order; ask for a file's path (rel) only when it is shown.
// Like `du -x`: an entry on another device than the layer dir is neither listed nor entered. Only regular
// files are listed (whiteouts, devices, fifos, sockets and symlinks hold no bytes worth sharing).

import { type Dirent, lstatSync, type Stats } from "node:fs";
import { errnoWords } from "../errors.js";
import { decodeName, encodeName, fsPath } from "../fs/name-codec.js";
import { direntName, readDirents } from "../fs/read-exact.js";
import { loadNativeScanner } from "../fs/walk-native.js";
import { errnoName, joinTreePath, type ScanOp, scanErrorMessage } from "../fs/walk-tree-scan.js";
import { compareText } from "../model/text.js";

/** One regular file of a layer (LayerFileTable.at). */
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

/** Facts per file in LayerFileTable.facts, in this order. */
const DEV = 0;
const INO = 1;
const NLINK = 2;
const SIZE = 3;
const ALLOCATED = 4;
const FACTS = 5;

/** The rels of a table read by the native scanner: bytes back to back, decoded when asked for. */
interface PackedPaths {
  readonly bytes: Buffer;
  readonly ends: Uint32Array;
}

/**
 * The regular files of one layer, column-wise: about 60 bytes a file plus its name, where an object with the
 * whole path was about 200. Built by readLayerFiles; read by index (0 ≤ i < length).
 */
export class LayerFileTable {
  #length = 0;
  #facts: Float64Array = new Float64Array(FACTS * 256);
  #dirOf = new Uint32Array(256);
  #names: string[] = [];
  /** "/"-rooted paths of the dirs that hold files ("" for the layer dir itself). */
  readonly #dirs: string[] = [];
  #packed: PackedPaths | undefined;

  /** A table of what the native scanner listed (NativeTree.files). */
  static fromScan(files: { facts: Float64Array; paths: Buffer; ends: Uint32Array }): LayerFileTable {
    const t = new LayerFileTable();
    t.#facts = files.facts;
    t.#length = files.ends.length;
    t.#packed = { bytes: files.paths, ends: files.ends };
    return t;
  }

  get length(): number {
    return this.#length;
  }

  /** Adds a dir; returns its index for add(). */
  addDir(rel: string): number {
    this.#dirs.push(rel);
    return this.#dirs.length - 1;
  }

  add(
    dir: number,
    name: string,
    st: { dev: number; ino: number; nlink: number; size: number; blocks: number },
  ): void {
    const i = this.#length;
    if (i === this.#dirOf.length) {
      const facts = new Float64Array(this.#facts.length * 2);
      facts.set(this.#facts);
      this.#facts = facts;
      const dirOf = new Uint32Array(this.#dirOf.length * 2);
      dirOf.set(this.#dirOf);
      this.#dirOf = dirOf;
    }
    const f = this.#facts;
    const at = i * FACTS;
    f[at + DEV] = st.dev;
    f[at + INO] = st.ino;
    f[at + NLINK] = st.nlink;
    f[at + SIZE] = st.size;
    f[at + ALLOCATED] = st.blocks * 512;
    this.#dirOf[i] = dir;
    this.#names.push(name);
    this.#length = i + 1;
  }

  /**
   * The facts column itself (5 numbers a file from i × 5: dev, ino, nlink, size, allocated), for a FileIndex
   * to read in place rather than copy (issue 15: a copy was 24 bytes a file on 10^6 files). Read-only.
   */
  get facts(): Float64Array {
    return this.#facts;
  }

  /** Path inside the layer, "/"-rooted: the path the file has in a container. */
  rel(i: number): string {
    const p = this.#packed;
    if (p !== undefined) return decodeName(p.bytes.subarray(i === 0 ? 0 : p.ends[i - 1], p.ends[i]));
    return `${this.#dirs[this.#dirOf[i] as number]}/${this.#names[i]}`;
  }
  /** Length of rel(i) in bytes. */
  relLength(i: number): number {
    const p = this.#packed;
    if (p !== undefined) return (p.ends[i] as number) - (i === 0 ? 0 : (p.ends[i - 1] as number));
    return encodeName(this.rel(i)).length;
  }
  /** Copies rel(i)'s bytes into `into` at `at`. */
  copyRel(i: number, into: Uint8Array, at: number): void {
    const p = this.#packed;
    if (p !== undefined) p.bytes.copy(into, at, i === 0 ? 0 : p.ends[i - 1], p.ends[i]);
    else into.set(encodeName(this.rel(i)), at);
  }
  dev(i: number): number {
    return this.#facts[i * FACTS + DEV] as number;
  }
  ino(i: number): number {
    return this.#facts[i * FACTS + INO] as number;
  }
  nlink(i: number): number {
    return this.#facts[i * FACTS + NLINK] as number;
  }
  /** Apparent size (st_size). */
  size(i: number): number {
    return this.#facts[i * FACTS + SIZE] as number;
  }
  /** Allocated bytes (st_blocks × 512). */
  allocated(i: number): number {
    return this.#facts[i * FACTS + ALLOCATED] as number;
  }

  /** File i as an object (tests, small tables). */
  at(i: number): LayerFile {
    return {
      rel: this.rel(i),
      dev: this.dev(i),
      ino: this.ino(i),
      nlink: this.nlink(i),
      size: this.size(i),
      allocated: this.allocated(i),
    };
  }

  /** Every file as an object, sorted by rel (tests, small tables). */
  toArray(): LayerFile[] {
    return Array.from({ length: this.#length }, (_, i) => this.at(i)).sort((a, b) =>
      compareText(a.rel, b.rel),
    );
  }
}

export interface LayerFiles {
  readonly files: LayerFileTable;
  readonly errors: LayerReadError[];
}

/** Deepest dir nesting entered; deeper dirs are an error, not a stack overflow or a hang. */
export const maxLayerDepth = 4096;

/**
 * Lists the regular files below `dir` (a layer's file tree), in walk order. Cost: a full walk: one readdir per
 * dir and one lstat per entry that is not a symlink. Names that are not valid UTF-8 are kept exact
 * (fs/name-codec.ts).
 */
export function readLayerFiles(dir: string): LayerFiles {
  const files = new LayerFileTable();
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
    let dirIndex = -1; // added to the table with its first file
    for (const d of entries) {
      // d_type answers without a stat for everything but files and dirs
      if (!d.isFile() && !d.isDirectory()) continue;
      const name = direntName(d);
      const host = `${item.host}/${name}`;
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
        stack.push({ host, rel: `${item.rel}/${name}`, depth: item.depth + 1 });
      } else if (st.isFile()) {
        if (dirIndex < 0) dirIndex = files.addDir(item.rel);
        files.add(dirIndex, name, st);
      }
    }
  }
  errors.sort((a, b) => compareText(a.path, b.path));
  return { files, errors };
}

/**
 * readLayerFiles of each of `dirs` (same order), by the native scanner when it is built (C: getdents and
 * one fstatat per entry, `threads` threads over all the dirs); else, or with CRIFS_ENGINE=js, by
 * readLayerFiles one dir after another. The lists are the same but for their order. Cost: a full walk.
 */
export async function readLayersFiles(
  dirs: readonly string[],
  options: { threads?: number } = {},
): Promise<LayerFiles[]> {
  const scanner = process.env.CRIFS_ENGINE === "js" ? null : loadNativeScanner().scanner;
  if (scanner === null || dirs.length === 0) return dirs.map(readLayerFiles);
  const result = await scanner.scan(dirs.map(fsPath), {
    oneFileSystem: true,
    links: false,
    usage: false,
    files: true,
    threads: options.threads ?? 2,
    stops: new Float64Array(0),
  });
  return result.trees.map((t, i): LayerFiles => {
    const root = dirs[i] as string;
    if (t.files === undefined) return readLayerFiles(root); // an addon built before the files option
    const errors: LayerReadError[] = [];
    for (let j = 0; j + 2 < t.errors.length; j += 3) {
      errors.push({
        path: joinTreePath(root, t.errors[j] as string),
        message: scanErrorMessage(t.errors[j + 2] as ScanOp, errnoName(t.errors[j + 1] as number)),
      });
    }
    return {
      files: LayerFileTable.fromScan(t.files),
      errors: errors.sort((a, b) => compareText(a.path, b.path)),
    };
  });
}
