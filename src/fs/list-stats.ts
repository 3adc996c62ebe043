// fs/list-stats.ts — the entries of one dir with what lstat says of each (kind, times, dev and ino), packed:
// one array of names and one Float64Array of numbers, no Dirent or Stats object per entry. Doctor lists
// containerd's snapshots/ this way (10^4 leaked dirs: the listing's lstats were a tenth of an apply's CPU), and
// the plan of `crifs repair` takes each dir's identity (dev, ino, ctime) from the same lstat.
//
// Natively (native/list.c listStats: one readdir, one fstatat per entry by the dir's fd) when the addon has it;
// otherwise, or with CRIFS_ENGINE=js, the same in JS (readdir, lstatSync per entry). Both give the same answer:
// the names sorted bytewise (what readdirSync gives), exact when they are not UTF-8 (fs/name-codec.ts), an entry
// gone since the readdir left out, and a dir or entry that cannot be read noted on the FactReader as its
// list() and lstat() note them.

import { join } from "node:path";
import { getSystemErrorName } from "node:util";
import type { FactReader } from "./fact-reader.js";
import { decodeName, fsPath } from "./name-codec.js";
import { loadNativeScanner } from "./walk-native.js";

/** Numbers per entry in ListedStats.stats: isDir (1 or 0), mtimeMs, ctimeMs, dev, ino. */
export const STAT_STRIDE = 5;

/** A dir's entries: names[i]'s numbers are stats[STAT_STRIDE * i ..]. */
export interface ListedStats {
  readonly names: readonly string[];
  readonly stats: Float64Array;
}

/** The addon's answer (native/list.c): -errno, or the names with a NUL after each and 6 numbers per entry
 * (errno of its fstatat, then the 5 of STAT_STRIDE). */
type NativeListStats = (
  dir: string | Buffer,
) => { names: Buffer; ascii: boolean; stats: Float64Array } | number;

const NATIVE_STRIDE = 6;

let nativeList: NativeListStats | null | undefined;

function native(): NativeListStats | null {
  if (nativeList === undefined) {
    const scanner = process.env.CRIFS_ENGINE === "js" ? null : loadNativeScanner().scanner;
    const fn = (scanner as { listStats?: NativeListStats } | null)?.listStats;
    nativeList = typeof fn === "function" ? fn : null;
  }
  return nativeList;
}

/** An errno (positive) as the error Node's fs would throw, for FactReader.note. */
function errnoError(errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(-errno);
  const e: NodeJS.ErrnoException = new Error(code);
  e.code = code;
  e.errno = -errno;
  return e;
}

/** The JS engine: readdir, then lstatSync of each entry. */
export function listStatsJs(r: FactReader, dir: string): ListedStats {
  const listed = r.list(dir);
  const names: string[] = [];
  const stats = new Float64Array(listed.length * STAT_STRIDE);
  for (const d of listed) {
    const st = r.lstat(join(dir, d.name));
    if (st === null) continue; // gone since the listing
    const at = names.length * STAT_STRIDE;
    stats[at] = st.isDirectory() ? 1 : 0;
    stats[at + 1] = st.mtimeMs;
    stats[at + 2] = st.ctimeMs;
    stats[at + 3] = st.dev;
    stats[at + 4] = st.ino;
    names.push(d.name);
  }
  return { names, stats: stats.subarray(0, names.length * STAT_STRIDE) };
}

/** The native engine (native/list.c), or null when the addon lacks it. */
export function listStatsNative(r: FactReader, dir: string): ListedStats | null {
  const fn = native();
  if (fn === null) return null;
  const got = fn(fsPath(dir));
  if (typeof got === "number") {
    r.note(dir, "list directory", errnoError(-got));
    return { names: [], stats: new Float64Array(0) };
  }
  const text = got.names;
  let all: string[];
  if (got.ascii) {
    all = text.toString("latin1").split("\0");
  } else {
    all = [];
    for (let from = 0; from < text.length; ) {
      const to = text.indexOf(0, from);
      all.push(decodeName(text.subarray(from, to)));
      from = to + 1;
    }
    all.push("");
  }
  all.pop(); // after the last NUL
  const raw = got.stats;
  const names: string[] = [];
  const stats = new Float64Array(all.length * STAT_STRIDE);
  for (let i = 0; i < all.length; i++) {
    const name = all[i] as string;
    const errno = raw[i * NATIVE_STRIDE] as number;
    if (errno !== 0) {
      r.note(join(dir, name), "stat", errnoError(errno)); // one gone since the readdir is not noted
      continue;
    }
    stats.set(raw.subarray(i * NATIVE_STRIDE + 1, (i + 1) * NATIVE_STRIDE), names.length * STAT_STRIDE);
    names.push(name);
  }
  return { names, stats: stats.subarray(0, names.length * STAT_STRIDE) };
}

/** The entries of `dir` and their lstat numbers (see the header); [] when it does not exist. Cost: one readdir
 * and one lstat per entry. */
export function listStats(r: FactReader, dir: string): ListedStats {
  return listStatsNative(r, dir) ?? listStatsJs(r, dir);
}
