// fs/walk-js.ts — the pure-JS engine: `workers` worker_threads (walk-worker.ts), each walking whole trees
// synchronously; the trees are handed out one at a time through a shared counter, so a big tree does not
// hold up the others. Used when the native scanner is not built (docs/performance.md: about 1.1× du with 2 workers).

import type { TreeScan, WalkOptions } from "./walk-tree-scan.js";
import type { WalkWorkerData, WalkWorkerMessage } from "./walk-worker.js";
import { runWorkers } from "./worker-pool.js";

const workerUrl = new URL("./walk-worker.js", import.meta.url);

/** Walks `roots` in `workers` threads. Cost: a full walk (one lstat per entry). Order of the result = roots. */
export async function scanTreesJs(
  roots: readonly string[],
  options: WalkOptions & { threads: number },
): Promise<TreeScan[]> {
  if (roots.length === 0) return [];
  const count = Math.max(1, Math.min(options.threads, roots.length));
  const next = new SharedArrayBuffer(4);
  const data: WalkWorkerData = {
    roots,
    options: {
      oneFileSystem: options.oneFileSystem,
      symlinks: options.symlinks,
      usage: options.usage,
      stops: options.stops,
    },
    next,
  };
  const scans = new Array<TreeScan | undefined>(roots.length);
  await runWorkers<WalkWorkerMessage>(workerUrl, data, count, (m) => {
    if (m.kind === "tree") scans[m.index] = m.scan;
  });
  const missing = scans.indexOf(undefined);
  if (missing >= 0) throw new Error(`the JS scanner lost the result of ${roots[missing]}`);
  return scans as TreeScan[];
}
