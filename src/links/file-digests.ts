// links/file-digests.ts — what duplicate finding reads of a file, in worker threads (file-digest-worker.ts):
// a content key, equal for two files exactly when their bytes are equal: sha256 over each of the file's
// 64 KiB chunks (offset, bytes) that is not all zero, then its size. A hole and a run of zeros read the
// same, so a sparse copy and a full copy of one file get one key, and only the non-zero bytes are hashed
// (the benchmark's layers are 10 GiB on disk but 40 GB apparent). It is not what `sha256sum` prints.
// Only a file's runs of data are read (SEEK_DATA/SEEK_HOLE, fs/data-extents.ts): a 16 TiB sparse file that
// holds a few blocks costs a few reads, not 16 TiB of zeros (issue 13, item 8).
//
// Files are opened with O_NOFOLLOW (a layer's symlink is never followed onto the host). A file that cannot be
// read gives its errno code instead of a digest. Each call spreads the files over `threads` workers; a list
// of fewer than `inlineBelow` files is read in this thread (no worker start-up for a handful).

import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { dataExtents } from "../fs/data-extents.js";
import { fsPath } from "../fs/name-codec.js";
import { runWorkers } from "../fs/worker-pool.js";

/** A digest (hex) or why the file could not be read (an errno code such as "EACCES"). */
export type DigestResult = { readonly digest: string } | { readonly error: string };

const chunk = 64 * 1024;
const zeros = Buffer.alloc(chunk);
let buffer: Buffer | undefined;

/**
 * Reads `hostPath` and returns its content key. Cost: a read of its runs of data (fs/data-extents.ts: a
 * sparse file's holes are not read, and zero chunks are not hashed), each rounded out to the 64 KiB grid.
 * `seek: false` reads the whole file (the JS fallback; the key is the same).
 */
export function contentKey(hostPath: string, options: { seek?: boolean } = {}): string {
  const hash = createHash("sha256");
  const fd = openSync(fsPath(hostPath), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    // 16 chunks per read; reads of a regular file return whole chunks until the last one
    buffer ??= Buffer.allocUnsafe(16 * chunk);
    const buf = buffer;
    const head = Buffer.alloc(8);
    const size = fstatSync(fd).size;
    // fill the buffer before looking at it: chunks stay on the file's 64 KiB grid even after a short read
    const fill = (at: number, want: number): number => {
      let got = 0;
      for (let r = readSync(fd, buf, 0, want, at); r > 0; ) {
        got += r;
        if (got === want) break;
        r = readSync(fd, buf, got, want - got, at + got);
      }
      return got;
    };
    let done = 0; // the grid offset up to which chunks were looked at (runs can share a chunk)
    for (const [start, end] of dataExtents(fd, size, options)) {
      let offset = Math.max(done, Math.floor(start / chunk) * chunk);
      const stop = Math.min(size, Math.ceil(end / chunk) * chunk);
      while (offset < stop) {
        const n = fill(offset, Math.min(buf.length, stop - offset));
        if (n === 0) break; // the file shrank while being read
        for (let at = 0; at < n; at += chunk) {
          const piece = buf.subarray(at, Math.min(n, at + chunk));
          if (piece.equals(piece.length === chunk ? zeros : zeros.subarray(0, piece.length))) continue;
          head.writeBigUInt64LE(BigInt(offset + at));
          hash.update(head);
          hash.update(piece);
        }
        offset += n;
      }
      done = Math.max(done, offset);
    }
    head.writeBigUInt64LE(BigInt(size));
    hash.update(head); // the size last: files that differ only in trailing zeros differ here
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** contentKey, with an unreadable file as its errno code. */
export function contentKeyOrError(hostPath: string): DigestResult {
  try {
    return { digest: contentKey(hostPath) };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? "EIO" };
  }
}

export interface DigestWorkerData {
  readonly paths: readonly string[];
  /** Int32Array[1] over a SharedArrayBuffer: the next batch start to take. */
  readonly next: SharedArrayBuffer;
  readonly batch: number;
}

export type DigestWorkerMessage =
  | { readonly kind: "batch"; readonly start: number; readonly results: DigestResult[] }
  | { readonly kind: "done" };

const workerUrl = new URL("./file-digest-worker.js", import.meta.url);

/**
 * Content keys of `paths` (same order), read by `threads` workers taking batches from a shared counter, so that
 * one huge file does not hold up the rest. Cost: a full read of every file.
 */
export async function contentKeys(
  paths: readonly string[],
  options: { threads: number; inlineBelow?: number },
): Promise<DigestResult[]> {
  if (paths.length < (options.inlineBelow ?? 64) || options.threads <= 1) return paths.map(contentKeyOrError);
  const batch = 32;
  const data: DigestWorkerData = { paths, next: new SharedArrayBuffer(4), batch };
  const results = new Array<DigestResult | undefined>(paths.length);
  const count = Math.min(options.threads, Math.ceil(paths.length / batch));
  await runWorkers<DigestWorkerMessage>(workerUrl, data, count, (m) => {
    if (m.kind !== "batch") return;
    m.results.forEach((r, k) => {
      results[m.start + k] = r;
    });
  });
  const missing = results.indexOf(undefined);
  if (missing >= 0) throw new Error(`a digest worker lost the result of ${paths[missing]}`);
  return results as DigestResult[];
}
