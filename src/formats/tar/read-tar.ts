// formats/tar/read-tar.ts — a tar reader over bytes in memory: ustar, GNU (long names and link names) and
// PAX (per-entry records; global ones are skipped), read the way Go's archive/tar reads them, since that is
// what containerd unpacks layers with.
//
//   one entry:  [PAX 'x' header + records] [GNU 'L' long name] [GNU 'K' long link]  header  data  padding
//   each header is one 512-byte block:
//   ┌──────────┬──────┬─────┬─────┬──────────┬───────────┬──────────┬──────┬──────────┬──────────┬─────┐
//   │ name 100 │ mode │ uid │ gid │ size 12  │ mtime 12  │ chksum 8 │ type │ linkname │ magic 6  │ ver │ …
//   └──────────┴──────┴─────┴─────┴──────────┴───────────┴──────────┴──────┴──────────┴──────────┴─────┘
//   0          100    108   116   124        136         148        156    157        257        263
//   … uname 32 @265, gname 32 @297, devmajor 8 @329, devminor 8 @337, prefix 155 @345 (ustar only)
//   numbers: octal ASCII ended by NUL or space, or base-256 when the first byte has its high bit set (GNU)
//   data: `size` bytes padded to a multiple of 512, only for regular files and the meta headers (L, K, x)
//   end: a zero block (normally two); data past it is ignored, and so is an end without any.
//
// Not supported (an "unsupported" CrifsError): GNU sparse files ('S', PAX GNU.sparse.*), multi-volume
// ('M', 'V'). Names are bytes: decoded by fs/name-codec.ts's decodeName, so a byte that is not UTF-8 survives
// and the entry compares equal to the same name read from disk.

import { CrifsError } from "../../errors.js";
import { decodeName } from "../../fs/name-codec.js";

export const blockSize = 512;
/** Largest GNU long name / long link / PAX header data accepted (Go's archive/tar uses the same bound). */
export const maxMetaSize = 1 << 20;

export type TarEntryKind =
  | "file"
  | "hardlink"
  | "symlink"
  | "char-device"
  | "block-device"
  | "dir"
  | "fifo"
  | "other";

export interface TarEntry {
  /** The entry's name as stored: PAX `path`, GNU long name, or ustar prefix + "/" + name. */
  readonly name: string;
  readonly kind: TarEntryKind;
  /** The raw type flag, e.g. "0", "5", "D" (kind "other" tells it apart). */
  readonly typeflag: string;
  /** Mode bits as stored (permissions, setuid/setgid/sticky; no file type). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of data (0 for header-only kinds: links, devices, dirs, fifos). */
  readonly size: number;
  /** Modification time, seconds since the epoch (PAX may give fractions). */
  readonly mtime: number;
  /** Hard-link or symlink target (PAX `linkpath`, GNU long link, or the header field). */
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** The records of the entry's own PAX header (e.g. `SCHILY.xattr.*`); empty when it had none. */
  readonly pax: ReadonlyMap<string, string>;
  /** Offset of the entry's own header block in the archive. */
  readonly offset: number;
  /** The entry's data: a view into the archive, not a copy. Empty for header-only kinds. */
  readonly data: Uint8Array;
}

const corruptRemedy =
  "the archive is damaged or truncated: check the blob with crifs doctor --verify, then pull the image again";

function corrupt(offset: number, message: string): CrifsError {
  return new CrifsError("corrupt", `cannot read tar header at offset ${offset}: ${message}`, {
    remedy: corruptRemedy,
  });
}

const utf8 = new TextDecoder("utf-8");

/** A NUL-terminated string field; names are bytes, kept exact (fs/name-codec.ts), as the walkers keep them. */
function str(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return decodeName(nul < 0 ? field : field.subarray(0, nul));
}

/** A numeric field: octal ASCII (leading spaces/NULs allowed, ended by NUL or space) or GNU base-256. */
function num(block: Uint8Array, start: number, length: number, offset: number, what: string): number {
  const field = block.subarray(start, start + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw corrupt(offset, `the ${what} field is a negative base-256 number`);
    let v = first & 0x7f;
    for (let i = 1; i < field.length; i++) {
      v = v * 256 + (field[i] ?? 0);
      if (v > Number.MAX_SAFE_INTEGER) throw corrupt(offset, `the ${what} field is too large`);
    }
    return v;
  }
  let i = 0;
  while (i < field.length && (field[i] === 0x20 || field[i] === 0)) i++;
  let v = 0;
  for (; i < field.length; i++) {
    const c = field[i] ?? 0;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) {
      throw corrupt(offset, `the ${what} field ${JSON.stringify(str(block, start, length))} is not octal`);
    }
    v = v * 8 + (c - 0x30);
  }
  return v;
}

function isZeroBlock(block: Uint8Array): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

/** Checks the header checksum: unsigned byte sum with the field read as spaces (signed sums pass too). */
function checkSum(block: Uint8Array, offset: number): void {
  const stored = num(block, 148, 8, offset, "checksum");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < blockSize; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed)
    throw corrupt(offset, `header checksum is ${stored}, the header sums to ${unsigned} (not a tar header)`);
}

/**
 * PAX records: "<length> <key>=<value>\n", the length counting the whole record in bytes. Pure; throws a
 * corrupt CrifsError naming `offset` (the header's) on a malformed record.
 */
export function parsePaxRecords(data: Uint8Array, offset: number): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break; // some writers pad the data with NULs
    const space = data.indexOf(0x20, i);
    const lenText = space < 0 ? "" : utf8.decode(data.subarray(i, space));
    const len = /^[0-9]{1,9}$/.test(lenText) ? Number(lenText) : Number.NaN;
    if (!(len > space - i + 1) || i + len > data.length || data[i + len - 1] !== 0x0a)
      throw corrupt(offset, `PAX record at byte ${i} of the extended header is malformed`);
    // a path or linkpath that is not UTF-8 (hdrcharset=BINARY) is kept as its bytes
    const record = decodeName(data.subarray(space + 1, i + len - 1));
    const eq = record.indexOf("=");
    if (eq <= 0) throw corrupt(offset, `PAX record at byte ${i} of the extended header has no key`);
    out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

function kindOf(typeflag: string, name: string): TarEntryKind {
  switch (typeflag) {
    case "0":
    case "7": // contiguous file: a regular file everywhere but on one old Unix
      return "file";
    case "\0":
      return name.endsWith("/") ? "dir" : "file"; // old tar: a trailing slash marks a dir
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "3":
      return "char-device";
    case "4":
      return "block-device";
    case "5":
      return "dir";
    case "6":
      return "fifo";
    default:
      return "other";
  }
}

/** Whether a kind carries no data whatever its size field says (Go's isHeaderOnlyType). */
function isHeaderOnly(kind: TarEntryKind): boolean {
  return kind !== "file" && kind !== "other";
}

function paxNumber(pax: ReadonlyMap<string, string>, key: string, offset: number): number | undefined {
  const v = pax.get(key);
  if (v === undefined) return undefined;
  if (!/^-?[0-9]+(\.[0-9]*)?$/.test(v) || Number.isNaN(Number(v)))
    throw corrupt(offset, `PAX record ${key}=${JSON.stringify(v)} is not a number`);
  return Number(v);
}

/**
 * The entries of the tar archive `bytes`, in archive order. Pure and lazy: each entry's data is a view
 * into `bytes`. Throws a CrifsError ("corrupt" with the offset of the bad header, or "unsupported") on the
 * first entry that cannot be read; the caller adds the file's path. Cost: one pass; each iteration moves
 * at least one 512-byte block forward, so a damaged archive cannot make it loop.
 */
export function* parseTar(bytes: Uint8Array): Generator<TarEntry> {
  let off = 0;
  let pax = new Map<string, string>();
  let longName: string | null = null;
  let longLink: string | null = null;
  while (off < bytes.length) {
    if (bytes.length - off < blockSize)
      throw corrupt(off, `the archive ends inside a header (${bytes.length - off} of ${blockSize} bytes)`);
    const block = bytes.subarray(off, off + blockSize);
    if (isZeroBlock(block)) return; // end of archive (a second zero block, and any padding, is not read)
    checkSum(block, off);
    const headerOffset = off;
    const typeflag = String.fromCharCode(block[156] ?? 0);
    const magic = str(block, 257, 6);
    const version = String.fromCharCode(block[263] ?? 0, block[264] ?? 0);
    const isUstar = magic === "ustar" && version === "00"; // POSIX ustar and PAX
    const isGnu = magic === "ustar " && version === " \0"; // GNU: the prefix area holds other fields
    let name = str(block, 0, 100);
    if (isUstar) {
      const prefix = str(block, 345, 155);
      if (prefix !== "") name = `${prefix}/${name}`;
    }
    const isMeta = typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K";
    if (typeflag === "S" || typeflag === "M" || typeflag === "V") {
      const what = typeflag === "S" ? "a GNU sparse file" : "a multi-volume archive";
      throw new CrifsError(
        "unsupported",
        `cannot read tar entry ${JSON.stringify(name)} at offset ${off}: ${what}`,
        {
          remedy: "crifs reads plain, GNU long-name and PAX tar entries; compare this layer by other means",
        },
      );
    }
    let kind = kindOf(typeflag, name);
    let size = num(block, 124, 12, off, "size");
    const paxSize = isMeta ? undefined : paxNumber(pax, "size", off);
    if (paxSize !== undefined) size = paxSize;
    if (!isMeta && isHeaderOnly(kind)) size = 0;
    if (isMeta && size > maxMetaSize)
      throw corrupt(off, `a '${typeflag}' header of ${size} bytes is larger than ${maxMetaSize}`);
    const dataStart = off + blockSize;
    const padded = Math.ceil(size / blockSize) * blockSize;
    if (dataStart + padded > bytes.length) {
      throw corrupt(
        off,
        `the archive ends inside the data of ${JSON.stringify(longName ?? name)}: ` +
          `${Math.max(0, bytes.length - dataStart)} of ${padded} bytes (with padding) are there`,
      );
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    off = dataStart + padded;
    if (typeflag === "x") {
      pax = parsePaxRecords(data, headerOffset);
      continue;
    }
    if (typeflag === "g") continue; // global records: Go and containerd ignore them for entries
    if (typeflag === "L" || typeflag === "K") {
      const nul = data.indexOf(0);
      const text = decodeName(nul < 0 ? data : data.subarray(0, nul));
      if (typeflag === "L") longName = text;
      else longLink = text;
      continue;
    }
    for (const key of pax.keys()) {
      if (key.startsWith("GNU.sparse.")) {
        throw new CrifsError(
          "unsupported",
          `cannot read tar entry ${JSON.stringify(name)} at offset ${headerOffset}: a PAX sparse file`,
          {
            remedy: "crifs reads plain, GNU long-name and PAX tar entries; compare this layer by other means",
          },
        );
      }
    }
    name = longName ?? pax.get("path") ?? name;
    const linkname = longLink ?? pax.get("linkpath") ?? str(block, 157, 100);
    if (typeflag === "\0") kind = kindOf(typeflag, name);
    const hasDevice = isUstar || isGnu;
    yield {
      name,
      kind,
      typeflag,
      mode: num(block, 100, 8, headerOffset, "mode") & 0o7777,
      uid: paxNumber(pax, "uid", headerOffset) ?? num(block, 108, 8, headerOffset, "uid"),
      gid: paxNumber(pax, "gid", headerOffset) ?? num(block, 116, 8, headerOffset, "gid"),
      size,
      mtime: paxNumber(pax, "mtime", headerOffset) ?? num(block, 136, 12, headerOffset, "mtime"),
      linkname,
      devmajor: hasDevice ? num(block, 329, 8, headerOffset, "devmajor") : 0,
      devminor: hasDevice ? num(block, 337, 8, headerOffset, "devminor") : 0,
      pax,
      offset: headerOffset,
      data,
    };
    pax = new Map();
    longName = null;
    longLink = null;
  }
}
