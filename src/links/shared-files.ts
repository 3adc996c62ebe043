// links/shared-files.ts — files that several layers hold: hard-link groups that span layers (one inode,
// names in more than one layer dir) and duplicates (distinct inodes with the same size and sha256 in
// different layers: the bytes hard links or reflinks would give back).
//
//   layers' regular files ──► by dev:ino ──► inodes named in ≥ 2 layers          = cross-layer hard links
//                         └─► by size ──► sizes seen in ≥ 2 layers ──► sha256 once per inode
//                                                                 ──► hashes seen in ≥ 2 layers = duplicates
// Only sizes shared by two layers are hashed; an inode is hashed once however many names it has.

import { createHash } from "node:crypto";
import { closeSync, constants, openSync, readSync } from "node:fs";
import { errnoWords } from "../errors.js";
import type { Snapshot } from "../model/store.js";
import type { LayerFile, LayerReadError } from "./layer-files.js";

/** A layer dir and the snapshot it belongs to. */
export type LayerSnapshot = Pick<Snapshot, "namespace" | "key" | "id" | "path">;

/** The regular files of one layer (from readLayerFiles). */
export interface LayerInventory {
  readonly layer: LayerSnapshot;
  readonly files: readonly LayerFile[];
}

/** One name of a shared file. */
export interface SharedFileName {
  readonly namespace: string;
  /** Snapshot key and dir id of the layer that holds the name. */
  readonly key: string;
  readonly id: string;
  /** Path inside the layer (the path in a container). */
  readonly path: string;
  readonly hostPath: string;
}

/** One inode with names in more than one layer dir. */
export interface HardLinkGroup {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  /** The inode's link count: names beyond `names.length` live outside the layers looked at. */
  readonly nlink: number;
  /** Sorted by host path. */
  readonly names: SharedFileName[];
}

/** Identical contents in distinct inodes, in more than one layer. */
export interface DuplicateGroup {
  readonly size: number;
  readonly sha256: string;
  /** Distinct inodes holding the contents (names already hard-linked together count once). */
  readonly copies: number;
  /**
   * Bytes freed if every copy shared one inode or extent: the allocated bytes of all copies but the
   * largest. Already-reflinked copies (shared extents) are not told apart, so this is an upper bound there.
   */
  readonly savableBytes: number;
  /** Sorted by host path. */
  readonly names: SharedFileName[];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nameOf(layer: LayerSnapshot, f: LayerFile): SharedFileName {
  return {
    namespace: layer.namespace,
    key: layer.key,
    id: layer.id,
    path: f.rel,
    hostPath: `${layer.path}${f.rel}`,
  };
}

function byHostPath(a: SharedFileName, b: SharedFileName): number {
  return compareText(a.hostPath, b.hostPath);
}

/**
 * Inodes that have names in more than one of the layers (same dev and ino). Pure; cost: one pass over the
 * files with nlink > 1. Sorted by the first name's host path.
 */
export function findCrossLayerHardLinks(layers: readonly LayerInventory[]): HardLinkGroup[] {
  const byInode = new Map<string, { file: LayerFile; names: SharedFileName[]; dirs: Set<string> }>();
  for (const inv of layers) {
    for (const f of inv.files) {
      if (f.nlink < 2) continue;
      const k = `${f.dev}:${f.ino}`;
      let g = byInode.get(k);
      if (g === undefined) {
        g = { file: f, names: [], dirs: new Set() };
        byInode.set(k, g);
      }
      g.names.push(nameOf(inv.layer, f));
      g.dirs.add(inv.layer.path);
    }
  }
  const out: HardLinkGroup[] = [];
  for (const g of byInode.values()) {
    if (g.dirs.size < 2) continue;
    out.push({
      dev: g.file.dev,
      ino: g.file.ino,
      size: g.file.size,
      nlink: g.file.nlink,
      names: g.names.sort(byHostPath),
    });
  }
  return out.sort((a, b) => byHostPath(a.names[0] as SharedFileName, b.names[0] as SharedFileName));
}

/** Reads a file to its sha256, opening it with O_NOFOLLOW. Cost: one full read. */
export function sha256File(hostPath: string): string {
  const hash = createHash("sha256");
  const fd = openSync(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** Options of findDuplicateFiles. */
export interface DuplicateOptions {
  /** Files smaller than this are not looked at. Default 1 (empty files hold nothing to save). */
  minSize?: number;
  /** Hashes a file; default sha256File. Tests pass a counting one. */
  hash?: (hostPath: string) => string;
}

/**
 * Groups of distinct inodes with equal size and sha256 whose names span more than one layer. Only sizes
 * present in two layers or more are hashed, each inode once. A file that cannot be read is reported in
 * `errors` and left out. Cost: one full read of each candidate inode. Sorted by savableBytes, largest first.
 */
export function findDuplicateFiles(
  layers: readonly LayerInventory[],
  options: DuplicateOptions = {},
): { groups: DuplicateGroup[]; errors: LayerReadError[] } {
  const minSize = options.minSize ?? 1;
  const hash = options.hash ?? sha256File;
  const errors: LayerReadError[] = [];
  interface Named {
    readonly layer: LayerSnapshot;
    readonly file: LayerFile;
  }
  const bySize = new Map<number, Named[]>();
  for (const inv of layers) {
    for (const file of inv.files) {
      if (file.size < minSize) continue;
      const list = bySize.get(file.size);
      if (list === undefined) bySize.set(file.size, [{ layer: inv.layer, file }]);
      else list.push({ layer: inv.layer, file });
    }
  }
  const groups: DuplicateGroup[] = [];
  for (const [size, named] of bySize) {
    if (new Set(named.map((n) => n.layer.path)).size < 2) continue;
    // one hash per inode; names of one inode travel together
    const inodes = new Map<string, { digest: string | null; allocated: number; names: Named[] }>();
    for (const n of named) {
      const k = `${n.file.dev}:${n.file.ino}`;
      const i = inodes.get(k);
      if (i === undefined) inodes.set(k, { digest: null, allocated: n.file.allocated, names: [n] });
      else i.names.push(n);
    }
    const byDigest = new Map<string, { allocated: number; names: Named[] }[]>();
    for (const i of inodes.values()) {
      const first = i.names[0] as Named;
      const hostPath = `${first.layer.path}${first.file.rel}`;
      try {
        i.digest = hash(hostPath);
      } catch (err) {
        errors.push({
          path: hostPath,
          message: `cannot read: ${errnoWords((err as NodeJS.ErrnoException).code)}`,
        });
        continue;
      }
      const list = byDigest.get(i.digest);
      if (list === undefined) byDigest.set(i.digest, [i]);
      else list.push(i);
    }
    for (const [digest, copies] of byDigest) {
      const names = copies.flatMap((c) => c.names);
      if (copies.length < 2 || new Set(names.map((n) => n.layer.path)).size < 2) continue;
      const allocated = copies.map((c) => c.allocated);
      groups.push({
        size,
        sha256: digest,
        copies: copies.length,
        savableBytes: allocated.reduce((a, b) => a + b, 0) - Math.max(...allocated),
        names: names.map((n) => nameOf(n.layer, n.file)).sort(byHostPath),
      });
    }
  }
  groups.sort(
    (a, b) =>
      b.savableBytes - a.savableBytes ||
      byHostPath(a.names[0] as SharedFileName, b.names[0] as SharedFileName),
  );
  return { groups, errors: errors.sort((a, b) => compareText(a.path, b.path)) };
}
