// serve/scheduler.ts — serve's scans on an interval, made in a worker thread (serve/scan-worker.ts), and the
// last good one. A scan starts `interval` after the previous one started, or as soon as it ends when it ran
// longer: scans never overlap. A scan that fails, or runs past its deadline (the worker is then ended and a
// new one made for the next scan), is counted and leaves the last good scan in place.
//
// Where the worker's module cannot be found (a bundle that carries none), scans run in this thread instead:
// slower answers during a scan, the same results.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { GlobalOptions } from "../cli/stores.js";
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

/** Runs scans in one long-lived worker; a worker that dies or is ended is replaced at the next scan. */
class WorkerRunner {
  #worker: Worker | null = null;
  #pending: ((m: ScanWorkerMessage) => void) | null = null;
  readonly #data: ScanWorkerData;

  constructor(data: ScanWorkerData) {
    this.#data = data;
  }

  #start(): Worker {
    const w = new Worker(workerUrl, { workerData: this.#data });
    const fail = (line: string) => {
      if (this.#worker === w) this.#worker = null;
      const done = this.#pending;
      this.#pending = null;
      done?.({ kind: "failed", line, stores: [] });
    };
    w.on("message", (m: ScanWorkerMessage) => {
      const done = this.#pending;
      this.#pending = null;
      done?.(m);
    });
    w.on("error", (err) => fail(`internal error: the scan worker failed: ${err.message.split("\n")[0]}`));
    w.on("exit", (code) => fail(`internal error: the scan worker exited (code ${code})`));
    w.unref(); // the server keeps the process alive, not the worker
    return w;
  }

  scan(deadlineMs: number): Promise<ScanWorkerMessage> {
    this.#worker ??= this.#start();
    const w = this.#worker;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending = null;
        this.#worker = null;
        void w.terminate();
        resolve({
          kind: "failed",
          line: `the scan did not finish within ${Math.round(deadlineMs / 1000)} s: ended`,
          stores: [],
        });
      }, deadlineMs);
      timer.unref();
      this.#pending = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      w.postMessage({ kind: "scan" });
    });
  }

  stop(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    this.#pending = null;
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
    this.#runner = existsSync(fileURLToPath(workerUrl)) ? new WorkerRunner(data) : new InlineRunner(data);
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
    const started = Date.now();
    void this.#runner.scan(this.#o.deadlineMs).then((m) => {
      if (this.#stopped) return;
      if (m.kind === "done") this.#o.onScan(m.model);
      else this.#o.onFailure(m);
      const wait = Math.max(0, started + this.#o.intervalMs - Date.now());
      this.#timer = setTimeout(() => this.#tick(), wait);
    });
  }

  /** Stops scanning: no new scan starts, and a running one is ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#runner.stop();
  }
}
