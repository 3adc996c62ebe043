// links/file-digest-worker.ts — a worker_threads entry for file-digests.ts: takes the next batch of paths
// from a shared counter (Atomics.add), reads their content keys, posts them, and repeats until none are left.

import { parentPort, workerData } from "node:worker_threads";
import { contentKeyOrError } from "../fs/file-hash.js";
import type { DigestWorkerData, DigestWorkerMessage } from "./file-digests.js";

if (parentPort !== null && workerData !== null && typeof workerData === "object" && "batch" in workerData) {
  const data = workerData as DigestWorkerData;
  const next = new Int32Array(data.next);
  const port = parentPort;
  for (
    let s = Atomics.add(next, 0, data.batch);
    s < data.paths.length;
    s = Atomics.add(next, 0, data.batch)
  ) {
    const results = data.paths.slice(s, s + data.batch).map(contentKeyOrError);
    const message: DigestWorkerMessage = { kind: "batch", start: s, results };
    port.postMessage(message);
  }
  const done: DigestWorkerMessage = { kind: "done" };
  port.postMessage(done);
}
