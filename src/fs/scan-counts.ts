// fs/scan-counts.ts — how many entries the last scan of the same trees met, kept beside the scan cache
// (<cache dir>/scan-v4/counts.json: { "<sha256 of the tree roots>": entries }), so that a progress line can
// give an ETA. Read and written only in a cache dir checkCacheDir passed (ScanCache.open did); a file that
// is missing, unreadable or not JSON is no count. The 64 latest keys are kept.

import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { version } from "./scan-cache-dir.js";

const MAX_KEYS = 64;

function fileOf(cacheDir: string): string {
  return join(cacheDir, version, "counts.json");
}

/** The key of a set of tree roots (order does not matter). */
export function countsKey(roots: readonly string[]): string {
  return createHash("sha256")
    .update([...roots].sort().join("\0"))
    .digest("hex");
}

function readAll(cacheDir: string): Record<string, number> {
  try {
    const v = JSON.parse(readFileSync(fileOf(cacheDir), "utf8")) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** The entries the last scan of `key` met, or null. Cost: one read of a small file. */
export function readLastCount(cacheDir: string, key: string): number | null {
  const n = readAll(cacheDir)[key];
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : null;
}

/** Records `entries` for `key` (temp file, then rename); a failure only loses the ETA of the next run. */
export function writeLastCount(cacheDir: string, key: string, entries: number): void {
  const all = readAll(cacheDir);
  delete all[key];
  all[key] = entries;
  const keys = Object.keys(all);
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_KEYS))) delete all[k];
  const file = fileOf(cacheDir);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(all), { mode: 0o600, flag: "wx" });
    renameSync(tmp, file);
  } catch {
    // a read-only or full cache dir: no ETA next time, nothing worse
  }
}
