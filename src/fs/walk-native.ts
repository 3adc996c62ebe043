// fs/walk-native.ts — loads the native scanner (build/Release/crifs_scan.node, built from native/scan.c by
// node-gyp at npm install) and turns its output into TreeScans. Absent or unloadable: null, and walk.ts uses
// the JS engine instead.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { fsPath } from "./name-codec.js";
import { loadSeaAddon, seaFile } from "./sea-assets.js";
import {
  errnoName,
  joinTreePath,
  type ScanError,
  type ScanOp,
  scanErrorMessage,
  type TreeScan,
  type WalkOptions,
} from "./walk-tree-scan.js";

export interface NativeTree {
  allocatedBytes: number;
  apparentBytes: number;
  inodes: number;
  multi: Float64Array;
  /** rel, target, rel, target… (names as decodeName gives them: exact bytes) */
  links: string[];
  /** rel, errno, op, rel, errno, op… */
  errors: (string | number)[];
  /**
   * With the files option: every regular file's dev, ino, nlink, size and allocated bytes (5 per file) and
   * its rel's bytes (paths[ends[i - 1], ends[i])). Absent from older addons.
   */
  files?: { facts: Float64Array; paths: Buffer; ends: Uint32Array };
}

interface NativeResult {
  trees: NativeTree[];
  entries: number;
  dirs: number;
  /** With options.index: the name index of every tree (native/link-index.c), for resolveViews. */
  index?: object;
}

/**
 * What resolveViews answers per container view: how many of its layers' links the merged tree shows, and a row
 * of numbers per shown link that is broken or in or into a mount point, sorted by path (their fields:
 * native/link-index.c F_*, read by src/links/native-links.ts).
 */
export interface NativeViewLinks {
  readonly visible: number;
  readonly rows: Uint32Array;
  /** Where resolving each broken link stopped: byte ranges the rows point into. */
  readonly at: Buffer;
}

/** Paths as spans of Buffers: path k is the bytes [spans[3k + 1], + spans[3k + 2]) of texts[spans[3k]]. */
export interface PathSpans {
  readonly texts: readonly Buffer[];
  readonly spans: Uint32Array;
}

/** A container view for resolveViews: its layers top first, layer i being tree trees[i] of indexes[i]. */
export interface NativeView {
  readonly indexes: readonly object[];
  readonly trees: Uint32Array;
  /** The layers' host dirs. */
  readonly dirs: readonly (string | Buffer)[];
  /** Which xattr marks an opaque dir: 0 either, 1 trusted.overlay.opaque, 2 user.overlay.opaque. */
  readonly opaque: 0 | 1 | 2;
  readonly mountPoints: readonly (string | Buffer)[];
  /** Judge only the links at these paths (or at these byte spans of Buffers: PathSpans); null: every link. */
  readonly only: readonly (string | Buffer)[] | PathSpans | null;
}

/** One tree of a scan's name index: the index and the tree's position in that scan. */
export interface LinkIndex {
  readonly index: object;
  readonly tree: number;
}

export interface NativeScanner {
  scan(
    /** A root that is not UTF-8 goes as its bytes (fsPath). */
    roots: readonly (string | Buffer)[],
    options: {
      oneFileSystem: boolean;
      links: boolean;
      usage: boolean;
      threads: number;
      stops: Float64Array;
      heldDirs?: number;
      /** Also index every entry's name for resolveViews. Default false. */
      index?: boolean;
      /** List every regular file (NativeTree.files). Default false. */
      files?: boolean;
      /** 8 per thread (a cache line), the first two its entries and allocated bytes so far, written after each
       * directory (a Float64Array over a SharedArrayBuffer, read on a timer). Ignored by older addons. */
      progress?: Float64Array;
    },
  ): Promise<NativeResult>;
  /**
   * Judges every link of each view's layers over the name indexes (native/link-index.c); with `host`, a broken
   * link's target is also looked for on the host (lstat). null for a view one of whose indexes is not whole
   * (resolve it by lstat then). A view's links are shared among up to `threads` threads (default 1). Absent
   * from older addons.
   */
  resolveViews?(views: readonly NativeView[], host: boolean, threads?: number): (NativeViewLinks | null)[];
  /** The link paths and targets of a scan index, back to back, as the rows of resolveViews point into them. */
  linkText?(index: object): Buffer;
  /** What lstat finds at a path (fs/path-kind.ts), a Buffer for a path that is not UTF-8. */
  kind?(path: string | Buffer): number;
  /**
   * Per list (dev, ino, allocated, apparent per inode), the allocated and apparent bytes and the count of
   * the inodes no earlier list holds: mergeTreeScans's pass (walk.ts), in C. Absent from older addons.
   */
  merge?(lists: readonly Float64Array[]): Float64Array;
  /**
   * The next run of data of the open file `fd` at or after `offset` as [start, end) (SEEK_DATA, SEEK_HOLE);
   * null when only a hole follows; -errno on another error (fs/file-hash.ts dataExtents). Absent from older addons.
   */
  dataExtent?(fd: number, offset: number): [number, number] | null | number;
  /**
   * lgetxattr of a path given as its bytes (a name that is not UTF-8): the value, null when absent (ENODATA,
   * ENOTSUP), or -errno. Absent from addons built before it.
   */
  lgetxattr?(path: Buffer, name: string): Buffer | null | number;
  /**
   * Per item: lstat of srcs[i] compared with ids' dev, ino and ctimeMs (3 per item; NaN ctimeMs: not
   * compared), then renameat2(RENAME_NOREPLACE) to dsts[i] (native/rename.c; src/repair/rename-batch.ts reads
   * the results). Absent from addons built before it.
   */
  /** Hands what malloc holds free back to the kernel (malloc_trim): after a phase whose native memory is gone.
   * Absent from addons built before it. */
  releaseMemory?(): void;
  renameBatch?(
    srcs: readonly (string | Buffer)[],
    dsts: readonly (string | Buffer)[],
    ids: Float64Array,
  ): Int32Array;
}

/** dist/src/fs → the package root. */
const addonPath = fileURLToPath(new URL("../../../build/Release/crifs_scan.node", import.meta.url));

/** The scanner's asset key in the single executable (scripts/build-exe.mjs). */
const seaAddonKey = "build/Release/crifs_scan.node";

let loaded: { scanner: NativeScanner | null; problem: string | null } | undefined;

/** The addon, or null with the reason (not built, or built for another Node). Loaded once. */
export function loadNativeScanner(): { scanner: NativeScanner | null; problem: string | null } {
  if (loaded !== undefined) return loaded;
  if (seaFile(seaAddonKey) !== null) {
    // the single executable: the addon it carries, written to a private dir and dlopened (fs/sea-assets.ts)
    try {
      const addon = loadSeaAddon(seaAddonKey) as Partial<NativeScanner>;
      loaded =
        typeof addon.scan === "function"
          ? { scanner: addon as NativeScanner, problem: null }
          : { scanner: null, problem: `the executable's ${seaAddonKey} has no scan function` };
    } catch (err) {
      loaded = {
        scanner: null,
        problem: `cannot load the executable's native scanner: ${(err as Error).message}`,
      };
    }
    return loaded;
  }
  if (!existsSync(addonPath)) {
    loaded = { scanner: null, problem: `${addonPath} is not built` };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(addonPath) as Partial<NativeScanner>;
    loaded =
      typeof addon.scan === "function"
        ? { scanner: addon as NativeScanner, problem: null }
        : { scanner: null, problem: `${addonPath} has no scan function` };
  } catch (err) {
    loaded = { scanner: null, problem: `cannot load ${addonPath}: ${(err as Error).message}` };
  }
  return loaded;
}

/** Doubles per thread in the scan's progress array (native/scan.c PROGRESS_STRIDE): a cache line each. */
const PROGRESS_STRIDE = 8;

/** Walks `roots` natively with `threads` threads. Cost: a full walk (one fstatat per entry). */
export async function scanTreesNative(
  scanner: NativeScanner,
  roots: readonly string[],
  options: WalkOptions & {
    threads: number;
    heldDirs?: number;
    index?: boolean;
    /** Called about 10 times a second with the entries and allocated bytes walked so far. */
    onProgress?: (entries: number, bytes: number) => void;
  },
): Promise<TreeScan[]> {
  const onProgress = options.onProgress;
  // shared memory: the scanner's threads write their counts into it while the promise is pending
  const progress =
    onProgress === undefined
      ? undefined
      : new Float64Array(new SharedArrayBuffer(PROGRESS_STRIDE * options.threads * 8));
  const report = () => {
    if (progress === undefined || onProgress === undefined) return;
    let entries = 0;
    let bytes = 0;
    for (let i = 0; i + 1 < progress.length; i += PROGRESS_STRIDE) {
      entries += progress[i] ?? 0;
      bytes += progress[i + 1] ?? 0;
    }
    onProgress(entries, bytes);
  };
  const timer = progress === undefined ? undefined : setInterval(report, 100);
  const result = await scanner
    .scan(roots.map(fsPath), {
      oneFileSystem: options.oneFileSystem,
      links: options.symlinks,
      usage: options.usage,
      threads: options.threads,
      stops: options.stops,
      ...(options.heldDirs === undefined ? {} : { heldDirs: options.heldDirs }),
      ...(options.index === true ? { index: true } : {}),
      ...(progress === undefined ? {} : { progress }),
    })
    .finally(() => {
      clearInterval(timer);
      report(); // the whole walk's counts, now final
    });
  const index = result.index;
  return result.trees.map((t, i) => {
    const root = roots[i] ?? "";
    const errors: ScanError[] = [];
    for (let j = 0; j + 2 < t.errors.length; j += 3) {
      const rel = t.errors[j] as string;
      const op = t.errors[j + 2] as ScanOp;
      errors.push({
        path: joinTreePath(root, rel),
        message: scanErrorMessage(op, errnoName(t.errors[j + 1] as number)),
      });
    }
    return {
      usage: { allocatedBytes: t.allocatedBytes, apparentBytes: t.apparentBytes, inodes: t.inodes },
      multi: t.multi,
      symlinks: options.symlinks ? t.links : null,
      errors,
      // a tree that could not be read whole has an index with holes: its links resolve by lstat
      ...(index === undefined || errors.length > 0 ? {} : { linkIndex: { index, tree: i } }),
    };
  });
}
