// bucket.ts — buckets: the B+tree of one bucket read into a sorted array, eagerly, with every
// structural rule checked on the way.
//
//   bucket value (leaf element with flags & 0x01):
//   ┌──────────────┬──────────────┬─────────────────────────────────────────────────┐
//   │ root pgid u64│ sequence u64 │ root == 0: inline page image (header + leaf     │
//   │              │              │ elements + data, page id 0); else nothing       │
//   └──────────────┴──────────────┴─────────────────────────────────────────────────┘
//
//   branch page: count × { pos u32, ksize u32, pgid u64 }         key i = smallest key of child i
//   leaf page:   count × { flags u32, pos u32, ksize u32, vsize u32 }   flags 0x01 = nested bucket
//   pos is relative to the element itself; the data (key, then value) follows the element array in
//   element order:
//
//   ┌────────┬────────┬─────┬────────┬──────┬────────┬──────┬────────┬─────┐
//   │ header │ elem 0 │ ... │ elem n │ key0 │ value0 │ key1 │ value1 │ ... │
//   └────────┴────────┴─────┴────────┴──────┴────────┴──────┴────────┴─────┘
//
// Rules checked (a break is a "corrupt" error naming the page and the bucket): every key non-empty and
// inside its page; data in element order without overlap (this also bounds the work on a hostile file);
// keys strictly increasing across the whole bucket; each child's keys within [key i, key i+1) of its
// branch; no page reached twice; tree depth and bucket nesting at most 64.

import type { CrifsError } from "../../errors.js";
import { compareBytes, keyBytes, quoteShort } from "./bytes.js";
import { branchFlag, bucketPath, corrupt, leafFlag, type PageFile, pageHeaderSize } from "./page.js";
import type { BoltBucket, BoltEntry } from "./types.js";

/** Deepest bucket nesting accepted (containerd uses 6). */
export const maxBucketDepth = 64;
/** Deepest page tree accepted inside one bucket (a 4 KiB-page tree of a 2^40-byte file has ~10). */
export const maxTreeDepth = 64;

/** A nested bucket's value: its header (root page id, sequence) before an inline page image. */
export const bucketHeaderSize = 16;
/** A branch or leaf page's element header. */
export const elementSize = 16;
/** A leaf element's flag: its value is a nested bucket. */
export const bucketLeafFlag = 0x01;

class Bucket implements BoltBucket {
  readonly sequence: bigint;
  readonly #keys: readonly Uint8Array[];
  readonly #items: readonly BoltEntry[];

  constructor(sequence: bigint, keys: readonly Uint8Array[], items: readonly BoltEntry[]) {
    this.sequence = sequence;
    this.#keys = keys;
    this.#items = items;
  }

  get size(): number {
    return this.#items.length;
  }

  #find(key: string | Uint8Array): BoltEntry | undefined {
    const k = keyBytes(key);
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(this.#keys[mid] as Uint8Array, k);
      if (c === 0) return this.#items[mid];
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  get(key: string | Uint8Array): Uint8Array | undefined {
    return this.#find(key)?.value ?? undefined;
  }

  bucket(name: string | Uint8Array): BoltBucket | undefined {
    return this.#find(name)?.bucket ?? undefined;
  }

  entries(): Iterable<BoltEntry> {
    return this.#items.values();
  }
}

/** A bucket by path (["v1", ns, "images"]) or undefined. Cost: one binary search per step. */
export function bucketAt(root: BoltBucket, path: readonly string[]): BoltBucket | undefined {
  let b: BoltBucket | undefined = root;
  for (const name of path) {
    b = b.bucket(name);
    if (b === undefined) return undefined;
  }
  return b;
}

/** Counters filled while walking. */
export interface WalkCounts {
  branchPages: number;
  leafPages: number;
  overflowPages: number;
  buckets: number;
  inlineBuckets: number;
  values: number;
}

/** Keys and entries of one bucket as they are collected (keys apart, for the binary search). */
interface Collector {
  readonly keys: Uint8Array[];
  readonly items: BoltEntry[];
}

/** Names the page and bucket in a message; built only when a message is. */
type Label = () => string;

/** Where a page (or an inline page image) lies in the image, and its element count. */
interface PageSpan {
  readonly offset: number;
  readonly span: number;
  readonly count: number;
}

/** A page (or inline page image) still to read, with the key range its parent allows. */
interface Pending {
  readonly pgid: bigint;
  readonly depth: number;
  /** Smallest key allowed (inclusive), from the parent's branch element. */
  readonly lo: Uint8Array | null;
  /** Key of the next branch element (exclusive). */
  readonly hi: Uint8Array | null;
}

/** Reads bucket trees out of one PageFile. */
export class TreeReader {
  readonly #file: PageFile;
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  readonly counts: WalkCounts = {
    branchPages: 0,
    leafPages: 0,
    overflowPages: 0,
    buckets: 0,
    inlineBuckets: 0,
    values: 0,
  };

  constructor(file: PageFile) {
    this.#file = file;
    this.#view = file.view;
    this.#bytes = file.bytes;
  }

  #fail(message: string): CrifsError {
    return corrupt(this.#file.name, message);
  }

  /** The bucket whose root page is `root` (the meta's root bucket, or a nested non-inline one). */
  readBucket(root: bigint, sequence: bigint, path: readonly Uint8Array[]): BoltBucket {
    const where = () => bucketPath(path);
    const out: Collector = { keys: [], items: [] };
    const stack: Pending[] = [{ pgid: root, depth: 0, lo: null, hi: null }];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      if (next.depth > maxTreeDepth) {
        throw this.#fail(
          `cannot read page ${next.pgid} (${where()}): tree deeper than ${maxTreeDepth} levels`,
        );
      }
      const page = this.#file.page(next.pgid, "tree", where);
      this.counts.overflowPages += page.overflow;
      const label = () => `page ${page.id} (${where()})`;
      if (page.flags === branchFlag) {
        this.counts.branchPages++;
        const children = this.#branch(page, next, label);
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Pending);
      } else {
        this.counts.leafPages++;
        if (page.count === 0 && next.depth > 0) {
          throw this.#fail(`cannot read ${label()}: empty leaf page under a branch page`);
        }
        this.#leaf(page, next, out, path, label);
      }
    }
    return new Bucket(sequence, out.keys, out.items);
  }

  /** Branch elements of the page at `offset`: children in key order with their key ranges. */
  #branch(page: PageSpan, at: Pending, label: Label): Pending[] {
    const { offset, count } = page;
    if (count === 0) throw this.#fail(`cannot read ${label()}: branch page without elements`);
    const keys: Uint8Array[] = [];
    const pgids: bigint[] = [];
    let dataEnd = offset + pageHeaderSize + count * elementSize;
    for (let i = 0; i < count; i++) {
      const e = offset + pageHeaderSize + i * elementSize;
      const start = e + this.#view.getUint32(e, true);
      const ksize = this.#view.getUint32(e + 4, true);
      this.#checkData(start, ksize, dataEnd, page, i, label);
      if (ksize === 0) throw this.#fail(`cannot read ${label()}: element ${i} has an empty key`);
      dataEnd = start + ksize;
      const key = this.#bytes.subarray(start, dataEnd);
      const prev = keys[i - 1];
      if (prev !== undefined && compareBytes(prev, key) >= 0) {
        throw this.#fail(
          `cannot read ${label()}: branch keys out of order at element ${i} (${quoteShort(key)})`,
        );
      }
      keys.push(key);
      pgids.push(this.#file.pgidAt(e + 8));
    }
    this.#checkRange(keys[0] as Uint8Array, keys[count - 1] as Uint8Array, at, label);
    return pgids.map((pgid, i) => ({
      pgid,
      depth: at.depth + 1,
      lo: keys[i] as Uint8Array,
      hi: keys[i + 1] ?? at.hi,
    }));
  }

  /** Leaf elements of the page (or inline page image) at `offset`, appended to `out`. */
  #leaf(page: PageSpan, at: Pending, out: Collector, path: readonly Uint8Array[], label: Label): void {
    const { offset, count } = page;
    let dataEnd = offset + pageHeaderSize + count * elementSize;
    let first: Uint8Array | undefined;
    let last: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      const e = offset + pageHeaderSize + i * elementSize;
      const flags = this.#view.getUint32(e, true);
      const start = e + this.#view.getUint32(e + 4, true);
      const ksize = this.#view.getUint32(e + 8, true);
      const vsize = this.#view.getUint32(e + 12, true);
      if ((flags & ~bucketLeafFlag) !== 0) {
        throw this.#fail(`cannot read ${label()}: element ${i} has unknown flags 0x${flags.toString(16)}`);
      }
      this.#checkData(start, ksize + vsize, dataEnd, page, i, label);
      if (ksize === 0) throw this.#fail(`cannot read ${label()}: element ${i} has an empty key`);
      const key = this.#bytes.subarray(start, start + ksize);
      dataEnd = start + ksize + vsize;
      const prev = out.keys[out.keys.length - 1];
      if (prev !== undefined && compareBytes(prev, key) >= 0) {
        throw this.#fail(
          `cannot read ${label()}: keys out of order at element ${i} (${quoteShort(key)} after ${quoteShort(prev)})`,
        );
      }
      first ??= key;
      last = key;
      const valueAt = start + ksize;
      if ((flags & bucketLeafFlag) === 0) {
        this.counts.values++;
        out.keys.push(key);
        out.items.push({ key, value: this.#bytes.subarray(valueAt, dataEnd), bucket: null });
      } else {
        const child = this.#nested(valueAt, vsize, [...path, key], label);
        out.keys.push(key);
        out.items.push({ key, value: null, bucket: child });
      }
    }
    if (first !== undefined && last !== undefined) this.#checkRange(first, last, at, label);
  }

  /** The element's data [start, start+size) lies after the previous element's data and inside the page. */
  #checkData(start: number, size: number, dataEnd: number, page: PageSpan, i: number, label: Label): void {
    const end = page.offset + page.span;
    if (start < dataEnd || start + size > end) {
      const at = (n: number) => n - page.offset;
      throw this.#fail(
        `cannot read ${label()}: element ${i} of ${page.count} has data at bytes ${at(start)}..${at(start + size)}` +
          `, outside bytes ${at(dataEnd)}..${page.span} of the page`,
      );
    }
  }

  /** Keys of a child page lie in [lo, hi) from its parent branch. */
  #checkRange(first: Uint8Array, last: Uint8Array, at: Pending, label: Label): void {
    if (at.lo !== null && compareBytes(first, at.lo) < 0) {
      throw this.#fail(`cannot read ${label()}: first key ${quoteShort(first)} sorts before its branch key`);
    }
    if (at.hi !== null && compareBytes(last, at.hi) >= 0) {
      throw this.#fail(`cannot read ${label()}: key ${quoteShort(last)} sorts after the next branch key`);
    }
  }

  /** The nested bucket whose value (bucket header + maybe an inline page) is at `at`. */
  #nested(at: number, size: number, path: readonly Uint8Array[], label: Label): BoltBucket {
    const where = () => bucketPath(path);
    if (path.length > maxBucketDepth) {
      throw this.#fail(`cannot read ${where()}: nested deeper than ${maxBucketDepth}`);
    }
    if (size < bucketHeaderSize) {
      throw this.#fail(
        `cannot read ${where()} in ${label()}: bucket value is ${size} bytes, shorter than a header`,
      );
    }
    this.counts.buckets++;
    const root = this.#file.pgidAt(at);
    const sequence = this.#file.pgidAt(at + 8);
    if (root !== 0n) {
      if (size !== bucketHeaderSize) {
        throw this.#fail(
          `cannot read ${where()} in ${label()}: bucket value of ${size} bytes has root page ${root}`,
        );
      }
      return this.readBucket(root, sequence, path);
    }
    this.counts.inlineBuckets++;
    return this.#inline(at + bucketHeaderSize, size - bucketHeaderSize, sequence, path, label);
  }

  /** An inline bucket: a leaf page image of `span` bytes at `offset`, inside its parent's value. */
  #inline(
    offset: number,
    span: number,
    sequence: bigint,
    path: readonly Uint8Array[],
    label: Label,
  ): BoltBucket {
    const where = () => `inline ${bucketPath(path)} in ${label()}`;
    if (span < pageHeaderSize) {
      throw this.#fail(`cannot read ${where()}: ${span} bytes, shorter than a page header`);
    }
    const id = this.#view.getBigUint64(offset, true);
    const flags = this.#view.getUint16(offset + 8, true);
    const count = this.#view.getUint16(offset + 10, true);
    const overflow = this.#view.getUint32(offset + 12, true);
    if (id !== 0n || flags !== leafFlag || overflow !== 0) {
      throw this.#fail(
        `cannot read ${where()}: page header says id ${id}, flags 0x${flags.toString(16)}, overflow ${overflow}`,
      );
    }
    if (pageHeaderSize + count * elementSize > span) {
      throw this.#fail(`cannot read ${where()}: ${count} elements do not fit in ${span} bytes`);
    }
    const out: Collector = { keys: [], items: [] };
    this.#leaf({ offset, span, count }, { pgid: 0n, depth: 0, lo: null, hi: null }, out, path, where);
    return new Bucket(sequence, out.keys, out.items);
  }
}
