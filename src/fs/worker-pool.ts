// fs/worker-pool.ts — runs `count` worker_threads on one module with the same workerData and hands every
// message to the caller; done when each worker has posted { kind: "done" } and exited. The first error (a
// worker that throws, or exits before saying done) stops them all and rejects. The workers share out the work
// themselves (an Atomics counter in workerData): the JS scanner's trees, the file digests' batches.

import { type ResourceLimits, Worker } from "node:worker_threads";

/** Starts the workers and resolves when every one has posted { kind: "done" }. */
export function runWorkers<M extends { readonly kind: string }>(
  url: URL,
  workerData: unknown,
  count: number,
  onMessage: (message: M) => void,
  /** The workers' V8 limits (worker_threads' resourceLimits). Default: Node's. */
  resourceLimits?: ResourceLimits,
): Promise<void> {
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
      const w = new Worker(
        url,
        resourceLimits === undefined ? { workerData } : { workerData, resourceLimits },
      );
      workers.push(w);
      let said = false; // this worker posted done
      w.on("message", (m: M) => {
        if (m.kind !== "done") {
          if (!failed) onMessage(m);
          return;
        }
        said = true;
      });
      w.on("error", stopAll);
      w.on("exit", (code) => {
        // a worker that ends without saying done (whatever its code) would leave the caller waiting forever
        if (!said) stopAll(new Error(`a worker of ${url.pathname} exited (code ${code}) before it was done`));
        // done once every worker has exited, not when the last says done: its isolate (tens of MB) is freed
        // at exit, and a caller that starts the next workers at once would hold both (links --shared's slices)
        running--;
        if (running === 0 && !failed) resolve();
      });
    }
  });
}
