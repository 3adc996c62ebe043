// meta.ts — the two meta pages and the choice between them.
//
//   page 0 at byte 0, page 1 at byte pageSize; body after the 16-byte page header:
//   ┌──────────────┬─────────────┬──────────────┬────────────┐
//   │ magic u32    │ version u32 │ pageSize u32 │ flags u32  │   body  0..15   magic 0xED0CDAED, version 2
//   ├──────────────┴─────────────┼──────────────┴────────────┤
//   │ root bucket: root pgid u64 │ sequence u64              │   body 16..31
//   ├────────────────────────────┼───────────────────────────┤
//   │ freelist pgid u64          │ pgid (high-water) u64     │   body 32..47   freelist ~0 = not persisted
//   ├────────────────────────────┼───────────────────────────┤
//   │ txid u64                   │ checksum u64              │   body 48..63   FNV-1a 64 of body 0..55
//   └────────────────────────────┴───────────────────────────┘
//
// bbolt writes txid N to page N % 2, so the two pages hold the last two commits. The valid one with the
// higher txid is current (a tie goes to page 0, as in bbolt).

import type { CrifsError } from "../../errors.js";
import { corrupt, pageHeaderSize } from "./page.js";

export const boltMagic = 0xed0cdaed;
export const boltVersion = 2;
/** Bytes of a meta page that matter: page header + 64-byte body. */
export const metaBytes = pageHeaderSize + 64;
/** The freelist pgid of a file whose freelist is not persisted (NoFreelistSync). */
export const noFreelist = 0xffffffffffffffffn;

const minPageSize = 512;
const maxPageSize = 1 << 20;
/** Where to look for meta page 1 when page 0 cannot say: the common size first, like bbolt. */
const probePageSizes = [4096, 512, 1024, 2048, 8192, 16384, 32768, 65536, 1 << 17, 1 << 18, 1 << 19, 1 << 20];

export interface Meta {
  readonly page: 0 | 1;
  readonly pageSize: number;
  readonly root: bigint;
  readonly sequence: bigint;
  readonly freelist: bigint;
  /** High-water mark: pages in use. */
  readonly pgid: bigint;
  readonly txid: bigint;
}

const fnvOffset = 0xcbf29ce484222325n;
const fnvPrime = 0x100000001b3n;
const mask64 = 0xffffffffffffffffn;

/** FNV-1a 64 of `bytes` (56 bytes per meta: BigInt is fast enough). */
export function fnv1a64(bytes: Uint8Array): bigint {
  let h = fnvOffset;
  for (const b of bytes) h = ((h ^ BigInt(b)) * fnvPrime) & mask64;
  return h;
}

/**
 * Decodes and validates the meta page at byte `offset`: magic, version, checksum, page size (a power of
 * two from 512 to 1 MiB, equal to `pageSize` when given) and root/freelist inside the high-water mark.
 * Returns the reason as a string when it is not valid.
 */
export function parseMeta(bytes: Uint8Array, page: 0 | 1, offset: number, pageSize?: number): Meta | string {
  if (offset + metaBytes > bytes.length) return `the file ends at byte ${bytes.length}, inside it`;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset + pageHeaderSize, 64);
  const magic = view.getUint32(0, true);
  if (magic !== boltMagic) return `bad magic 0x${magic.toString(16).padStart(8, "0")}`;
  const version = view.getUint32(4, true);
  if (version !== boltVersion) return `unsupported version ${version}`;
  const sum = view.getBigUint64(56, true);
  const body = bytes.subarray(offset + pageHeaderSize, offset + pageHeaderSize + 56);
  if (sum !== fnv1a64(body)) return "checksum mismatch";
  const size = view.getUint32(8, true);
  if (size < minPageSize || size > maxPageSize || (size & (size - 1)) !== 0) return `bad page size ${size}`;
  if (pageSize !== undefined && size !== pageSize) return `page size ${size} differs from ${pageSize}`;
  const meta: Meta = {
    page,
    pageSize: size,
    root: view.getBigUint64(16, true),
    sequence: view.getBigUint64(24, true),
    freelist: view.getBigUint64(32, true),
    pgid: view.getBigUint64(40, true),
    txid: view.getBigUint64(48, true),
  };
  if (meta.pgid < 3n) return `high-water mark of ${meta.pgid} pages is below 3`;
  if (meta.root < 2n || meta.root >= meta.pgid) return `root page ${meta.root} outside 2..${meta.pgid - 1n}`;
  if (meta.freelist !== noFreelist && (meta.freelist < 2n || meta.freelist >= meta.pgid)) {
    return `freelist page ${meta.freelist} outside 2..${meta.pgid - 1n}`;
  }
  if (meta.freelist === meta.root) return `root and freelist are both page ${meta.root}`;
  return meta;
}

/** Both meta pages as found: each a Meta or the reason it is invalid. */
export interface MetaPair {
  readonly meta0: Meta | string;
  readonly meta1: Meta | string;
}

/** Reads both meta pages; page 1's place comes from page 0, or is probed when page 0 is invalid. */
export function readMetas(bytes: Uint8Array): MetaPair {
  const meta0 = parseMeta(bytes, 0, 0);
  if (typeof meta0 !== "string") return { meta0, meta1: parseMeta(bytes, 1, meta0.pageSize, meta0.pageSize) };
  let meta1: Meta | string | undefined;
  for (const size of probePageSizes) {
    const m = parseMeta(bytes, 1, size, size);
    if (typeof m !== "string") return { meta0, meta1: m };
    meta1 ??= m; // the reason at 4096, the usual place
  }
  return { meta0, meta1: meta1 ?? "not found" };
}

/** The current meta: the valid one with the higher txid. */
export function pickMeta(pair: MetaPair): Meta | undefined {
  const { meta0, meta1 } = pair;
  if (typeof meta0 === "string") return typeof meta1 === "string" ? undefined : meta1;
  if (typeof meta1 === "string") return meta0;
  return meta1.txid > meta0.txid ? meta1 : meta0;
}

/** The current meta of an image, or a corrupt error saying why neither meta page is valid. `fileBytes`: the
 * file's size when `bytes` holds only its meta pages (lookup.ts). */
export function chooseMeta(bytes: Uint8Array, name: string, fileBytes = bytes.length): Meta {
  if (fileBytes < metaBytes) {
    throw corrupt(name, `cannot read the meta pages: the file is ${fileBytes} bytes, too short for bbolt`);
  }
  const pair = readMetas(bytes);
  const meta = pickMeta(pair);
  if (meta === undefined) throw noValidMeta(name, pair);
  // bbolt grows the file before a commit's meta names the new pages, so a file shorter than the high-water
  // mark lost its tail: the pages there may still be reached (or be free), and reading on would be a guess
  const needed = meta.pgid * BigInt(meta.pageSize);
  if (BigInt(fileBytes) < needed) {
    throw corrupt(
      name,
      `truncated: the file is ${fileBytes} bytes, but its meta page (txid ${meta.txid}) says ${meta.pgid} pages ` +
        `of ${meta.pageSize} bytes (${needed} bytes) are in use`,
    );
  }
  return meta;
}

function noValidMeta(name: string, pair: MetaPair): CrifsError {
  return corrupt(
    name,
    `cannot read the meta pages: page 0: ${String(pair.meta0)}; page 1: ${String(pair.meta1)} ` +
      "(not a bbolt file, or both meta pages are damaged)",
  );
}
