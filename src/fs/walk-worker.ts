// fs/walk-worker.ts — a worker_threads entry for the JS engine: takes the next tree index from a shared
// counter (Atomics.add), walks that whole tree synchronously, posts its TreeScan, and repeats until none are left.

import { parentPort, workerData } from "node:worker_threads";
import { walkTreeSync } from "./walk-sync.js";
import type { WalkOptions } from "./walk-tree-scan.js";

export interface WalkWorkerData {
  readonly roots: readonly string[];
  readonly options: WalkOptions;
  /** Int32Array[1] over a SharedArrayBuffer: the next tree index to take. */
  readonly next: SharedArrayBuffer;
}

export type WalkWorkerMessage =
  | { readonly kind: "tree"; readonly index: number; readonly scan: import("./walk-tree-scan.js").TreeScan }
  | { readonly kind: "done" };

if (parentPort !== null && workerData !== null && typeof workerData === "object" && "next" in workerData) {
  const data = workerData as WalkWorkerData;
  const next = new Int32Array(data.next);
  const port = parentPort;
  for (let i = Atomics.add(next, 0, 1); i < data.roots.length; i = Atomics.add(next, 0, 1)) {
    const scan = walkTreeSync(data.roots[i] ?? "", data.options);
    const message: WalkWorkerMessage = { kind: "tree", index: i, scan };
    port.postMessage(message, [scan.multi.buffer as ArrayBuffer]);
  }
  const done: WalkWorkerMessage = { kind: "done" };
  port.postMessage(done);
}
