// fs/walk-js.ts — the pure-JS engine: `workers` worker_threads (walk-worker.ts), each walking whole trees
// synchronously; the trees are handed out one at a time through a shared counter, so a big tree does not
// hold up the others. Used when the native scanner is not built (perf-limits.md: about 1.1× du with 2 workers).

import { Worker } from "node:worker_threads";
import type { TreeScan, WalkOptions } from "./walk-tree-scan.js";
import type { WalkWorkerData, WalkWorkerMessage } from "./walk-worker.js";

const workerUrl = new URL("./walk-worker.js", import.meta.url);

/** Walks `roots` in `workers` threads. Cost: a full walk (one lstat per entry). Order of the result = roots. */
export function scanTreesJs(
  roots: readonly string[],
  options: WalkOptions & { threads: number },
): Promise<TreeScan[]> {
  if (roots.length === 0) return Promise.resolve([]);
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
  return new Promise((resolve, reject) => {
    let running = count;
    let failed = false;
    const workers: Worker[] = [];
    const stopAll = (err: unknown): void => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(err);
    };
    for (let i = 0; i < count; i++) {
      const w = new Worker(workerUrl, { workerData: data });
      workers.push(w);
      w.on("message", (m: WalkWorkerMessage) => {
        if (m.kind === "tree") {
          scans[m.index] = m.scan;
          return;
        }
        running--;
        if (running > 0 || failed) return;
        const missing = scans.indexOf(undefined);
        if (missing >= 0) stopAll(new Error(`the JS scanner lost the result of ${roots[missing]}`));
        else resolve(scans as TreeScan[]);
      });
      w.on("error", stopAll);
      w.on("exit", (code) => {
        if (code !== 0 && running > 0) stopAll(new Error(`a JS scanner worker exited with code ${code}`));
      });
    }
  });
}
