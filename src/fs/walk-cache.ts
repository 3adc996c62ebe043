// fs/walk-cache.ts — on-disk cache of committed (immutable) trees' scans: one pack file per snapshot home.
//
//   <cacheDir>/scan-v4/<sha256(home), 40 hex>.pack      home = the dir two levels above a tree's root
//                                                       (<snapshotter>/snapshots for <…>/snapshots/<id>/fs,
//                                                       overlay2 for overlay2/<id>/diff, …)
//   offset  size  field
//   0       8     magic "CRIFSSC4"
//   8       4     u32 LE: length H of the index JSON
//   12      4     u32 LE: CRC-32 of everything from offset 16 to the end
//   16      H     index JSON: PackEntry[] (key, usage, whether symlinks were collected, where its data is),
//                 then zero padding to a multiple of 8
//   …             data: each entry's multi-link inodes (float64 in host byte order: dev, ino, allocated bytes,
//                 apparent bytes per inode), all entries one after the other; then each entry's symlinks
//                 (rel \0 target \0 rel \0 target …, each the exact bytes of the name or target: UTF-8 for
//                 text, a byte that is not UTF-8 as itself (fs/name-codec.ts); no name or target holds a NUL)
//
// One file per home, not one per tree: a first scan of a few hundred layers wrote a few hundred files,
// and creating them cost more than the scan's own merge; a second scan read them one by one.
//
// An entry is used only when its key matches: tree id and path, the tree root's dev, ino and ctime (ns), the
// oneFileSystem option and the tree roots nested inside it. A pack that is short, fails its CRC or has a bad
// index is ignored whole, and rewritten. Saving a pack writes the entries walked now, keeps the other
// entries whose root still has the dev/ino/ctime of their key (a scan of some trees must not evict the
// others) and drops the rest (removed snapshots); temp file in the same dir, then rename, so two crifs runs
// at once lose at most each other's new entries; a save also removes the scan-v2 and scan-v3 dirs of older crifs versions
// and temp files a killed run left (older than 10 minutes). A scan made without symlinks (du's: reading every link
// target would cost it a readlink per link) is cached without them and serves only callers that do not want
// them. The CRC guards against torn or damaged files, not against an attacker: the dir is private instead.
//
// Private: the cache dir and scan-v4/ are checked at every use (fs/scan-cache-dir.ts). Packs are opened with
// O_NOFOLLOW, temp files created with O_EXCL, and the tidy-up deletes only names of crifs's own exact
// patterns (<40 hex>.pack.tmp-<pid>-<8 hex>; the old dirs' packs and their temp files), never anything else.

import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  type Stats,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { decodeName, encodeName, fsPath, hasEscapedBytes } from "./name-codec.js";
import { isUsableCacheDir, version } from "./scan-cache-dir.js";
import type { TreeScan, Usage } from "./walk-tree-scan.js";

// v4: symlink names and targets are kept as their bytes (v3 kept U+FFFD for a byte that is not UTF-8)
const magic = "CRIFSSC4";
/** Dirs of older versions, removed by a save. */
const oldVersions = ["scan-v2", "scan-v3"] as const;
const headLength = 16;

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

interface PackEntry {
  readonly key: CacheKey;
  readonly usage: Usage;
  /** Whether the scan collected symlinks (the list may be empty either way). */
  readonly hasSymlinks: boolean;
  /** Index of the first inode in the data's inode part, and how many. */
  readonly multi: readonly [number, number];
  /** Byte offset in the symlink part, and length. */
  readonly links: readonly [number, number];
}

/** One entry as held in memory: from a pack read now, or walked now. */
interface Held {
  readonly key: CacheKey;
  readonly usage: Usage;
  readonly multi: Float64Array;
  /** Encoded symlinks (null: not collected). */
  readonly links: Buffer | null;
}

/** The home a tree's scan is packed with: the dir two levels above its root. */
function homeOf(path: string): string {
  return dirname(dirname(path));
}

/** The pack file holding the scan of the tree at `path`. */
export function scanPackPath(cacheDir: string, path: string): string {
  const name = createHash("sha256").update(homeOf(path)).digest("hex").slice(0, 40);
  return join(cacheDir, version, `${name}.pack`);
}

const entryName = (key: { id: string; path: string }) => `${key.id}\0${key.path}`;

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

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 0;

function isEntry(e: unknown): e is PackEntry {
  if (typeof e !== "object" || e === null) return false;
  const r = e as Record<string, unknown>;
  const key = r.key as Record<string, unknown> | null;
  const usage = r.usage as Record<string, unknown> | null;
  const pair = (p: unknown) => Array.isArray(p) && p.length === 2 && isCount(p[0]) && isCount(p[1]);
  return (
    typeof key === "object" &&
    key !== null &&
    typeof key.id === "string" &&
    typeof key.path === "string" &&
    Array.isArray(key.nested) &&
    typeof usage === "object" &&
    usage !== null &&
    typeof usage.allocatedBytes === "number" &&
    typeof usage.apparentBytes === "number" &&
    typeof usage.inodes === "number" &&
    typeof r.hasSymlinks === "boolean" &&
    pair(r.multi) &&
    pair(r.links)
  );
}

/** The entries of the pack at `file`; empty when it is missing or damaged (never an error). */
function readPack(file: string): Map<string, Held> {
  const held = new Map<string, Held>();
  let buf: Buffer;
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      buf = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    return held;
  }
  if (buf.length < headLength || buf.toString("latin1", 0, 8) !== magic) return held;
  if (crc32(buf.subarray(headLength)) !== buf.readUInt32LE(12)) return held;
  const h = buf.readUInt32LE(8);
  const dataStart = headLength + Math.ceil(h / 8) * 8;
  if (dataStart > buf.length) return held;
  let index: unknown;
  try {
    index = JSON.parse(buf.toString("utf8", headLength, headLength + h));
  } catch {
    return held;
  }
  if (!Array.isArray(index) || !index.every(isEntry)) return held;
  const inodes = index.reduce((n, e) => n + e.multi[1], 0);
  const linkStart = dataStart + inodes * 32;
  if (linkStart > buf.length) return held;
  // each entry's list is a view of the file's inode part (8-aligned in the file; copied if not in memory)
  let all: Float64Array;
  if ((buf.byteOffset + dataStart) % 8 === 0) {
    all = new Float64Array(buf.buffer, buf.byteOffset + dataStart, inodes * 4);
  } else {
    all = new Float64Array(inodes * 4);
    Buffer.from(all.buffer).set(buf.subarray(dataStart, linkStart));
  }
  for (const e of index) {
    const [first, count] = e.multi;
    const [offset, length] = e.links;
    if (first + count > inodes || linkStart + offset + length > buf.length) return new Map();
    held.set(entryName(e.key), {
      key: e.key,
      usage: e.usage,
      multi: all.subarray(first * 4, (first + count) * 4),
      links: e.hasSymlinks ? buf.subarray(linkStart + offset, linkStart + offset + length) : null,
    });
  }
  return held;
}

/** Does the root at key.path still have the dev/ino/ctime the key was made with? */
function rootUnchanged(key: CacheKey): boolean {
  try {
    const st = lstatSync(fsPath(key.path), { bigint: true, throwIfNoEntry: false });
    return (
      st !== undefined &&
      st.dev.toString() === key.dev &&
      st.ino.toString() === key.ino &&
      st.ctimeNs.toString() === key.ctimeNs
    );
  } catch {
    return false;
  }
}

/** The symlink part of one entry: the exact bytes of every name and target (encodeName), NUL-separated. */
function encodeLinks(symlinks: readonly string[]): Buffer {
  if (symlinks.length === 0) return Buffer.alloc(0);
  const text = symlinks.join("\0");
  return hasEscapedBytes(text) ? encodeName(text) : Buffer.from(text, "utf8");
}

/** encodeLinks undone: text decoded by Node (fast) unless it holds U+FFFD, then by decodeName (exact). */
function decodeLinks(bytes: Buffer): string[] {
  if (bytes.length === 0) return [];
  const text = bytes.toString("utf8");
  return (text.includes("\uFFFD") ? decodeName(bytes) : text).split("\0");
}

/**
 * The cached scans of one scanTrees call: the packs its keys need, read once at open; `put` what was
 * walked, then `save`. Cost: one file read (and CRC) per home at open, one write per changed home at save.
 */
export class ScanCache {
  private readonly packs = new Map<string, { entries: Map<string, Held>; fresh: Held[] }>();
  /** Pack file per home: open, get and put ask for each tree's, and the name is a sha256. */
  private readonly files = new Map<string, string>();

  private constructor(private readonly cacheDir: string) {}

  private fileOf(path: string): string {
    const home = homeOf(path);
    let file = this.files.get(home);
    if (file === undefined) {
      file = scanPackPath(this.cacheDir, path);
      this.files.set(home, file);
    }
    return file;
  }

  /** Reads the packs that may hold `keys`' scans; null when the dir is not private (noted once, see header). */
  static open(cacheDir: string, keys: readonly (CacheKey | null)[]): ScanCache | null {
    if (!isUsableCacheDir(cacheDir)) return null;
    const cache = new ScanCache(cacheDir);
    for (const key of keys) {
      if (key === null) continue;
      const file = cache.fileOf(key.path);
      if (!cache.packs.has(file)) cache.packs.set(file, { entries: readPack(file), fresh: [] });
    }
    return cache;
  }

  /**
   * The cached scan for `key`, or null (none, or made for another key). Symlinks are decoded only with
   * `symlinks` (else null in the result); a scan cached without them is then a miss.
   */
  get(key: CacheKey, options: { symlinks?: boolean } = {}): TreeScan | null {
    const held = this.packs.get(this.fileOf(key.path))?.entries.get(entryName(key));
    if (held === undefined || !sameKey(held.key, key)) return null;
    if (options.symlinks === true && held.links === null) return null;
    let symlinks: string[] | null = null;
    if (options.symlinks === true && held.links !== null) {
      symlinks = decodeLinks(held.links);
      if (symlinks.length % 2 !== 0) return null;
    }
    return { usage: { ...held.usage }, multi: held.multi, symlinks, errors: [] };
  }

  /** Keeps the walked scan of the tree at `key` for `save` (not one with errors: it may be incomplete). */
  put(key: CacheKey, scan: TreeScan): void {
    if (scan.errors.length > 0) return;
    const file = this.fileOf(key.path);
    let pack = this.packs.get(file);
    if (pack === undefined) {
      pack = { entries: readPack(file), fresh: [] };
      this.packs.set(file, pack);
    }
    pack.fresh.push({
      key,
      usage: scan.usage,
      multi: scan.multi,
      links: scan.symlinks === null ? null : encodeLinks(scan.symlinks),
    });
  }

  /** Writes each pack that got new scans. A pack that cannot be written is skipped (it is a cache). */
  save(): void {
    let wrote = false;
    for (const [file, pack] of this.packs) {
      if (pack.fresh.length === 0) continue;
      const entries = new Map<string, Held>();
      for (const [name, held] of pack.entries) if (rootUnchanged(held.key)) entries.set(name, held);
      for (const held of pack.fresh) entries.set(entryName(held.key), held);
      wrote = writePack(file, [...entries.values()]) || wrote;
    }
    if (wrote) tidy(this.cacheDir);
  }
}

/** How old a temp file must be before it counts as left by a killed run. */
const staleTempMs = 10 * 60 * 1000;

/** writePack's temp names: `<pack>.tmp-<pid>-<8 hex>`; only these are ever deleted from the pack dir. */
const tempName = /^[0-9a-f]{40}\.pack\.tmp-[1-9][0-9]{0,9}-[0-9a-f]{8}$/;
/** What older versions wrote, by dir: scan-v2's packs and temp files; scan-v3's packs and temp packs. */
const oldNames: Record<(typeof oldVersions)[number], RegExp> = {
  "scan-v2": /^[0-9a-f]{40}\.bin(\.tmp-[1-9][0-9]{0,9}-[0-9a-f]{8})?$/,
  "scan-v3": /^[0-9a-f]{40}\.pack(\.tmp-[1-9][0-9]{0,9}-[0-9a-f]{8})?$/,
};

/** Removes the regular files in `dir` whose names match `pattern` and that `isStale` accepts. */
function removeOwnFiles(dir: string, pattern: RegExp, isStale: (st: Stats) => boolean): void {
  for (const name of readdirSync(dir)) {
    if (!pattern.test(name)) continue;
    const path = join(dir, name);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st?.isFile() && isStale(st)) rmSync(path, { force: true });
  }
}

/**
 * Removes what older versions and killed runs left, by exact name only: the packs and temp files of the
 * scan-v2/ and scan-v3/ dirs (then each dir, if that left it empty) and temp packs older than 10 minutes.
 * Anything else stays.
 */
function tidy(cacheDir: string): void {
  for (const version of oldVersions) {
    try {
      const old = join(cacheDir, version);
      if (lstatSync(old, { throwIfNoEntry: false })?.isDirectory()) {
        removeOwnFiles(old, oldNames[version], () => true);
        rmdirSync(old); // fails, and stays, when something not crifs's is in it
      }
    } catch {
      // a cache: what cannot be tidied now is tidied next time
    }
  }
  try {
    removeOwnFiles(join(cacheDir, version), tempName, (st) => Date.now() - st.mtimeMs > staleTempMs);
  } catch {
    // as above
  }
}

function writePack(file: string, entries: readonly Held[]): boolean {
  const index: PackEntry[] = [];
  let inodes = 0;
  let linkBytes = 0;
  for (const e of entries) {
    const count = e.multi.length / 4;
    const length = e.links?.length ?? 0;
    index.push({
      key: e.key,
      usage: e.usage,
      hasSymlinks: e.links !== null,
      multi: [inodes, count],
      links: [linkBytes, length],
    });
    inodes += count;
    linkBytes += length;
  }
  const json = Buffer.from(JSON.stringify(index), "utf8");
  const dataStart = headLength + Math.ceil(json.length / 8) * 8;
  const buf = Buffer.alloc(dataStart + inodes * 32 + linkBytes);
  buf.write(magic, 0, "latin1");
  buf.writeUInt32LE(json.length, 8);
  json.copy(buf, headLength);
  let at = dataStart;
  for (const e of entries) {
    Buffer.from(e.multi.buffer, e.multi.byteOffset, e.multi.length * 8).copy(buf, at);
    at += e.multi.length * 8;
  }
  for (const e of entries) {
    if (e.links === null) continue;
    e.links.copy(buf, at);
    at += e.links.length;
  }
  buf.writeUInt32LE(crc32(buf.subarray(headLength)), 12);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  let created = false;
  try {
    // O_EXCL: never through a name someone put there; the dir was checked by checkCacheDir
    writeFileSync(tmp, buf, { mode: 0o600, flag: "wx" });
    created = true;
    renameSync(tmp, file);
    return true;
  } catch {
    if (created) rmSync(tmp, { force: true });
    return false;
  }
}
