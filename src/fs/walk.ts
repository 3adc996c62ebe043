// fs/walk.ts — scanTrees: disk usage, inode counts and symlinks of many trees at once, as GNU du counts them.
//
//   trees ──► cache (immutable trees whose root dev/ino/ctime still match) ──► hit: TreeScan from disk
//         └─► engine: native (native/scan.c, N pthreads) or JS (worker_threads) ──► TreeScan per tree
//   TreeScans, in the order given ──► mergeTreeScans: a hard-linked inode belongs to the first tree reaching it
//
// du semantics: allocated = st_blocks × 512, apparent = st_size, every inode (dev, ino) once across all trees,
// directories and each tree's root included; with oneFileSystem (du -x) an entry on another device than its
// tree root is neither counted nor entered. Trees are expected to be disjoint; a tree root found inside
// another tree is not entered from it (its inodes are that tree's), and a root given twice counts once.

import { lstatSync, realpathSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { CrifsError } from "../errors.js";
import { compareText } from "../model/text.js";
import { InodeSet } from "./inode-set.js";
import { decodeName, fsPath } from "./name-codec.js";
import { defaultCacheDir } from "./scan-cache-dir.js";
import { countsKey, readLastCount, writeLastCount } from "./scan-counts.js";
import { type CacheKey, ScanCache } from "./walk-cache.js";
import { scanTreesJs } from "./walk-js.js";
import { type LinkIndex, loadNativeScanner, type NativeScanner, scanTreesNative } from "./walk-native.js";
import { emptyUsage, type ScanError, type TreeScan, type Usage, type WalkOptions } from "./walk-tree-scan.js";

export type { ScanError, Usage } from "./walk-tree-scan.js";

export interface Tree {
  readonly id: string;
  readonly path: string;
  /** committed snapshots never change: their scan may be cached */
  readonly immutable?: boolean;
  /** When the runtime last changed the tree (a snapshot's commit time), ms since the epoch: see SETTLE_MS. */
  readonly changedAtMs?: number;
}

/** A tree's scan is cached only once its root's ctime and its changedAtMs are this old. A layer just unpacked
 * is still being written back: ext4 allocates an extent-tree block of a fragmented file at writeback (up to
 * ~35 s after the write), which adds 4096 bytes to its st_blocks without touching any ctime the cache key
 * could see. A scan cached before that would be one block short for as long as the layer lives. */
export const SETTLE_MS = 60_000;

function settled(tree: Tree, root: RootInfo | null | undefined, now: number, settleMs: number): boolean {
  if (root === null || root === undefined) return false;
  const changed = Math.max(Number(root.ctimeNs / 1_000_000n), tree.changedAtMs ?? 0);
  return now - changed >= settleMs;
}

export interface SymlinkEntry {
  readonly tree: string;
  /** path inside the tree, '/'-rooted */
  readonly rel: string;
  readonly target: string;
}

export type ScanEngine = "native" | "js";

export interface ScanResult {
  /** per tree id: usage of the inodes first seen in that tree (trees in the order given), hard links counted once across ALL trees */
  readonly perTree: Map<string, Usage>;
  readonly total: Usage;
  /** only with collectSymlinks; in tree order, then by rel */
  readonly symlinks: SymlinkEntry[];
  /** permission denied etc.: the walk goes on. In tree order, then by path */
  readonly errors: ScanError[];
  readonly engine: ScanEngine;
  /** ids of the trees whose scan came from the cache (not walked), in tree order */
  readonly cachedTrees: readonly string[];
  /** With linkIndex: per tree id, the name index of the trees the native engine read whole. */
  readonly linkIndexes: ReadonlyMap<string, LinkIndex>;
}

/** Where scanTrees reports how far it got (cli/render/progress.ts draws it). */
export interface ScanProgress {
  /** The entries the last scan of the same trees met (the ETA's total), before the walk starts. */
  expect?(entries: number): void;
  /** Entries and allocated bytes so far (trees served from the cache count at once); ~10 times a second. */
  update(entries: number, bytes: number): void;
}

export interface ScanOptions {
  /** Reports entries and bytes as the walk goes (native engine: from its threads' shared counters, read on a
   * timer; JS engine: when the walk ends). Default: none. */
  progress?: ScanProgress;
  /** like du -x: default true */
  oneFileSystem?: boolean;
  /** fill ScanResult.symlinks: default false */
  collectSymlinks?: boolean;
  /** where immutable trees' scans are kept; null: no cache. Default: defaultCacheDir() */
  cacheDir?: string | null;
  /** a tree is cached only once it has not changed for this long (ms). Default SETTLE_MS; tests of the cache
   * itself, on trees made a moment ago, set 0 */
  settleMs?: number;
  /** threads (native) or workers (JS). Default: the CPUs available, at least 2, at most 8 */
  threads?: number;
  /**
   * native engine: at most this many directories are opened ahead of their listing (from their parent's
   * fd); the rest are opened by path from the tree root. Default: a share of the fd limit, at most 4096.
   * Tests set 0 to cover the by-path opening.
   */
  heldDirs?: number;
  /**
   * false: only symlinks and errors are collected, and entries are not stat'ed (directories are, for
   * oneFileSystem); perTree and total are then zero. Default true
   */
  usage?: boolean;
  /**
   * Native engine: also index every entry's name (hash, kind, link target) for resolveViews, so that links
   * resolve without a system call per name (src/links/broken-links.ts); trees are then walked, never taken
   * from the cache. Default false.
   */
  linkIndex?: boolean;
}

/** The engine scanTrees will use: CRIFS_ENGINE=js|native forces one, else native when it is built. */
export function selectScanEngine(): {
  engine: ScanEngine;
  scanner: NativeScanner | null;
  problem: string | null;
} {
  const forced = process.env.CRIFS_ENGINE;
  if (forced !== undefined && forced !== "" && forced !== "js" && forced !== "native") {
    throw new CrifsError("usage", `cannot select scanner "${forced}": CRIFS_ENGINE must be "js" or "native"`);
  }
  if (forced === "js") return { engine: "js", scanner: null, problem: "CRIFS_ENGINE=js" };
  const { scanner, problem } = loadNativeScanner();
  if (scanner !== null) return { engine: "native", scanner, problem: null };
  if (forced === "native") {
    throw new CrifsError("unsupported", `cannot use the native scanner: ${problem}`, {
      remedy:
        "run `npm rebuild` in the crifs checkout with gcc, make and python3 installed, or unset CRIFS_ENGINE",
    });
  }
  return { engine: "js", scanner: null, problem };
}

interface RootInfo {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly ctimeNs: bigint;
  readonly isDir: boolean;
}

function statRoot(path: string): RootInfo | null {
  try {
    const st = lstatSync(fsPath(path), { bigint: true, throwIfNoEntry: false });
    if (st === undefined) return null;
    return { dev: st.dev, ino: st.ino, ctimeNs: st.ctimeNs, isDir: st.isDirectory() };
  } catch {
    return null; // the engine reports it
  }
}

/** For each tree, the "dev:ino" of the other trees' roots below it (by real path), sorted. */
function nestedRoots(trees: readonly Tree[], roots: readonly (RootInfo | null)[]): string[][] {
  // real paths of dirs met so far: sibling roots (<home>/snapshots/<id>/fs) share every dir but the last two
  const realDirs = new Map<string, string>();
  /** realpath(3) of `path`, by bytes (a root may be named in no UTF-8). */
  const realOf = (path: string): string =>
    decodeName(realpathSync.native(fsPath(path), { encoding: "buffer" }));
  /** The real path of a dir that is no symlink: its parent's real path and its name (one lstat for a dir
   * not met before, where realpath(3) looks at every component of every root). */
  const realOfDir = (path: string, isDir: boolean): string => {
    const known = realDirs.get(path);
    if (known !== undefined) return known;
    const parent = dirname(path);
    const name = path.slice(parent.length + (parent === "/" ? 0 : 1));
    let real: string;
    if (parent === path || name === "" || name === "." || name === ".." || path !== resolve(path))
      real = realOf(path);
    else if (!isDir && !lstatSync(fsPath(path)).isDirectory()) real = realOf(path);
    else {
      const up = realOfDir(parent, false);
      real = up === "/" ? `/${name}` : `${up}/${name}`;
    }
    realDirs.set(path, real);
    return real;
  };
  const real = trees.map((t, i) => {
    try {
      return realOfDir(t.path, roots[i]?.isDir === true);
    } catch {
      return t.path;
    }
  });
  const order = real.map((_, i) => i).sort((a, b) => compareText(real[a] ?? "", real[b] ?? ""));
  const nested: string[][] = trees.map(() => []);
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const prefix = (real[i] ?? "").endsWith("/") ? (real[i] ?? "") : `${real[i]}/`;
    for (let l = k + 1; l < order.length; l++) {
      const j = order[l] as number;
      if (!(real[j] ?? "").startsWith(prefix)) break;
      const r = roots[j];
      if (r) nested[i]?.push(`${r.dev}:${r.ino}`);
    }
  }
  for (const n of nested) n.sort();
  return nested;
}

/**
 * Puts per-tree scans together in tree order: each tree keeps its directories and single-link inodes, and a
 * multi-link inode goes to the first tree (in order) whose scan lists it. Cost: one pass over the multi lists,
 * in the addon when `scanner` has it (the JS pass runs once per process, mostly before V8 has compiled it).
 */
export function mergeTreeScans(
  scans: readonly (TreeScan | null)[],
  scanner: NativeScanner | null = null,
): { perTree: Usage[]; total: Usage } {
  const firsts = scanner?.merge ? scanner.merge(scans.map((s) => s?.multi ?? noInodes)) : firstsInJs(scans);
  const total = emptyUsage();
  const perTree = scans.map((scan, i) => {
    const u = emptyUsage();
    if (scan === null) return u;
    u.allocatedBytes = scan.usage.allocatedBytes + (firsts[3 * i] as number);
    u.apparentBytes = scan.usage.apparentBytes + (firsts[3 * i + 1] as number);
    u.inodes = scan.usage.inodes + (firsts[3 * i + 2] as number);
    total.allocatedBytes += u.allocatedBytes;
    total.apparentBytes += u.apparentBytes;
    total.inodes += u.inodes;
    return u;
  });
  return { perTree, total };
}

const noInodes = new Float64Array(0);

/** Per scan: allocated, apparent bytes and count of the multi-link inodes it is the first to list. */
function firstsInJs(scans: readonly (TreeScan | null)[]): Float64Array {
  let expected = 0;
  for (const scan of scans) expected += scan === null ? 0 : scan.multi.length / 4;
  const seen = new InodeSet(expected);
  const firsts = new Float64Array(scans.length * 3);
  scans.forEach((scan, k) => {
    const m = scan?.multi ?? noInodes;
    let allocated = 0;
    let apparent = 0;
    let inodes = 0;
    for (let i = 0; i + 3 < m.length; i += 4) {
      if (!seen.add(m[i] as number, m[i + 1] as number)) continue;
      allocated += m[i + 2] as number;
      apparent += m[i + 3] as number;
      inodes += 1;
    }
    firsts.set([allocated, apparent, inodes], 3 * k);
  });
  return firsts;
}

function defaultThreads(): number {
  return Math.max(2, Math.min(availableParallelism(), 8));
}

/**
 * Scans `trees` (disk usage as `du -s -B1 -x` and `du -s --inodes -x` count it, symlinks as
 * `find -type l` lists them). Cost: a full walk of every tree not served from the cache; immutable trees
 * are cached under cacheDir and served while their root dir's dev/ino/ctime stay the same.
 */
export async function scanTrees(trees: readonly Tree[], options: ScanOptions = {}): Promise<ScanResult> {
  const oneFileSystem = options.oneFileSystem ?? true;
  const collectSymlinks = options.collectSymlinks ?? false;
  const wantUsage = options.usage ?? true;
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  const { engine, scanner } = selectScanEngine();

  const ids = new Set<string>();
  for (const t of trees) {
    if (ids.has(t.id)) throw new CrifsError("usage", `cannot scan trees: tree id "${t.id}" is given twice`);
    ids.add(t.id);
  }

  const roots = trees.map((t) => statRoot(t.path));
  const firstOfRoot = new Map<string, number>();
  const duplicate = roots.map((r, i) => {
    if (r === null) return false;
    const k = `${r.dev}:${r.ino}`;
    if (firstOfRoot.has(k)) return true;
    firstOfRoot.set(k, i);
    return false;
  });
  const stopList: number[] = [];
  for (const r of roots) if (r?.isDir) stopList.push(Number(r.dev), Number(r.ino));
  const stops = Float64Array.from(stopList);

  const wantIndex = options.linkIndex === true && scanner !== null;
  const useCache = cacheDir !== null && !wantIndex && trees.some((t) => t.immutable);
  const nested = useCache ? nestedRoots(trees, roots) : [];
  const keys = trees.map((t, i): CacheKey | null => {
    const r = roots[i];
    if (!useCache || !t.immutable || r === null || r === undefined || duplicate[i]) return null;
    return {
      id: t.id,
      path: t.path,
      dev: r.dev.toString(),
      ino: r.ino.toString(),
      ctimeNs: r.ctimeNs.toString(),
      oneFileSystem,
      nested: nested[i] ?? [],
    };
  });

  const cache = useCache && cacheDir !== null ? ScanCache.open(cacheDir, keys) : null;
  const scans: (TreeScan | null)[] = trees.map(() => null);
  const cachedTrees: string[] = [];
  const toWalk: number[] = [];
  trees.forEach((t, i) => {
    if (duplicate[i]) return;
    const key = keys[i];
    const hit = key && cache !== null ? cache.get(key, { symlinks: collectSymlinks }) : null;
    if (hit !== null) {
      scans[i] = hit;
      cachedTrees.push(t.id);
    } else {
      toWalk.push(i);
    }
  });

  const progress = options.progress;
  // trees served from the cache count at once; the last run's count of the same trees is the ETA's total
  let baseEntries = 0;
  let baseBytes = 0;
  for (const scan of scans) {
    baseEntries += scan?.usage.inodes ?? 0;
    baseBytes += scan?.usage.allocatedBytes ?? 0;
  }
  const countKey =
    progress !== undefined && cache !== null && cacheDir !== null
      ? countsKey(trees.map((t) => t.path))
      : null;
  if (progress !== undefined) {
    const last = countKey === null || cacheDir === null ? null : readLastCount(cacheDir, countKey);
    if (last !== null) progress.expect?.(last);
    progress.update(baseEntries, baseBytes);
  }
  let walkedEntries = 0;

  if (toWalk.length > 0) {
    const walk: WalkOptions & {
      threads: number;
      heldDirs?: number;
      index?: boolean;
      onProgress?: (entries: number, bytes: number) => void;
    } = {
      ...(options.heldDirs === undefined ? {} : { heldDirs: options.heldDirs }),
      oneFileSystem,
      // not collected for the cache's sake: a scan cached without symlinks serves the next du, not links
      symlinks: collectSymlinks,
      usage: wantUsage,
      stops,
      threads,
      ...(wantIndex ? { index: true } : {}),
      ...(progress === undefined
        ? {}
        : {
            onProgress: (entries: number, bytes: number) => {
              walkedEntries = entries;
              progress.update(baseEntries + entries, baseBytes + bytes);
            },
          }),
    };
    const paths = toWalk.map((i) => trees[i]?.path ?? "");
    const now = Date.now();
    const settleMs = options.settleMs ?? SETTLE_MS;
    const walked =
      scanner !== null ? await scanTreesNative(scanner, paths, walk) : await scanTreesJs(paths, walk);
    if (scanner === null) walkedEntries = walked.reduce((n, w) => n + (w?.usage.inodes ?? 0), 0);
    toWalk.forEach((i, k) => {
      const scan = walked[k] ?? null;
      scans[i] = scan;
      const key = keys[i];
      if (
        wantUsage &&
        key &&
        cache !== null &&
        scan !== null &&
        settled(trees[i] as Tree, roots[i], now, settleMs)
      )
        cache.put(key, scan);
    });
    cache?.save();
  }
  if (countKey !== null && cacheDir !== null) writeLastCount(cacheDir, countKey, baseEntries + walkedEntries);

  const merged = wantUsage ? mergeTreeScans(scans, scanner) : mergeTreeScans(scans.map(() => null));
  const perTree = new Map<string, Usage>();
  trees.forEach((t, i) => {
    perTree.set(t.id, merged.perTree[i] ?? emptyUsage());
  });

  const symlinks: SymlinkEntry[] = [];
  const errors: ScanError[] = [];
  const linkIndexes = new Map<string, LinkIndex>();
  trees.forEach((t, i) => {
    const scan = scans[i];
    if (!scan) return;
    if (scan.linkIndex !== undefined) linkIndexes.set(t.id, scan.linkIndex);
    if (collectSymlinks && scan.symlinks !== null) {
      const pairs = scan.symlinks;
      const order: number[] = [];
      for (let j = 0; j + 1 < pairs.length; j += 2) order.push(j);
      order.sort((a, b) => compareText(pairs[a] as string, pairs[b] as string));
      for (const j of order)
        symlinks.push({ tree: t.id, rel: pairs[j] as string, target: pairs[j + 1] as string });
    }
    for (const e of [...scan.errors].sort((a, b) => compareText(a.path, b.path))) errors.push(e);
  });

  return { perTree, total: merged.total, symlinks, errors, engine, cachedTrees, linkIndexes };
}
