// links/shared-files.ts — files that several layers hold: hard-link groups that span layers (one inode,
// names in more than one layer dir) and duplicates (distinct inodes with the same contents in different
// layers: the bytes hard links or reflinks would give back).
//
//   layers' regular files ──► by dev:ino ──► inodes named in ≥ 2 layers          = cross-layer hard links
//                         └─► by size ──► sizes seen in ≥ 2 layers, one job per inode
//                             ──► ≤ 128 KiB: content key from one read ("whole")
//                                 bigger: first and last 8 KiB ("edges") ──► still alike: content key
//                             ──► keys seen in ≥ 2 layers = duplicates
// As jdupes and rmlint do: group by size, then by a cheap partial read, and read whole only what is still
// alike; an inode is read once however many names it has, and a group whose names all lie in one layer is
// dropped at each step. The content key (fs/file-hash.ts) reads only a file's runs of data and hashes only
// non-zero chunks, so sparse copies cost little (the benchmark store is 10 GiB on disk and 40 GB apparent);
// the reads run in worker threads (file-digests.ts). Per-file state is typed arrays over the layers' tables
// (layer-files.ts): one object per shown name, none per file looked at (issue 15). The first step reads a
// chunk of sizes at a time (~131,000 inodes, never cutting a size), so only one chunk's keys are held.

import { availableParallelism } from "node:os";
import { releaseFreeMemory } from "../collect-garbage.js";
import { errnoWords } from "../errors.js";
import { compareText } from "../model/text.js";
import { type FileKeys, fileKeys, type KeyMode, keyBytes, wholeLimit } from "./file-digests.js";
import { FileIndex, type LayerInventory, type SharedFileName } from "./file-index.js";
import type { LayerReadError } from "./layer-files.js";

export type { LayerInventory, LayerSnapshot, SharedFileName } from "./file-index.js";

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

/** A name made of file g of a FileIndex. */
interface Named {
  readonly g: number;
  readonly name: SharedFileName;
}

/**
 * Host-path order of names of `all`'s files, without comparing their host paths: each is its layer dir and
 * its path joined, which V8 flattens into a copy of both once it is compared (84,000 names of hard-link
 * groups: ~15 MB held to the end). When no layer dir is a prefix of another, two host paths compare as their
 * dirs do, and within one dir as their paths do.
 */
function hostPathOrder(all: FileIndex): (a: Named, b: Named) => number {
  const ranks = all.dirRanks();
  if (ranks === null) return (a, b) => compareText(a.name.hostPath, b.name.hostPath);
  return (a, b) =>
    (ranks[all.layerOf[a.g] as number] as number) - (ranks[all.layerOf[b.g] as number] as number) ||
    compareText(a.name.path, b.name.path);
}

/** The names of files `gs` of `all`, sorted by `order`, and the first of them. */
function namesOf(
  all: FileIndex,
  gs: Iterable<number>,
  order: (a: Named, b: Named) => number,
): { names: SharedFileName[]; first: Named } {
  const named: Named[] = [];
  for (const g of gs) named.push({ g, name: all.name(g) });
  named.sort(order);
  return { names: named.map((n) => n.name), first: named[0] as Named };
}

/** One FileIndex per layers array: link-report asks for hard links and duplicates of the same layers. */
const indexes = new WeakMap<readonly LayerInventory[], FileIndex>();

function indexOf(layers: readonly LayerInventory[]): FileIndex {
  let index = indexes.get(layers);
  if (index === undefined) {
    index = new FileIndex(layers);
    indexes.set(layers, index);
  }
  return index;
}

/** Whether files[from, to) (indexes into `all`) lie in more than one layer dir. */
function spansLayers(all: FileIndex, files: ArrayLike<number>, from: number, to: number): boolean {
  const first = all.dir(files[from] as number);
  for (let k = from + 1; k < to; k++) if (all.dir(files[k] as number) !== first) return true;
  return false;
}

/** The files g of `all` for which `keep(g)`, in index order: counted, then filled (no array of 10^6 numbers on
 * the heap). */
function filesWhere(all: FileIndex, keep: (g: number) => boolean): Uint32Array {
  let n = 0;
  for (let g = 0; g < all.length; g++) if (keep(g)) n++;
  const files = new Uint32Array(n);
  for (let g = 0, k = 0; k < n; g++) if (keep(g)) files[k++] = g;
  return files;
}

/**
 * Inodes that have names in more than one of the layers (same dev and ino). Pure; cost: a sort of the files
 * with nlink > 1. Sorted by the first name's host path.
 */
export function findCrossLayerHardLinks(layers: readonly LayerInventory[]): HardLinkGroup[] {
  const all = indexOf(layers);
  const files = filesWhere(all, (g) => all.nlink(g) > 1);
  files.sort((a, b) => all.dev(a) - all.dev(b) || all.ino(a) - all.ino(b) || a - b);
  const order = hostPathOrder(all);
  const out: { group: HardLinkGroup; first: Named }[] = [];
  for (let from = 0; from < files.length; ) {
    const g = files[from] as number;
    let to = from + 1;
    while (
      to < files.length &&
      all.ino(files[to] as number) === all.ino(g) &&
      all.dev(files[to] as number) === all.dev(g)
    )
      to++;
    if (spansLayers(all, files, from, to)) {
      const { names, first } = namesOf(all, files.subarray(from, to), order);
      out.push({
        group: { dev: all.dev(g), ino: all.ino(g), size: all.size(g), nlink: all.nlink(g), names },
        first,
      });
    }
    from = to;
  }
  return out.sort((a, b) => order(a.first, b.first)).map((o) => o.group);
}

/** Options of findDuplicateFiles. */
export interface DuplicateOptions {
  /** Files smaller than this are not looked at. Default 1 (empty files hold nothing to save). */
  minSize?: number;
  /**
   * Reads one file's content key in this thread (tests pass a counting one), in place of the staged reads:
   * each candidate inode is then keyed by it once. Default: file-digests.ts's staged keys, in workers.
   */
  contentKey?: (hostPath: string) => string;
  /** Worker threads for the reads. Default: the CPUs available, at least 2, at most 4 (each worker is a V8
   * isolate of ~9 MB: 8 of them took links --shared on 1 M files from ~320 to ~370 MB; jdupes reads with one). */
  threads?: number;
}

/**
 * Candidate inodes: runs of `files` (sorted by size, dev, ino) that are one inode each. Inode c's names are
 * files[first[c], first[c + 1]).
 */
interface Inodes {
  readonly files: Uint32Array;
  /** Per inode its first name's position in files, plus one past the end. */
  readonly first: Uint32Array;
}

/**
 * The inodes whose size another inode in some other layer also has, sorted by size: all a duplicate can be.
 * Each inode once, with every name it has in the layers.
 */
function candidateInodes(all: FileIndex, minSize: number): Inodes {
  const files = filesWhere(all, (g) => all.size(g) >= minSize);
  files.sort(
    (a, b) => all.size(a) - all.size(b) || all.dev(a) - all.dev(b) || all.ino(a) - all.ino(b) || a - b,
  );
  const keep: number[] = []; // kept runs of equal size, as [from, to) pairs
  for (let from = 0; from < files.length; ) {
    const size = all.size(files[from] as number);
    let to = from + 1;
    while (to < files.length && all.size(files[to] as number) === size) to++;
    const oneInode =
      all.ino(files[from] as number) === all.ino(files[to - 1] as number) &&
      all.dev(files[from] as number) === all.dev(files[to - 1] as number);
    if (!oneInode && spansLayers(all, files, from, to)) keep.push(from, to);
    from = to;
  }
  let kept = 0;
  for (let k = 0; k < keep.length; k += 2) kept += (keep[k + 1] as number) - (keep[k] as number);
  const out = new Uint32Array(kept);
  const first = new Uint32Array(kept + 1); // at most one inode a name
  let inodeCount = 0;
  let at = 0;
  for (let k = 0; k < keep.length; k += 2) {
    for (let p = keep[k] as number; p < (keep[k + 1] as number); p++, at++) {
      const g = files[p] as number;
      out[at] = g;
      const prev = at > 0 ? (out[at - 1] as number) : -1;
      if (
        at === 0 ||
        all.size(prev) !== all.size(g) ||
        all.ino(prev) !== all.ino(g) ||
        all.dev(prev) !== all.dev(g)
      )
        first[inodeCount++] = at;
    }
  }
  first[inodeCount++] = kept;
  return { files: out, first: first.slice(0, inodeCount) };
}

/** Keys read for candidate inodes: inode c's key is keys[slot[c] × keyBytes, + keyBytes), or none (slot -1:
 * not read, or unreadable). `words` views the same bytes as u32s, for sorting without strings. */
interface Keyed {
  readonly slot: Int32Array;
  readonly keys: Uint8Array;
  readonly words: Uint32Array;
}

const keyWords = keyBytes / 4;

/** Jobs handed to the workers at once (each slice starts its workers: a few ms against seconds of reads). */
const sliceJobs = 1 << 17;
/** The most digest workers by default: each is a V8 isolate of ~9 MB, and links --shared has a memory bound. */
const maxDigestWorkers = 4;

/**
 * Groups `members` (candidate inodes) by size and key: sorts the ones with a key by (size, key) as numbers,
 * and returns the runs of two inodes or more whose names span two layers, as [from, to) pairs into the
 * returned order. No string or object per inode (a Map by key string was 10^6 strings on a big store).
 */
function groupByKey(
  all: FileIndex,
  inodes: Inodes,
  sizes: Float64Array,
  members: ArrayLike<number>,
  keyed: Keyed,
): { order: Uint32Array; runs: number[] } {
  let n = 0;
  const order = new Uint32Array(members.length);
  for (let m = 0; m < members.length; m++) {
    const c = members[m] as number;
    if ((keyed.slot[c] as number) >= 0) order[n++] = c;
  }
  const w = keyed.words;
  const sameKey = (a: number, b: number): number => {
    if (sizes[a] !== sizes[b]) return (sizes[a] as number) - (sizes[b] as number);
    const x = (keyed.slot[a] as number) * keyWords;
    const y = (keyed.slot[b] as number) * keyWords;
    for (let k = 0; k < keyWords; k++) {
      const d = (w[x + k] as number) - (w[y + k] as number);
      if (d !== 0) return d;
    }
    return 0;
  };
  const sorted = order.subarray(0, n).sort((a, b) => sameKey(a, b) || a - b);
  const runs: number[] = [];
  for (let from = 0; from < n; ) {
    let to = from + 1;
    while (to < n && sameKey(sorted[from] as number, sorted[to] as number) === 0) to++;
    if (to - from >= 2 && inodesSpanLayers(all, inodes, sorted, from, to)) runs.push(from, to);
    from = to;
  }
  return { order: sorted, runs };
}

/** Candidate inodes 0..sizes.length - 1 (in size order) cut into runs of about `about` inodes, each cut
 * between two sizes (a size's inodes all in one run, however many). */
export function sizeChunks(sizes: Float64Array, about: number): Uint32Array[] {
  const chunks: Uint32Array[] = [];
  for (let from = 0; from < sizes.length; ) {
    let to = Math.min(sizes.length, from + about);
    while (to < sizes.length && sizes[to] === sizes[to - 1]) to++;
    chunks.push(Uint32Array.from({ length: to - from }, (_, k) => from + k));
    from = to;
  }
  return chunks;
}

/** Whether the names of inodes set[from, to) lie in more than one layer dir. */
function inodesSpanLayers(
  all: FileIndex,
  inodes: Inodes,
  set: ArrayLike<number>,
  from: number,
  to: number,
): boolean {
  const first = all.dir(inodes.files[inodes.first[set[from] as number] as number] as number);
  for (let m = from; m < to; m++) {
    const c = set[m] as number;
    for (let p = inodes.first[c] as number; p < (inodes.first[c + 1] as number); p++)
      if (all.dir(inodes.files[p] as number) !== first) return true;
  }
  return false;
}

/**
 * Groups of distinct inodes with equal contents whose names span more than one layer. Only sizes present in
 * two layers or more are read, each inode once: files up to 128 KiB whole in one read, bigger ones first by
 * their first and last 8 KiB and only then, if still alike, by their runs of data. A file that cannot be read
 * is reported in `errors` and left out. Sorted by savableBytes, largest first.
 */
export async function findDuplicateFiles(
  layers: readonly LayerInventory[],
  options: DuplicateOptions = {},
): Promise<{ groups: DuplicateGroup[]; errors: LayerReadError[] }> {
  const all = indexOf(layers);
  const errors: LayerReadError[] = [];
  const inodes = candidateInodes(all, options.minSize ?? 1);
  const count = inodes.first.length - 1;
  const fileOf = (c: number) => inodes.files[inodes.first[c] as number] as number;
  const pathOf = (c: number) => all.hostPath(fileOf(c));
  const sizes = new Float64Array(count);
  for (let c = 0; c < count; c++) sizes[c] = all.size(fileOf(c));
  const threads = options.threads ?? Math.max(2, Math.min(availableParallelism(), maxDigestWorkers));
  /**
   * Reads the keys of the inodes `wanted` in `mode(c)`, in inode order (files made together lie together on
   * disk, so a cold cache reads ahead instead of seeking: size order is random order); one that cannot be
   * read is an error.
   */
  const readKeys = async (wanted: ArrayLike<number>, mode: (c: number) => KeyMode): Promise<Keyed> => {
    const jobs = Uint32Array.from(wanted).sort(
      (a, b) => all.dev(fileOf(a)) - all.dev(fileOf(b)) || all.ino(fileOf(a)) - all.ino(fileOf(b)),
    );
    const slot = new Int32Array(count).fill(-1);
    const key = options.contentKey;
    let keys: Uint8Array;
    if (key !== undefined) {
      keys = new Uint8Array(jobs.length * keyBytes);
      jobs.forEach((c, i) => {
        try {
          keys.set(Buffer.from(key(pathOf(c)), "hex"), i * keyBytes);
          slot[c] = i;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? "EIO";
          errors.push({ path: pathOf(c), message: `cannot read: ${errnoWords(code)}` });
        }
      });
    } else {
      // in slices: the jobs' paths are copied into shared memory for the workers (70 bytes a file), and
      // 10^6 of them at once were 70 MB beside the layers' own copies
      // one slice (each chunk of step 1): its keys are the workers' own buffer, not copied
      keys = jobs.length <= sliceJobs ? new Uint8Array(0) : new Uint8Array(jobs.length * keyBytes);
      const prefixes = all.dirBytes();
      for (let start = 0; start < jobs.length; start += sliceJobs) {
        const part = jobs.subarray(start, Math.min(jobs.length, start + sliceJobs));
        const r: FileKeys = await fileKeys(
          {
            length: part.length,
            prefixes,
            prefixOf: (i) => all.layerOf[fileOf(part[i] as number)] as number,
            pathLength: (i) => all.relLength(fileOf(part[i] as number)),
            writePath: (i, into, at) => all.writeRel(fileOf(part[i] as number), into, at),
            mode: (i) => mode(part[i] as number),
            size: (i) => sizes[part[i] as number] as number,
          },
          { threads },
        );
        if (jobs.length <= sliceJobs) keys = r.keys;
        else keys.set(r.keys, start * keyBytes);
        part.forEach((c, i) => {
          const code = r.errors.get(i);
          if (code === undefined) slot[c] = start + i;
          else errors.push({ path: pathOf(c), message: `cannot read: ${errnoWords(code)}` });
        });
        // the slice's shared buffers go only with a full collection (V8 does not count them as heap)
        if (jobs.length > sliceJobs) releaseFreeMemory();
      }
    }
    const words = new Uint32Array(keys.buffer, keys.byteOffset, keys.byteLength / 4);
    return { slot, keys, words };
  };
  const hexOf = (keyed: Keyed, c: number) =>
    Buffer.from(
      keyed.keys.buffer,
      keyed.keys.byteOffset + (keyed.slot[c] as number) * keyBytes,
      keyBytes,
    ).toString("hex");
  /** Step 1's reads and groups: the groups of small files are final (kept with their digests), the inodes of
   * bigger ones still alike are returned for step 2. Its keys are garbage once it returns. */
  const firstStep = async (members: Uint32Array): Promise<{ rest: number[] }> => {
    const first = await readKeys(members, (c) => ((sizes[c] as number) <= wholeLimit ? "whole" : "edges"));
    const step1 = groupByKey(all, inodes, sizes, members, first);
    const done: number[] = [];
    const rest: number[] = [];
    for (let r = 0; r < step1.runs.length; r += 2) {
      const from = step1.runs[r] as number;
      const to = step1.runs[r + 1] as number;
      if ((sizes[step1.order[from] as number] as number) <= wholeLimit) done.push(from, to);
      else for (let m = from; m < to; m++) rest.push(step1.order[m] as number);
    }
    withDigests(step1.order, done, first);
    return { rest };
  };
  /** The groups found: [from, to) into order, with each group's key as hex (the keys themselves, 32 bytes a
   * file read, are let go before the next step's reads). */
  const found: { order: Uint32Array; runs: number[]; digests: string[] }[] = [];
  const withDigests = (order: Uint32Array, runs: number[], keyed: Keyed) => {
    const digests: string[] = [];
    for (let r = 0; r < runs.length; r += 2) digests.push(hexOf(keyed, order[runs[r] as number] as number));
    found.push({ order, runs, digests });
  };
  if (options.contentKey !== undefined) {
    const every = Uint32Array.from({ length: count }, (_, c) => c);
    const keyed = await readKeys(every, () => "content");
    const g = groupByKey(all, inodes, sizes, every, keyed);
    withDigests(g.order, g.runs, keyed);
  } else {
    // step 1: small files whole (final), bigger ones by their edges, a chunk of sizes at a time: only files
    // of one size can be alike, so each chunk's keys (32 bytes a file) are grouped and let go before the next
    // chunk is read (all at once they were 23 MB of links --shared's peak on 721,000 candidates)
    const rest: number[] = [];
    const chunks = sizeChunks(sizes, sliceJobs);
    for (const chunk of chunks) {
      for (const c of (await firstStep(chunk)).rest) rest.push(c);
      // the chunk's shared buffers go only with a full collection (V8 does not count them as heap)
      if (chunks.length > 1) releaseFreeMemory();
    }
    // step 2: what is still alike by its edges, by its contents
    if (rest.length > 0) {
      const second = await readKeys(rest, () => "content");
      const g = groupByKey(all, inodes, sizes, rest, second);
      withDigests(g.order, g.runs, second);
    }
  }
  const byHostPath = hostPathOrder(all);
  const groups: { group: DuplicateGroup; first: Named }[] = [];
  for (const { order, runs, digests } of found) {
    for (let r = 0; r < runs.length; r += 2) {
      const from = runs[r] as number;
      const to = runs[r + 1] as number;
      const files: number[] = [];
      let total = 0;
      let largest = 0;
      for (let m = from; m < to; m++) {
        const c = order[m] as number;
        const allocated = all.allocated(fileOf(c));
        total += allocated;
        largest = Math.max(largest, allocated);
        for (let p = inodes.first[c] as number; p < (inodes.first[c + 1] as number); p++)
          files.push(inodes.files[p] as number);
      }
      const { names, first } = namesOf(all, files, byHostPath);
      groups.push({
        group: {
          size: sizes[order[from] as number] as number,
          digest: digests[r / 2] as string,
          copies: to - from,
          savableBytes: total - largest,
          names,
        },
        first,
      });
    }
  }
  groups.sort((a, b) => b.group.savableBytes - a.group.savableBytes || byHostPath(a.first, b.first));
  return { groups: groups.map((g) => g.group), errors: errors.sort((a, b) => compareText(a.path, b.path)) };
}
