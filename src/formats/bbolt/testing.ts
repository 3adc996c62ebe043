// testing.ts — shared by the bbolt tests only: where the fixtures are, a seeded random source, and the
// mutations the fuzz test applies to real files (each returns a new image and a short description).
//
//   test/fixtures/bbolt/containerd-meta.db      made by scripts/make-bolt-fixtures.sh (see there)
//   test/fixtures/bbolt/overlayfs-metadata.db

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fnv1a64, pickMeta, readMetas } from "./meta.js";
import { branchFlag, leafFlag, pageHeaderSize } from "./page.js";

export const fixtureNames = ["containerd-meta.db", "overlayfs-metadata.db"] as const;

/** The repository root: the nearest parent of this file holding test/fixtures/bbolt (src or dist). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, "test", "fixtures", "bbolt"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find test/fixtures/bbolt above the compiled tests");
}

export function fixturePath(name: string): string {
  return join(repoRoot(), "test", "fixtures", "bbolt", name);
}

export function readFixture(name: string): Uint8Array {
  const b = readFileSync(fixturePath(name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A copy of an image to corrupt, with a DataView over the copy. */
export function editableCopy(bytes: Uint8Array): { copy: Uint8Array; view: DataView } {
  const copy = bytes.slice();
  return { copy, view: new DataView(copy.buffer) };
}

/** The offset of the key of the leaf element at offset `e`: the element plus its `pos` field. */
export function leafKeyAt(view: DataView, e: number): number {
  return e + view.getUint32(e + 4, true);
}

/** mulberry32: a small seeded generator; random() in [0, 1). */
export function seeded(seed: number): {
  random(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
} {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(random() * n);
  return { random, int, pick: (xs) => xs[int(xs.length)] as (typeof xs)[number] };
}

/** What a header scan finds in an image: page size, high-water mark, and pages that look like tree pages. */
export interface Layout {
  readonly pageSize: number;
  readonly pages: number;
  /** Offset of the current meta page. */
  readonly metaOffset: number;
  readonly branches: readonly number[];
  readonly leaves: readonly number[];
  /** Byte offsets of leaf elements that hold a non-inline bucket (16-byte value with a root pgid). */
  readonly bucketElements: readonly number[];
}

export function scanLayout(bytes: Uint8Array): Layout {
  const meta = pickMeta(readMetas(bytes));
  if (meta === undefined) throw new Error("scanLayout: no valid meta page");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ps = meta.pageSize;
  const pages = Math.min(Number(meta.pgid), Math.floor(bytes.length / ps));
  const branches: number[] = [];
  const leaves: number[] = [];
  const bucketElements: number[] = [];
  for (let id = 2; id < pages; id++) {
    const off = id * ps;
    if (view.getBigUint64(off, true) !== BigInt(id)) continue;
    const flags = view.getUint16(off + 8, true);
    if (flags === branchFlag) branches.push(id);
    if (flags === leafFlag) {
      leaves.push(id);
      const count = view.getUint16(off + 10, true);
      for (let i = 0; i < count && pageHeaderSize + (i + 1) * 16 <= ps; i++) {
        const e = off + pageHeaderSize + i * 16;
        if (view.getUint32(e, true) === 1 && view.getUint32(e + 12, true) === 16) bucketElements.push(e);
      }
    }
  }
  return { pageSize: ps, pages, metaOffset: meta.page * ps, branches, leaves, bucketElements };
}

/** Recomputes the checksum of the meta page at `offset`, so a rewritten meta passes validation. */
export function resealMeta(bytes: Uint8Array, offset: number): void {
  const body = offset + pageHeaderSize;
  new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(
    body + 56,
    fnv1a64(bytes.subarray(body, body + 56)),
    true,
  );
}

type Rng = ReturnType<typeof seeded>;

/** Interesting u64 values for page ids: ends of ranges, meta pages, huge. */
function oddPgid(rng: Rng, layout: Layout, bytes: Uint8Array): bigint {
  return rng.pick([
    0n,
    1n,
    BigInt(layout.pages),
    BigInt(layout.pages + rng.int(1000)),
    BigInt(Math.floor(bytes.length / layout.pageSize)),
    0xffffffffn,
    0x1_0000_0002n,
    0xffffffffffffffffn,
    BigInt(2 + rng.int(Math.max(1, layout.pages - 2))),
    BigInt(layout.pages - 1),
    BigInt(layout.pages >> 1),
  ]);
}

function oddU32(rng: Rng, layout: Layout): number {
  return rng.pick([
    0,
    1,
    15,
    16,
    17,
    layout.pageSize - 1,
    layout.pageSize,
    0x7fffffff,
    0xffffffff,
    rng.int(0x10000),
  ]);
}

/** One named mutation: changes `bytes` in place (or returns a shorter copy) and says what it did. */
export type Mutation = (bytes: Uint8Array, layout: Layout, rng: Rng) => { bytes: Uint8Array; what: string };

function dv(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const mutations: Readonly<Record<string, Mutation>> = {
  flipBytes(bytes, layout, rng) {
    const n = 1 + rng.int(16);
    const span = layout.pages * layout.pageSize;
    for (let i = 0; i < n; i++) {
      const at = rng.int(span);
      bytes[at] = (bytes[at] as number) ^ (1 + rng.int(255));
    }
    return { bytes, what: `flip ${n} bytes` };
  },
  flipStructure(bytes, layout, rng) {
    const id = rng.pick([...layout.branches, ...layout.leaves, 0, 1]);
    const at = id * layout.pageSize + rng.int(pageHeaderSize + 16 * 8);
    bytes[at] = (bytes[at] as number) ^ (1 << rng.int(8));
    return { bytes, what: `flip a bit at ${at} (page ${id} header/elements)` };
  },
  truncate(bytes, _layout, rng) {
    const len = rng.int(bytes.length);
    return { bytes: bytes.slice(0, len), what: `truncate to ${len}` };
  },
  zeroPage(bytes, layout, rng) {
    const id = rng.int(layout.pages);
    bytes.fill(0, id * layout.pageSize, (id + 1) * layout.pageSize);
    return { bytes, what: `zero page ${id}` };
  },
  swapPages(bytes, layout, rng) {
    const a = rng.int(layout.pages);
    const b = rng.int(layout.pages);
    const ps = layout.pageSize;
    const tmp = bytes.slice(a * ps, (a + 1) * ps);
    bytes.copyWithin(a * ps, b * ps, (b + 1) * ps);
    bytes.set(tmp, b * ps);
    return { bytes, what: `swap pages ${a} and ${b}` };
  },
  pageIdOutOfRange(bytes, layout, rng) {
    const id = rng.pick([...layout.branches, ...layout.leaves]);
    const v = oddPgid(rng, layout, bytes);
    dv(bytes).setBigUint64(id * layout.pageSize, v, true);
    return { bytes, what: `page ${id} header id := ${v}` };
  },
  branchTarget(bytes, layout, rng) {
    if (layout.branches.length === 0) return { bytes, what: "no branch page" };
    const id = rng.pick(layout.branches);
    const off = id * layout.pageSize;
    const count = dv(bytes).getUint16(off + 10, true);
    const i = rng.int(Math.max(1, count));
    const e = off + pageHeaderSize + i * 16;
    const self = rng.random() < 0.5;
    const v = self ? BigInt(id) : oddPgid(rng, layout, bytes);
    dv(bytes).setBigUint64(e + 8, v, true);
    return { bytes, what: `branch ${id} element ${i} -> page ${v}${self ? " (itself)" : ""}` };
  },
  bucketRoot(bytes, layout, rng) {
    if (layout.bucketElements.length === 0) return { bytes, what: "no bucket element" };
    const e = rng.pick(layout.bucketElements);
    const view = dv(bytes);
    const valueAt = e + view.getUint32(e + 4, true) + view.getUint32(e + 8, true);
    if (valueAt + 16 > bytes.length) return { bytes, what: "bucket element out of the file" };
    const own = BigInt(Math.floor(e / layout.pageSize));
    const v = rng.random() < 0.3 ? own : oddPgid(rng, layout, bytes);
    view.setBigUint64(valueAt, v, true);
    return { bytes, what: `bucket root at ${valueAt} := ${v}` };
  },
  elementField(bytes, layout, rng) {
    const id = rng.pick([...layout.branches, ...layout.leaves]);
    const off = id * layout.pageSize;
    const count = dv(bytes).getUint16(off + 10, true);
    const i = rng.int(Math.max(1, count));
    const field = rng.int(4);
    const v = oddU32(rng, layout);
    dv(bytes).setUint32(off + pageHeaderSize + i * 16 + field * 4, v, true);
    return { bytes, what: `page ${id} element ${i} field ${field} := ${v}` };
  },
  headerField(bytes, layout, rng) {
    const id = rng.pick([...layout.branches, ...layout.leaves]);
    const off = id * layout.pageSize;
    const view = dv(bytes);
    const which = rng.int(3);
    if (which === 0) view.setUint16(off + 8, rng.pick([0, 1, 2, 3, 4, 0x10, 0xffff]), true);
    if (which === 1) view.setUint16(off + 10, rng.pick([0, 1, 0xffff, rng.int(0x10000)]), true);
    if (which === 2) view.setUint32(off + 12, oddU32(rng, layout), true);
    return { bytes, what: `page ${id} header field ${["flags", "count", "overflow"][which]}` };
  },
  swapElements(bytes, layout, rng) {
    const id = rng.pick([...layout.branches, ...layout.leaves]);
    const off = id * layout.pageSize;
    const count = dv(bytes).getUint16(off + 10, true);
    if (count < 2) return { bytes, what: `page ${id} has ${count} elements` };
    const i = rng.int(count - 1);
    const a = off + pageHeaderSize + i * 16;
    const tmp = bytes.slice(a, a + 16);
    bytes.copyWithin(a, a + 16, a + 32);
    bytes.set(tmp, a + 16);
    // Keep the pos fields pointing at the same data (pos is relative to the element).
    const view = dv(bytes);
    const posAt = view.getUint16(off + 8, true) === branchFlag ? 0 : 4;
    view.setUint32(a + posAt, view.getUint32(a + posAt, true) + 16, true);
    view.setUint32(a + 16 + posAt, view.getUint32(a + 16 + posAt, true) - 16, true);
    return { bytes, what: `page ${id} swap elements ${i} and ${i + 1}` };
  },
  sealedMeta(bytes, layout, rng) {
    // The current meta, or both (then no valid fallback is left).
    const both = rng.random() < 0.5;
    const offsets = both ? [0, layout.pageSize] : [layout.metaOffset];
    const view = dv(bytes);
    const field = rng.pick([8, 16, 24, 32, 40, 48]);
    const v =
      field === 8 ? rng.pick([0, 511, 1024, 4096, 8192, 65536, 1 << 21]) : oddPgid(rng, layout, bytes);
    for (const off of offsets) {
      const m = off + pageHeaderSize;
      if (typeof v === "number") view.setUint32(m + 8, v, true);
      else view.setBigUint64(m + field, v, true);
      resealMeta(bytes, off);
    }
    return {
      bytes,
      what: `meta ${both ? "0 and 1" : `at ${layout.metaOffset}`} field ${field} := ${v}, resealed`,
    };
  },
};

export const mutationNames = Object.keys(mutations);

/**
 * A synthetic bbolt image: a chain of `length` pages under the root bucket, either nested buckets
 * ("buckets": each leaf holds bucket "b" whose root is the next page) or branch pages ("branches": each
 * branch's one element points at the next page, a leaf at the end). Both meta pages are valid.
 */
export function chainImage(kind: "buckets" | "branches", length: number, pageSize = 4096): Uint8Array {
  const first = 3;
  const pages = first + length + 1;
  const bytes = new Uint8Array(pages * pageSize);
  const view = dv(bytes);
  const header = (id: number, flags: number, count: number) => {
    view.setBigUint64(id * pageSize, BigInt(id), true);
    view.setUint16(id * pageSize + 8, flags, true);
    view.setUint16(id * pageSize + 10, count, true);
  };
  for (const [page, txid] of [
    [0, 2n],
    [1, 1n],
  ] as const) {
    const m = page * pageSize + pageHeaderSize;
    header(page, 0x04, 0);
    view.setUint32(m, 0xed0cdaed, true);
    view.setUint32(m + 4, 2, true);
    view.setUint32(m + 8, pageSize, true);
    view.setBigUint64(m + 16, BigInt(first), true);
    view.setBigUint64(m + 32, 2n, true);
    view.setBigUint64(m + 40, BigInt(pages), true);
    view.setBigUint64(m + 48, txid, true);
    resealMeta(bytes, page * pageSize);
  }
  header(2, 0x10, 0); // an empty freelist
  for (let id = first; id < first + length; id++) {
    const e = id * pageSize + pageHeaderSize;
    if (kind === "buckets") {
      header(id, leafFlag, 1);
      view.setUint32(e, 1, true); // bucket
      view.setUint32(e + 4, 16, true); // data right after the element
      view.setUint32(e + 8, 1, true);
      view.setUint32(e + 12, 16, true);
      bytes[e + 16] = 0x62; // "b"
      view.setBigUint64(e + 17, BigInt(id + 1), true);
    } else {
      header(id, branchFlag, 1);
      view.setUint32(e, 16, true);
      view.setUint32(e + 4, 1, true);
      view.setBigUint64(e + 8, BigInt(id + 1), true);
      bytes[e + 16] = 0x6b; // "k"
    }
  }
  const last = first + length;
  const e = last * pageSize + pageHeaderSize;
  if (kind === "buckets") {
    header(last, leafFlag, 0);
  } else {
    header(last, leafFlag, 1);
    view.setUint32(e + 4, 16, true);
    view.setUint32(e + 8, 1, true);
    view.setUint32(e + 12, 1, true);
    bytes[e + 16] = 0x6b; // "k"
    bytes[e + 17] = 0x76; // "v"
  }
  return bytes;
}
