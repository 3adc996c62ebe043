// links/file-digest-worker.ts — a worker_threads entry for file-digests.ts: takes the next batch of jobs from
// a shared counter (Atomics.add), writes their keys into the shared key buffer, posts the files it could not
// read, and repeats until none are left.

import { parentPort, workerData } from "node:worker_threads";
import { type DigestWorkerData, type DigestWorkerMessage, runKeyJob } from "./file-digests.js";

if (parentPort !== null && workerData !== null && typeof workerData === "object" && "batch" in workerData) {
  const data = workerData as DigestWorkerData;
  const next = new Int32Array(data.next);
  const n = data.modes.byteLength === 0 ? 0 : new Uint32Array(data.offsets).length - 1;
  const port = parentPort;
  for (let s = Atomics.add(next, 0, data.batch); s < n; s = Atomics.add(next, 0, data.batch)) {
    for (let i = s; i < Math.min(n, s + data.batch); i++) {
      const code = runKeyJob(data, i);
      if (code !== null) {
        const message: DigestWorkerMessage = { kind: "error", index: i, code };
        port.postMessage(message);
      }
    }
  }
  const done: DigestWorkerMessage = { kind: "done" };
  port.postMessage(done);
}
