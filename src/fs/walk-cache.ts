// fs/walk-cache.ts — on-disk cache of committed (immutable) trees' scans, one file per tree.
//
//   <cacheDir>/scan-v2/<sha256(id \0 path), 40 hex>.bin
//
//   offset  size  field
//   0       8     magic "CRIFSSC2"
//   8       4     u32 LE: length H of the header JSON
//   12      4     u32 LE: M, the number of multi-link inodes (4 float64 each)
//   16      4     u32 LE: S, the length of the symlink section
//   20      4     u32 LE: CRC-32 of everything from offset 32 to the end
//   24      8     zero
//   32      H     header JSON (CacheHeader: key, usage, whether symlinks follow), then zero padding to 8
//   …       32·M  float64 in host byte order: dev, ino, allocated bytes, apparent bytes per inode
//   …       S     UTF-8: rel \0 target \0 rel \0 target … (no name or target holds a NUL)
//
// A file is used only when its key matches: tree id and path, the tree root's dev, ino and ctime (ns), the
// oneFileSystem option and the tree roots nested inside it. Anything else (short, bad checksum, bad JSON,
// other key) is a miss, and the caller rewrites it. Writes go to a temp file in the same dir, then rename.
// A scan made without symlinks (du's: reading every link target would cost it a readlink per link) is
// cached without them and serves only callers that do not want them; the section is decoded only for a
// caller that wants symlinks. The CRC guards against torn or damaged files, not against an attacker: the
// dir is root's own, mode 0700.

import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { TreeScan, Usage } from "./walk-tree-scan.js";

const magic = "CRIFSSC2";
const version = "scan-v2";
const headLength = 32;

/** What a cached scan must match to be used. */
export interface CacheKey {
  readonly id: string;
  readonly path: string;
  readonly dev: string;
  readonly ino: string;
  readonly ctimeNs: string;
  readonly oneFileSystem: boolean;
  /** "dev:ino" of tree roots inside this one (not entered), sorted. */
  readonly nested: readonly string[];
}

interface CacheHeader {
  readonly key: CacheKey;
  readonly usage: Usage;
  /** Whether the scan collected symlinks (the section may be empty either way). */
  readonly hasSymlinks: boolean;
}

/** `$XDG_CACHE_HOME/crifs`, else `/var/cache/crifs` as root, else `~/.cache/crifs`. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== "") return join(xdg, "crifs");
  if (process.getuid?.() === 0) return "/var/cache/crifs";
  return join(homedir(), ".cache", "crifs");
}

/** The cache file of tree `id` at `path`. */
export function scanCachePath(cacheDir: string, id: string, path: string): string {
  const name = createHash("sha256").update(`${id}\0${path}`).digest("hex").slice(0, 40);
  return join(cacheDir, version, `${name}.bin`);
}

function sameKey(a: CacheKey, b: CacheKey): boolean {
  return (
    a.id === b.id &&
    a.path === b.path &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.ctimeNs === b.ctimeNs &&
    a.oneFileSystem === b.oneFileSystem &&
    a.nested.length === b.nested.length &&
    a.nested.every((n, i) => n === b.nested[i])
  );
}

function isUsage(u: unknown): u is Usage {
  if (typeof u !== "object" || u === null) return false;
  const r = u as Record<string, unknown>;
  return (
    typeof r.allocatedBytes === "number" &&
    typeof r.apparentBytes === "number" &&
    typeof r.inodes === "number"
  );
}

/**
 * The cached scan for `key`, or null (missing, corrupt or stale: never an error). Symlinks are decoded only
 * with `symlinks` (else they are null in the result); a scan cached without them is then a miss. Cost: one
 * file read and a CRC of it.
 */
export function readScanCache(
  cacheDir: string,
  key: CacheKey,
  options: { symlinks?: boolean } = {},
): TreeScan | null {
  let buf: Buffer;
  try {
    buf = readFileSync(scanCachePath(cacheDir, key.id, key.path));
  } catch {
    return null;
  }
  if (buf.length < headLength || buf.toString("latin1", 0, 8) !== magic) return null;
  const h = buf.readUInt32LE(8);
  const m = buf.readUInt32LE(12);
  const linkBytes = buf.readUInt32LE(16);
  const padded = Math.ceil(h / 8) * 8;
  if (buf.length !== headLength + padded + m * 32 + linkBytes) return null;
  if (crc32(buf.subarray(headLength)) !== buf.readUInt32LE(20)) return null;
  let header: CacheHeader;
  try {
    header = JSON.parse(buf.toString("utf8", headLength, headLength + h)) as CacheHeader;
  } catch {
    return null;
  }
  if (typeof header !== "object" || header === null || typeof header.key !== "object" || header.key === null)
    return null;
  if (!sameKey(header.key, key) || !isUsage(header.usage)) return null;
  if (options.symlinks === true && header.hasSymlinks !== true) return null;
  const start = headLength + padded;
  const multi = new Float64Array(m * 4);
  Buffer.from(multi.buffer).set(buf.subarray(start, start + m * 32));
  let symlinks: string[] | null = null;
  if (options.symlinks === true) {
    symlinks = linkBytes === 0 ? [] : buf.toString("utf8", start + m * 32).split("\0");
    if (symlinks.length % 2 !== 0) return null;
  }
  return { usage: { ...header.usage }, multi, symlinks, errors: [] };
}

/**
 * Writes the scan of the tree at `key` (one without errors; with its symlinks when it collected them).
 * Atomic: temp file, then rename. A cache that cannot be written is skipped: returns false.
 */
export function writeScanCache(cacheDir: string, key: CacheKey, scan: TreeScan): boolean {
  if (scan.errors.length > 0) return false;
  const header: CacheHeader = { key, usage: scan.usage, hasSymlinks: scan.symlinks !== null };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const links =
    scan.symlinks === null || scan.symlinks.length === 0
      ? Buffer.alloc(0)
      : Buffer.from(scan.symlinks.join("\0"), "utf8");
  const padded = Math.ceil(json.length / 8) * 8;
  const m = scan.multi.length / 4;
  const buf = Buffer.alloc(headLength + padded + m * 32 + links.length);
  buf.write(magic, 0, "latin1");
  buf.writeUInt32LE(json.length, 8);
  buf.writeUInt32LE(m, 12);
  buf.writeUInt32LE(links.length, 16);
  json.copy(buf, headLength);
  Buffer.from(scan.multi.buffer, scan.multi.byteOffset, m * 32).copy(buf, headLength + padded);
  links.copy(buf, headLength + padded + m * 32);
  buf.writeUInt32LE(crc32(buf.subarray(headLength)), 20);
  const path = scanCachePath(cacheDir, key.id, key.path);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    mkdirSync(join(cacheDir, version), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, buf, { mode: 0o600 });
    renameSync(tmp, path);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}
