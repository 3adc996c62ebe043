// serve/scheduler.ts — serve's scans on an interval, each made in a worker thread of its own
// (serve/scan-worker.ts), and the last good one. A scan starts `interval` after the previous one ended: scans
// never overlap, and however long a scan takes on a busy node, the node gets `interval` without one. A scan
// that fails, or runs past its deadline (its worker is then ended), is counted and leaves the last good scan
// in place.
//
// Where the worker's module cannot be found (a bundle that carries none), scans run in this thread instead:
// slower answers during a scan, the same results.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { GlobalOptions } from "../cli/stores.js";
import { isSeaBuild } from "../fs/sea-assets.js";
import type { ScanModel, ScanOptions } from "./scan.js";
import type { ScanWorkerData, ScanWorkerMessage } from "./scan-worker.js";

const workerUrl = new URL("./scan-worker.js", import.meta.url);

export interface SchedulerOptions {
  readonly g: GlobalOptions;
  readonly scan: ScanOptions;
  readonly intervalMs: number;
  /** A scan still running after this long is ended and counted as failed. */
  readonly deadlineMs: number;
  readonly onScan: (model: ScanModel) => void;
  readonly onFailure: (failure: Extract<ScanWorkerMessage, { kind: "failed" }>) => void;
}

/**
 * Runs each scan in a worker of its own, ended once it has answered: what a scan builds (models, findings,
 * JSON) goes with its thread, so the server's memory between scans stays what it was after the first one,
 * for as long as it runs. Starting a worker costs loading its modules once per scan (tenths of a second of
 * CPU), which an interval of minutes does not notice.
 */
class WorkerRunner {
  #worker: Worker | null = null;
  readonly #data: ScanWorkerData;

  constructor(data: ScanWorkerData) {
    this.#data = data;
  }

  scan(deadlineMs: number): Promise<ScanWorkerMessage> {
    return new Promise((resolve) => {
      const w = new Worker(workerUrl, { workerData: this.#data });
      this.#worker = w;
      let answered = false;
      const answer = (m: ScanWorkerMessage) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        if (this.#worker === w) this.#worker = null;
        void w.terminate();
        resolve(m);
      };
      const failed = (line: string) => answer({ kind: "failed", line, stores: [] });
      const timer = setTimeout(
        () => failed(`the scan did not finish within ${Math.round(deadlineMs / 1000)} s: ended`),
        deadlineMs,
      );
      timer.unref();
      w.on("message", answer);
      w.on("error", (err) => failed(`internal error: the scan worker failed: ${err.message.split("\n")[0]}`));
      w.on("exit", (code) =>
        failed(`internal error: the scan worker exited (code ${code}) before it answered`),
      );
      w.unref(); // the server keeps the process alive, not the scan
      w.postMessage({ kind: "scan" });
    });
  }

  stop(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    return w === null ? Promise.resolve() : w.terminate().then(() => undefined);
  }
}

/** Runs scans in this thread (no worker module to start). */
class InlineRunner {
  readonly #data: ScanWorkerData;
  constructor(data: ScanWorkerData) {
    this.#data = data;
  }
  async scan(): Promise<ScanWorkerMessage> {
    const { scanMessage } = await import("./scan-worker.js");
    return scanMessage(this.#data.g, this.#data.options);
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

export class ScanScheduler {
  readonly #o: SchedulerOptions;
  readonly #runner: WorkerRunner | InlineRunner;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(o: SchedulerOptions) {
    this.#o = o;
    const data: ScanWorkerData = { kind: "crifs-scan", g: o.g, options: o.scan };
    // in the single executable the worker's code is carried inside it (scripts/build-exe.mjs runs it with eval)
    const worker = existsSync(fileURLToPath(workerUrl)) || isSeaBuild();
    this.#runner = worker ? new WorkerRunner(data) : new InlineRunner(data);
  }

  /** Whether scans run in a worker thread (else in this one). */
  get isThreaded(): boolean {
    return this.#runner instanceof WorkerRunner;
  }

  /** Starts the first scan now and the next ones on the interval. */
  start(): void {
    this.#tick();
  }

  #tick(): void {
    if (this.#stopped) return;
    void this.#runner.scan(this.#o.deadlineMs).then((m) => {
      if (this.#stopped) return;
      if (m.kind === "done") this.#o.onScan(m.model);
      else this.#o.onFailure(m);
      this.#timer = setTimeout(() => this.#tick(), this.#o.intervalMs);
    });
  }

  /** Stops scanning: no new scan starts, and a running one is ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#runner.stop();
  }
}
