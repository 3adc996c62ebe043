// links/file-digests.ts — what duplicate finding reads of a file, in worker threads (file-digest-worker.ts):
// a content key, equal for two files exactly when their bytes are equal: sha256 over each of the file's
// 64 KiB chunks (offset, bytes) that is not all zero, then its size. A hole and a run of zeros read the
// same, so a sparse copy and a full copy of one file get one key, and only the non-zero bytes are hashed
// (the benchmark's layers are 10 GiB on disk but 40 GB apparent). It is not what `sha256sum` prints.
//
// Files are opened with O_NOFOLLOW (a layer's symlink is never followed onto the host). A file that cannot be
// read gives its errno code instead of a digest. Each call spreads the files over `threads` workers; a list
// of fewer than `inlineBelow` files is read in this thread (no worker start-up for a handful).

import { createHash } from "node:crypto";
import { closeSync, constants, openSync, readSync } from "node:fs";
import { fsPath } from "../fs/name-codec.js";
import { runWorkers } from "../fs/worker-pool.js";

/** A digest (hex) or why the file could not be read (an errno code such as "EACCES"). */
export type DigestResult = { readonly digest: string } | { readonly error: string };

const chunk = 64 * 1024;
const zeros = Buffer.alloc(chunk);
let buffer: Buffer | undefined;

/** Reads `hostPath` whole and returns its content key. Cost: one full read (zero chunks are not hashed). */
export function contentKey(hostPath: string): string {
  const hash = createHash("sha256");
  const fd = openSync(fsPath(hostPath), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    // 16 chunks per read; reads of a regular file return whole chunks until the last one
    buffer ??= Buffer.allocUnsafe(16 * chunk);
    const buf = buffer;
    let offset = 0;
    const head = Buffer.alloc(8);
    // fill the buffer before looking at it: chunks stay on the file's 64 KiB grid even after a short read
    const fill = (): number => {
      let got = 0;
      for (let r = readSync(fd, buf, 0, buf.length, null); r > 0; ) {
        got += r;
        if (got === buf.length) break;
        r = readSync(fd, buf, got, buf.length - got, null);
      }
      return got;
    };
    for (let n = fill(); n > 0; n = fill()) {
      for (let at = 0; at < n; at += chunk) {
        const piece = buf.subarray(at, Math.min(n, at + chunk));
        if (piece.equals(piece.length === chunk ? zeros : zeros.subarray(0, piece.length))) continue;
        head.writeBigUInt64LE(BigInt(offset + at));
        hash.update(head);
        hash.update(piece);
      }
      offset += n;
    }
    head.writeBigUInt64LE(BigInt(offset));
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
