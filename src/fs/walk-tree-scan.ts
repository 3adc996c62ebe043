// fs/walk-tree-scan.ts — what one engine (native, JS, or the cache) reports for one tree, before the trees
// are put together. Both engines and the cache produce exactly this shape, so one piece of accounting
// (mergeTreeScans in walk.ts) decides who owns a hard-linked inode, whatever the source.
//
//   usage    directories and inodes with one link, each counted where it is found
//   multi    non-directories with nlink > 1 reached in this tree: (dev, ino, allocated, apparent); an inode
//            reached by several names may be listed once per name (mergeTreeScans counts it once)
//   symlinks (rel, target) pairs, rel '/'-rooted inside the tree; null when they were not collected
//   errors   what could not be read; the walk went on

import { constants } from "node:os";
import { errnoWords } from "../errors.js";
import type { LinkIndex } from "./walk-native.js";

export interface Usage {
  allocatedBytes: number;
  apparentBytes: number;
  inodes: number;
}

export interface ScanError {
  readonly path: string;
  readonly message: string;
}

export interface TreeScan {
  readonly usage: Usage;
  /** 4 numbers per inode: dev, ino, allocated bytes, apparent bytes. */
  readonly multi: Float64Array;
  /** Flat pairs: rel, target, rel, target… */
  readonly symlinks: string[] | null;
  readonly errors: ScanError[];
  /** The native engine's name index of the tree (ScanOptions.linkIndex), when it read the tree whole. */
  readonly linkIndex?: LinkIndex;
}

/** Options both engines take for one walk. */
export interface WalkOptions {
  /** Like du -x: an entry on another device than its tree root is neither counted nor entered. */
  readonly oneFileSystem: boolean;
  /** Collect symlink paths and targets. */
  readonly symlinks: boolean;
  /** Stat every entry for sizes; false only lists symlinks (stats directories alone). */
  readonly usage: boolean;
  /** Directories never entered, as dev, ino pairs: the roots of the trees being scanned. */
  readonly stops: Float64Array;
}

/** What failed, as the native scanner numbers it (native/scan.c enum op). */
export const scanOp = { lstat: 0, open: 1, readdir: 2, stat: 3, readlink: 4, depth: 5 } as const;
export type ScanOp = (typeof scanOp)[keyof typeof scanOp];

/** Nesting bound shared by both engines (a bind-mount loop without oneFileSystem would not end). */
export const maxDepth = 100_000;

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** Errno number (positive, as C has it, or Node's negative one) → "EACCES". */
export function errnoName(errno: number): string | undefined {
  return errnoNames.get(Math.abs(errno));
}

/** One message per failure, the same from both engines: "cannot read directory: permission denied". */
export function scanErrorMessage(op: ScanOp, code: string | undefined): string {
  switch (op) {
    case scanOp.open:
    case scanOp.readdir:
      return `cannot read directory: ${errnoWords(code)}`;
    case scanOp.readlink:
      return `cannot read symlink: ${errnoWords(code)}`;
    case scanOp.depth:
      return `cannot enter directory: nested deeper than ${maxDepth} levels`;
    default:
      return `cannot stat: ${errnoWords(code)}`;
  }
}

/** The absolute path of `rel` ('/'-rooted, or "" for the root itself) in the tree at `root`. */
export function joinTreePath(root: string, rel: string): string {
  return rel === "" || rel === "/" ? root : root.endsWith("/") ? root + rel.slice(1) : root + rel;
}

export function emptyUsage(): Usage {
  return { allocatedBytes: 0, apparentBytes: 0, inodes: 0 };
}
