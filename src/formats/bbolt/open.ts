// open.ts — openBolt: reads a bbolt file that its owner may be writing, and parses a consistent view.
//
// We take no lock (containerd holds flock(LOCK_EX) while it runs). bbolt writes a commit's pages first
// and its meta page last (txid N goes to page N % 2), and never overwrites a page that the current
// meta reaches. So a copy is consistent when neither meta page changed between reading the file and
// re-reading the meta pages right after it:
//
//   read the whole file ─▶ re-read the meta headers ─▶ unchanged ─▶ parse ─▶ tree (or the parse error)
//        ▲                                         └─ changed: a commit landed mid-read
//        └────────────────── retry (attempts, growing delay) ◀──┘
//
// A parse error with unchanged metas is the file itself ("corrupt", at once). When the attempts run out
// with every read overlapping a commit: "busy".

import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { CrifsError, fromFsError } from "../../errors.js";
import { metaBytes, pickMeta, readMetas } from "./meta.js";
import { parseBolt } from "./parse.js";
import type { BoltDb } from "./types.js";

/** How openBolt reads the file; tests put a writer between the reads. */
export interface BoltFileIo {
  /** The whole file. */
  readFile(path: string): Uint8Array;
  /** Up to `length` bytes at `offset` (fewer at the end of the file). */
  readRange(path: string, offset: number, length: number): Uint8Array;
}

export interface OpenBoltOptions {
  /** Whole-file reads before giving up on a file that keeps changing (default 20, at least 1). */
  attempts?: number;
  /** Pause before retry k is k × this many milliseconds (default 20). */
  retryDelayMs?: number;
  /** Where the bytes come from (default: node:fs, synchronous). */
  io?: BoltFileIo;
}

/** node:fs, synchronous. */
export const fsBoltIo: BoltFileIo = {
  readFile(path) {
    return readFileSync(path);
  },
  readRange(path, offset, length) {
    const out = new Uint8Array(length);
    const fd = openSync(path, "r");
    try {
      let got = 0;
      while (got < length) {
        const n = readSync(fd, out, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return out.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  },
};

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleep(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}

function readError(err: unknown, path: string): CrifsError {
  if ((err as NodeJS.ErrnoException | undefined)?.code === "ERR_FS_FILE_TOO_LARGE") {
    return new CrifsError("unsupported", "cannot read: the file is larger than 2 GiB", { path, cause: err });
  }
  return fromFsError(err, path);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function txidWords(image: Uint8Array): string {
  const meta = pickMeta(readMetas(image));
  return meta === undefined ? "none valid" : String(meta.txid);
}

/**
 * Re-reads both meta headers and compares them with the ones in `bytes`. Returns undefined when
 * neither changed, else "txid <before> → <after>".
 */
function metaChange(io: BoltFileIo, path: string, bytes: Uint8Array, pageSize: number): string | undefined {
  const head0 = bytes.subarray(0, metaBytes);
  const head1 = bytes.subarray(pageSize, pageSize + metaBytes);
  let now0: Uint8Array;
  let now1: Uint8Array;
  try {
    now0 = io.readRange(path, 0, metaBytes);
    now1 = io.readRange(path, pageSize, metaBytes);
  } catch (err) {
    throw readError(err, path);
  }
  if (sameBytes(head0, now0) && sameBytes(head1, now1)) return undefined;
  const image = new Uint8Array(pageSize + metaBytes);
  image.set(now0.subarray(0, metaBytes), 0);
  image.set(now1.subarray(0, metaBytes), pageSize);
  return `txid ${txidWords(bytes)} → ${txidWords(image)}`;
}

/**
 * Reads and parses a file; safe against a writer (see the header). Throws CrifsError naming the path:
 * "not-found"/"permission" from the file system, "busy" when every read overlapped a commit up to the
 * last, "corrupt" when the file is consistently invalid. Cost: one whole-file read and parse per attempt.
 */
export function openBolt(path: string, options: OpenBoltOptions = {}): BoltDb {
  // 20 attempts with a growing pause (3.8 s in all at most): a daemon under churn commits many times a second,
  // and a loaded machine reads slowly, so overlaps in a row happen (5 were too few under parallel test beds;
  // 10 of 10 overlapped on a 2-core machine at load 7 with containerd's GC churn). Accepting a read that one
  // commit overlapped is not safe: the next commit may already be rewriting the pages that read's meta reaches
  const attempts = Math.max(1, Math.floor(options.attempts ?? 20));
  const delay = Math.max(0, options.retryDelayMs ?? 20);
  const io = options.io ?? fsBoltIo;
  let failure: CrifsError | undefined;
  let changes = 0;
  let lastChange = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) sleep(delay * (attempt - 1));
    let bytes: Uint8Array;
    try {
      bytes = io.readFile(path);
    } catch (err) {
      throw readError(err, path);
    }
    // the metas are compared right after the read, before the parse: a commit landing during the parse
    // cannot touch the copy, and counting it made doctor "busy" under churn (10 of 10 reads overlapped)
    const pageSize = pickMeta(readMetas(bytes))?.pageSize ?? 4096;
    const change = metaChange(io, path, bytes, pageSize);
    if (change !== undefined) {
      changes++;
      lastChange = change;
      failure = undefined;
      continue;
    }
    try {
      return parseBolt(bytes, path);
    } catch (err) {
      failure = err instanceof CrifsError ? err : fromFsError(err, path);
    }
    // no commit overlapped this read, and bbolt never rewrites a page the newest meta reaches: the damage is
    // on disk, and reading again would only find it again
    break;
  }
  if (failure !== undefined) {
    throw new CrifsError(failure.code, failure.message, {
      path,
      remedy: "no commit overlapped the last read, so the damage is on disk: restore the file from a backup",
      cause: failure,
    });
  }
  throw new CrifsError(
    "busy",
    `cannot read a consistent view: the file changed during ${changes} of ${attempts} reads (last: ${lastChange})`,
    { path, remedy: "the owner is committing all the time: retry, or stop it and run crifs again" },
  );
}
