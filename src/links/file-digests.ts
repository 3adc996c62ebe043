// links/file-digests.ts — content keys (fs/file-hash.ts contentKey) of many files, read in worker threads
// (file-digest-worker.ts) for duplicate finding. A file that cannot be read gives its errno code instead of a
// digest. Each call spreads the files over `threads` workers; a list of fewer than `inlineBelow` files is read
// in this thread (no worker start-up for a handful).

import { contentKeyOrError, type DigestResult } from "../fs/file-hash.js";
import { runWorkers } from "../fs/worker-pool.js";

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
