// repair/purge.ts — `crifs repair --purge [--older-than 7d]`: deletes what finished runs quarantined, the only
// deletion crifs ever makes, and marks each run purged (its journal stays, for --list). A run still open
// (interrupted or applying) is not purged: it is to be finished or undone first.

import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { CrifsError } from "../errors.js";
import {
  ITEMS_DIR,
  Journal,
  listRuns,
  type RunSummary,
  readJournal,
  stamp,
  stepsOf,
  writeError,
} from "./journal.js";

/** Parses a duration such as 7d, 12h, 30m, 90s, 0 → milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+)(d|h|m|s)?$/.exec(v.trim());
  if (m === null) {
    throw new CrifsError("usage", `cannot use duration "${v}": expected a whole number with d, h, m or s`, {
      remedy: "e.g. --older-than 7d",
    });
  }
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as "d" | "h" | "m" | "s"] ?? 1000;
  return Number(m[1]) * unit;
}

export interface PurgeResult {
  readonly purged: readonly RunSummary[];
  /** Runs left alone, and why. */
  readonly kept: readonly { readonly id: string; readonly reason: string }[];
}

/** Deletes the items of every finished run in `quarantine` older than `olderThanMs` (by its creation time). */
export function purgeRuns(quarantine: string, olderThanMs: number, now = Date.now()): PurgeResult {
  const purged: RunSummary[] = [];
  const kept: { id: string; reason: string }[] = [];
  for (const run of listRuns(quarantine)) {
    if (run.state === "purged") continue;
    if (now - Date.parse(run.createdAt) < olderThanMs) {
      kept.push({ id: run.id, reason: "younger than --older-than" });
      continue;
    }
    if (run.state !== "done" && run.state !== "undone") {
      kept.push({ id: run.id, reason: `${run.state}: finish it (--apply) or revert it (--undo) first` });
      continue;
    }
    const { records } = readJournal(run.dir);
    // the items dirs: the run's own and those beside kubelet's log dirs
    const dirs = new Set([`${run.dir}/${ITEMS_DIR}`]);
    for (const r of stepsOf(records).done) if (r.item !== null) dirs.add(dirname(r.item));
    for (const d of dirs) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch (err) {
        throw writeError(err, d, "delete the quarantined items");
      }
      if (!d.startsWith(`${run.dir}/`)) rmSync(dirname(d), { recursive: true, force: true });
    }
    const j = Journal.open(run.dir);
    try {
      j.append({ type: "purged", at: stamp() });
    } finally {
      j.close();
    }
    purged.push(run);
  }
  return { purged, kept };
}
