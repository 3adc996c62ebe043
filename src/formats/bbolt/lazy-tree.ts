// lazy-tree.ts — buckets read page by page, on demand: a lookup descends from a bucket's root page to the one
// leaf that can hold the key and reads only the pages on the way (parse.ts reads every page at open).
//
//   get(key) ─▶ root page ─▶ branch: the child whose range holds the key ─▶ … ─▶ leaf: binary search
//                  │                 (each page read once per view, cached by id)
//                  └─ every page read is checked as parse.ts checks it: id inside the high-water mark and the
//                     file, header id, flags, elements inside the page with data in element order, keys
//                     strictly increasing and inside the range its parent branch gives, no page twice on one
//                     path from the meta page (a cycle), at most 64 levels per bucket and 64 nested buckets.
//
// What it does not check is what it does not read: a damaged page elsewhere in the file shows when a read
// reaches it (openBolt finds it at open). Errors are the same one-line "corrupt" errors naming the file.

import { bucketHeaderSize, bucketLeafFlag, elementSize, maxBucketDepth, maxTreeDepth } from "./bucket.js";
import { compareBytes, keyBytes, quoteShort } from "./bytes.js";
import { branchFlag, bucketPath, corrupt, flagWords, leafFlag, pageHeaderSize } from "./page.js";
import type { BoltBucket, BoltEntry } from "./types.js";

/** Where the page bytes come from: one page (with its overflow) by id, read at most once per view. */
export interface PageSource {
  readonly name: string;
  readonly pageSize: number;
  /** The meta's high-water mark (pages in use). */
  readonly highWater: number;
  /** Whole pages in the file. */
  readonly filePages: number;
  /** `length` bytes at byte `offset` of the file (throws when the file is shorter). */
  read(offset: number, length: number): Uint8Array;
}

/** One decoded tree page (or inline page image): its elements, checked. */
interface Decoded {
  readonly branch: boolean;
  readonly keys: readonly Uint8Array[];
  /** Branch: child page ids. */
  readonly children: readonly bigint[];
  /** Leaf: values (or bucket values) and whether each is a nested bucket. */
  readonly values: readonly Uint8Array[];
  readonly isBucket: readonly boolean[];
}

/** The page ids on the path from the meta page to here, for cycle checks (a short list: one per level). */
type Trail = readonly number[];

export class LazyTree {
  readonly #src: PageSource;
  readonly #pages = new Map<number, Decoded>();

  constructor(src: PageSource) {
    this.#src = src;
  }

  /** The bucket whose root page is `root` (the meta's root bucket). */
  bucket(root: bigint, sequence: bigint): BoltBucket {
    return new LazyBucket(this, { root, inline: null }, sequence, [], []);
  }

  fail(message: string) {
    return corrupt(this.#src.name, message);
  }

  /** Page `id`, validated (header, flags, elements) and decoded; `trail` must not hold it already. */
  page(id: bigint, trail: Trail, where: () => string): Decoded {
    const src = this.#src;
    const fail = (state: string) => this.fail(`cannot read page ${id} (${where()}): ${state}`);
    if (id < 2n) throw fail("ids 0 and 1 are the meta pages (torn or corrupt file)");
    if (id >= BigInt(src.highWater)) {
      throw fail(`beyond the high-water mark of the meta page (${src.highWater} pages in use)`);
    }
    const n = Number(id);
    if (n >= src.filePages) throw fail(`past the end of the file (${src.filePages} pages)`);
    if (trail.includes(n)) throw fail("reached twice on one path from the meta page (a cycle)");
    const cached = this.#pages.get(n);
    if (cached !== undefined) return cached;
    let bytes = src.read(n * src.pageSize, src.pageSize);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerId = view.getBigUint64(0, true);
    if (headerId !== id) throw fail(`page header says id ${headerId} (torn or corrupt file)`);
    const flags = view.getUint16(8, true);
    const count = view.getUint16(10, true);
    const overflow = view.getUint32(12, true);
    if (flags !== branchFlag && flags !== leafFlag) {
      throw fail(`flags say ${flagWords(flags)}, expected a branch or leaf page`);
    }
    if (n + overflow >= src.highWater) {
      throw fail(`overflow of ${overflow} pages runs beyond the high-water mark (${src.highWater} pages)`);
    }
    if (n + overflow >= src.filePages) {
      throw fail(`overflow of ${overflow} pages runs past the end of the file (${src.filePages} pages)`);
    }
    const span = (overflow + 1) * src.pageSize;
    if (pageHeaderSize + count * elementSize > span)
      throw fail(`${count} elements do not fit in ${span} bytes`);
    if (overflow > 0) bytes = src.read(n * src.pageSize, span);
    const label = () => `page ${n} (${where()})`;
    const decoded = this.decode(bytes, 0, span, flags === branchFlag, count, label);
    if (decoded.branch && count === 0)
      throw this.fail(`cannot read ${label()}: branch page without elements`);
    this.#pages.set(n, decoded);
    return decoded;
  }

  /** The elements of a page image at `offset` in `bytes`: data in element order inside the span, keys
   * non-empty and strictly increasing, leaf flags known. */
  decode(
    bytes: Uint8Array,
    offset: number,
    span: number,
    branch: boolean,
    count: number,
    label: () => string,
  ) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const keys: Uint8Array[] = [];
    const children: bigint[] = [];
    const values: Uint8Array[] = [];
    const isBucket: boolean[] = [];
    const end = offset + span;
    let dataEnd = offset + pageHeaderSize + count * elementSize;
    for (let i = 0; i < count; i++) {
      const e = offset + pageHeaderSize + i * elementSize;
      const flags = branch ? 0 : view.getUint32(e, true);
      const start = e + view.getUint32(e + (branch ? 0 : 4), true);
      const ksize = view.getUint32(e + (branch ? 4 : 8), true);
      const vsize = branch ? 0 : view.getUint32(e + 12, true);
      if ((flags & ~bucketLeafFlag) !== 0) {
        throw this.fail(`cannot read ${label()}: element ${i} has unknown flags 0x${flags.toString(16)}`);
      }
      if (start < dataEnd || start + ksize + vsize > end) {
        throw this.fail(
          `cannot read ${label()}: element ${i} of ${count} has data at bytes ${start - offset}..${start + ksize + vsize - offset}` +
            `, outside bytes ${dataEnd - offset}..${span} of the page`,
        );
      }
      if (ksize === 0) throw this.fail(`cannot read ${label()}: element ${i} has an empty key`);
      const key = bytes.subarray(start, start + ksize);
      const prev = keys[i - 1];
      if (prev !== undefined && compareBytes(prev, key) >= 0) {
        throw this.fail(`cannot read ${label()}: keys out of order at element ${i} (${quoteShort(key)})`);
      }
      keys.push(key);
      dataEnd = start + ksize + vsize;
      if (branch) children.push(view.getBigUint64(e + 8, true));
      else {
        values.push(bytes.subarray(start + ksize, dataEnd));
        isBucket.push((flags & bucketLeafFlag) !== 0);
      }
    }
    return { branch, keys, children, values, isBucket };
  }
}

/** A bucket's root: a page id, or (root 0) the inline leaf page image inside its parent's value. */
interface Root {
  readonly root: bigint;
  readonly inline: Uint8Array | null;
}

/** A page reached under a parent branch, with the key range the parent allows: [lo, hi). */
interface Step {
  readonly page: Decoded;
  readonly id: number;
}

class LazyBucket implements BoltBucket {
  readonly sequence: bigint;
  readonly #tree: LazyTree;
  readonly #root: Root;
  readonly #path: readonly Uint8Array[];
  readonly #trail: Trail;
  #inlinePage: Decoded | undefined;

  constructor(tree: LazyTree, root: Root, sequence: bigint, path: readonly Uint8Array[], trail: Trail) {
    this.sequence = sequence;
    this.#tree = tree;
    this.#root = root;
    this.#path = path;
    this.#trail = trail;
    if (path.length > maxBucketDepth) {
      throw tree.fail(`cannot read ${bucketPath(path)}: nested deeper than ${maxBucketDepth}`);
    }
  }

  get size(): number {
    let n = 0;
    for (const _ of this.entries()) n++;
    return n;
  }

  #where = () => bucketPath(this.#path);

  #inline(): Decoded {
    if (this.#inlinePage !== undefined) return this.#inlinePage;
    const v = this.#root.inline as Uint8Array;
    const where = () => `inline ${this.#where()}`;
    if (v.length < pageHeaderSize)
      throw this.#tree.fail(`cannot read ${where()}: ${v.length} bytes, shorter than a page header`);
    const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
    const id = view.getBigUint64(0, true);
    const flags = view.getUint16(8, true);
    const count = view.getUint16(10, true);
    const overflow = view.getUint32(12, true);
    if (id !== 0n || flags !== leafFlag || overflow !== 0) {
      throw this.#tree.fail(
        `cannot read ${where()}: page header says id ${id}, flags 0x${flags.toString(16)}, overflow ${overflow}`,
      );
    }
    if (pageHeaderSize + count * elementSize > v.length) {
      throw this.#tree.fail(`cannot read ${where()}: ${count} elements do not fit in ${v.length} bytes`);
    }
    this.#inlinePage = this.#tree.decode(v, 0, v.length, false, count, where);
    return this.#inlinePage;
  }

  /** A child page of a branch, checked against the range its branch element gives. */
  #child(id: bigint, lo: Uint8Array, hi: Uint8Array | null, trail: Trail, depth: number): Step {
    if (depth > maxTreeDepth) {
      throw this.#tree.fail(
        `cannot read page ${id} (${this.#where()}): tree deeper than ${maxTreeDepth} levels`,
      );
    }
    const page = this.#tree.page(id, trail, this.#where);
    const n = Number(id);
    const first = page.keys[0];
    const last = page.keys[page.keys.length - 1];
    const label = () => `page ${n} (${this.#where()})`;
    if (first === undefined || last === undefined) {
      throw this.#tree.fail(
        `cannot read ${label()}: empty ${page.branch ? "branch" : "leaf"} page under a branch page`,
      );
    }
    if (compareBytes(first, lo) < 0) {
      throw this.#tree.fail(
        `cannot read ${label()}: first key ${quoteShort(first)} sorts before its branch key`,
      );
    }
    if (hi !== null && compareBytes(last, hi) >= 0) {
      throw this.#tree.fail(
        `cannot read ${label()}: key ${quoteShort(last)} sorts after the next branch key`,
      );
    }
    return { page, id: n };
  }

  /** The leaf entry for `key`, reading the pages from the root to its leaf only. */
  #find(key: string | Uint8Array): BoltEntry | undefined {
    const k = keyBytes(key);
    if (this.#root.inline !== null)
      return this.#entry(this.#inline(), search(this.#inline().keys, k), this.#trail);
    let trail = this.#trail;
    let page = this.#tree.page(this.#root.root, trail, this.#where);
    trail = [...trail, Number(this.#root.root)];
    let hi: Uint8Array | null = null;
    for (let depth = 1; page.branch; depth++) {
      // the last child whose first key is <= k; a key before the first child's is in no child
      let i = search(page.keys, k);
      if (i < 0) i = -i - 2;
      if (i < 0) return undefined;
      hi = page.keys[i + 1] ?? hi;
      const step = this.#child(page.children[i] as bigint, page.keys[i] as Uint8Array, hi, trail, depth);
      page = step.page;
      trail = [...trail, step.id];
    }
    return this.#entry(page, search(page.keys, k), trail);
  }

  /** Entry `i` of a leaf (undefined for a negative index: not found). */
  #entry(page: Decoded, i: number, trail: Trail): BoltEntry | undefined {
    if (i < 0) return undefined;
    const key = page.keys[i] as Uint8Array;
    const value = page.values[i] as Uint8Array;
    if (!page.isBucket[i]) return { key, value, bucket: null };
    return { key, value: null, bucket: this.#nested(key, value, trail) };
  }

  #nested(key: Uint8Array, value: Uint8Array, trail: Trail): BoltBucket {
    const path = [...this.#path, key];
    if (value.length < bucketHeaderSize) {
      throw this.#tree.fail(
        `cannot read ${bucketPath(path)}: bucket value is ${value.length} bytes, shorter than a header`,
      );
    }
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    const root = view.getBigUint64(0, true);
    const sequence = view.getBigUint64(8, true);
    if (root !== 0n && value.length !== bucketHeaderSize) {
      throw this.#tree.fail(
        `cannot read ${bucketPath(path)}: bucket value of ${value.length} bytes has root page ${root}`,
      );
    }
    const inline = root === 0n ? value.subarray(bucketHeaderSize) : null;
    return new LazyBucket(this.#tree, { root, inline }, sequence, path, trail);
  }

  get(key: string | Uint8Array): Uint8Array | undefined {
    return this.#find(key)?.value ?? undefined;
  }

  bucket(name: string | Uint8Array): BoltBucket | undefined {
    return this.#find(name)?.bucket ?? undefined;
  }

  /** Every entry in key order: the whole tree of this bucket (not of its nested buckets) is read. */
  *entries(): Iterable<BoltEntry> {
    if (this.#root.inline !== null) {
      const page = this.#inline();
      for (let i = 0; i < page.keys.length; i++) yield this.#entry(page, i, this.#trail) as BoltEntry;
      return;
    }
    const rootPage = this.#tree.page(this.#root.root, this.#trail, this.#where);
    const stack: { step: Step; hi: Uint8Array | null; trail: Trail; depth: number }[] = [
      { step: { page: rootPage, id: Number(this.#root.root) }, hi: null, trail: this.#trail, depth: 0 },
    ];
    let prev: Uint8Array | undefined;
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const { page, id } = top.step;
      const trail = [...top.trail, id];
      if (page.branch) {
        for (let i = page.keys.length - 1; i >= 0; i--) {
          const hi = page.keys[i + 1] ?? top.hi;
          const step = this.#child(
            page.children[i] as bigint,
            page.keys[i] as Uint8Array,
            hi,
            trail,
            top.depth + 1,
          );
          stack.push({ step, hi, trail, depth: top.depth + 1 });
        }
        continue;
      }
      for (let i = 0; i < page.keys.length; i++) {
        const key = page.keys[i] as Uint8Array;
        if (prev !== undefined && compareBytes(prev, key) >= 0) {
          throw this.#tree.fail(
            `cannot read page ${id} (${this.#where()}): keys out of order (${quoteShort(key)})`,
          );
        }
        prev = key;
        yield this.#entry(page, i, trail) as BoltEntry;
      }
    }
  }
}

/** Binary search: the index of `k` in `keys`, or -(insertion point) - 1. */
function search(keys: readonly Uint8Array[], k: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareBytes(keys[mid] as Uint8Array, k);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -lo - 1;
}
