// links/shared-files.ts — files that several layers hold: hard-link groups that span layers (one inode,
// names in more than one layer dir) and duplicates (distinct inodes with the same contents in different
// layers: the bytes hard links or reflinks would give back).
//
//   layers' regular files ──► by dev:ino ──► inodes named in ≥ 2 layers          = cross-layer hard links
//                         └─► by size ──► sizes seen in ≥ 2 layers ──► content key once per inode
//                             ──► keys seen in ≥ 2 layers = duplicates
// Only sizes shared by two layers are read; an inode is read once however many names it has. The content
// key (fs/file-hash.ts) hashes only non-zero chunks, so sparse copies cost little (a plain sha256 would
// hash every zero of a sparse file: the benchmark store is 10 GiB on disk and 40 GB apparent); the reads
// run in worker threads.

import { availableParallelism } from "node:os";
import { errnoWords } from "../errors.js";
import type { DigestResult } from "../fs/file-hash.js";
import type { Snapshot } from "../model/store.js";
import { contentKeys } from "./file-digests.js";
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
  /**
   * The content key all copies share (file-digests.ts "content": sha256 over the non-zero 64 KiB chunks with
   * their offsets, and the size): equal exactly when the contents are; not what sha256sum prints.
   */
  readonly digest: string;
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

/** Options of findDuplicateFiles. */
export interface DuplicateOptions {
  /** Files smaller than this are not looked at. Default 1 (empty files hold nothing to save). */
  minSize?: number;
  /** Reads one file's content key in this thread (tests pass a counting one); default: contentKeys in workers. */
  contentKey?: (hostPath: string) => string;
  /** Worker threads for the reads. Default: the CPUs available, at least 2, at most 8. */
  threads?: number;
}

interface Named {
  readonly layer: LayerSnapshot;
  readonly file: LayerFile;
}

/** One inode to read: its names and allocated bytes. */
interface Candidate {
  readonly size: number;
  readonly allocated: number;
  readonly names: Named[];
}

function hostPathOf(n: Named): string {
  return `${n.layer.path}${n.file.rel}`;
}

/** Inodes whose size another layer also has, one per inode (names of one inode travel together). */
function duplicateCandidates(layers: readonly LayerInventory[], minSize: number): Candidate[] {
  const bySize = new Map<number, Named[]>();
  for (const inv of layers) {
    for (const file of inv.files) {
      if (file.size < minSize) continue;
      const list = bySize.get(file.size);
      if (list === undefined) bySize.set(file.size, [{ layer: inv.layer, file }]);
      else list.push({ layer: inv.layer, file });
    }
  }
  const out: Candidate[] = [];
  for (const [size, named] of bySize) {
    if (named.length < 2 || new Set(named.map((n) => n.layer.path)).size < 2) continue;
    const inodes = new Map<string, Candidate>();
    for (const n of named) {
      const k = `${n.file.dev}:${n.file.ino}`;
      const c = inodes.get(k);
      if (c === undefined) inodes.set(k, { size, allocated: n.file.allocated, names: [n] });
      else c.names.push(n);
    }
    if (inodes.size >= 2) out.push(...inodes.values());
  }
  return out;
}

async function keysOf(paths: readonly string[], options: DuplicateOptions): Promise<DigestResult[]> {
  const key = options.contentKey;
  if (key !== undefined) {
    return paths.map((p): DigestResult => {
      try {
        return { digest: key(p) };
      } catch (err) {
        return { error: (err as NodeJS.ErrnoException).code ?? "EIO" };
      }
    });
  }
  const threads = options.threads ?? Math.max(2, Math.min(availableParallelism(), 8));
  return contentKeys(paths, { threads });
}

/**
 * Groups of distinct inodes with equal contents whose names span more than one layer. Only sizes present in
 * two layers or more are read, each inode once. A file that cannot be read is reported in `errors` and left
 * out. Cost: one full read of each candidate inode (only its non-zero chunks hashed). Sorted by savableBytes,
 * largest first.
 */
export async function findDuplicateFiles(
  layers: readonly LayerInventory[],
  options: DuplicateOptions = {},
): Promise<{ groups: DuplicateGroup[]; errors: LayerReadError[] }> {
  const errors: LayerReadError[] = [];
  const unreadable = (path: string, code: string) =>
    errors.push({ path, message: `cannot read: ${errnoWords(code)}` });
  const candidates = duplicateCandidates(layers, options.minSize ?? 1);
  const keys = await keysOf(
    candidates.map((c) => hostPathOf(c.names[0] as Named)),
    options,
  );
  const byKey = new Map<string, Candidate[]>();
  candidates.forEach((c, i) => {
    const r = keys[i] as DigestResult;
    if ("error" in r) {
      unreadable(hostPathOf(c.names[0] as Named), r.error);
      return;
    }
    const k = `${c.size}:${r.digest}`;
    const list = byKey.get(k);
    if (list === undefined) byKey.set(k, [c]);
    else list.push(c);
  });
  const groups: DuplicateGroup[] = [];
  for (const [key, copies] of byKey) {
    if (copies.length < 2) continue;
    if (new Set(copies.flatMap((c) => c.names.map((n) => n.layer.path))).size < 2) continue;
    const allocated = copies.map((c) => c.allocated);
    groups.push({
      size: (copies[0] as Candidate).size,
      digest: key.slice(key.indexOf(":") + 1),
      copies: copies.length,
      savableBytes: allocated.reduce((a, b) => a + b, 0) - Math.max(...allocated),
      names: copies.flatMap((c) => c.names.map((n) => nameOf(n.layer, n.file))).sort(byHostPath),
    });
  }
  groups.sort(
    (a, b) =>
      b.savableBytes - a.savableBytes ||
      byHostPath(a.names[0] as SharedFileName, b.names[0] as SharedFileName),
  );
  return { groups, errors: errors.sort((a, b) => compareText(a.path, b.path)) };
}
