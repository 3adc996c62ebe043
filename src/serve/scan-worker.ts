// serve/scan-worker.ts — the worker_threads entry that makes serve's scans (serve/scan.ts), so that the
// metadata parsing, checks and JSON rendering of a scan never hold up the server's event loop: /metrics
// answers from the last good scan while the next one runs here. Each scan has a worker of its own
// (serve/scheduler.ts): its { kind: "scan" } message makes one scan and posts its ScanModel, or the
// failure's line and stores, and the scheduler ends the worker.

import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import type { GlobalOptions } from "../cli/stores.js";
import { CrifsError } from "../errors.js";
import { ScanFailure, type ScanModel, type ScanOptions, scanStores } from "./scan.js";

export interface ScanWorkerData {
  readonly kind: "crifs-scan";
  readonly g: GlobalOptions;
  readonly options: ScanOptions;
}

export type ScanWorkerMessage =
  | { readonly kind: "done"; readonly model: ScanModel }
  | {
      readonly kind: "failed";
      readonly line: string;
      readonly stores: ScanFailure["stores"];
    };

/** One scan as a message: its model, or its failure in one line. */
export async function scanMessage(g: GlobalOptions, options: ScanOptions): Promise<ScanWorkerMessage> {
  try {
    return { kind: "done", model: await scanStores(g, options) };
  } catch (err) {
    if (err instanceof ScanFailure) return { kind: "failed", line: err.line, stores: err.stores };
    const line =
      err instanceof CrifsError
        ? err.oneLine()
        : `internal error: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`;
    return { kind: "failed", line, stores: [] };
  }
}

/** Lowers this thread's priority (Linux: setpriority on the thread's id), so that on a busy node a scan yields
 * the CPU to the server's thread and to the node's work. Best effort. */
function niceThisThread(): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, SCAN_NICENESS);
  } catch {
    // not Linux, or not allowed: the scan runs at the process's priority
  }
}

/** The scan thread's niceness (the server's thread keeps the process's). */
const SCAN_NICENESS = 10;

const data = workerData as ScanWorkerData | null;
if (parentPort !== null && data !== null && typeof data === "object" && data.kind === "crifs-scan") {
  const port = parentPort;
  niceThisThread();
  port.on("message", async (m: { kind: string }) => {
    if (m.kind !== "scan") return;
    port.postMessage(await scanMessage(data.g, data.options));
  });
}
