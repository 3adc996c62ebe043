// relocate/journal.ts — a relocate run on disk, in repair's journal (src/repair/journal.ts: one JSON record a
// line, each append fsynced with the journal's dir, a torn last line ignored). The run dir lies beside the
// root, on the root's own filesystem, so it survives every step (the root itself is renamed and switched):
//
//   <parent of root>/.crifs-quarantine/<run-id>/
//     journal.jsonl     the header (a repair RunHeader whose `relocate` field is the plan), then per step an
//                       `intent` (fsynced before the change) and a `done` (fsynced after it)
//     items/<root name> where the old root goes at the end (the quarantine on the runtime's filesystem)
//
// Records besides the header: {type:"intent"|"done", step, at}, {type:"fail", step, error, at},
// {type:"resume"|"rollback", pid, at}, {type:"undo-intent"|"undo-done", step, at}, {type:"end"|"rolled-back", at}.

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { isProcAlive } from "../fs/proc-stat.js";
import type { Plan } from "../repair/action.js";
import { JOURNAL_FILE, Journal, type RunHeader, readJournal, stamp } from "../repair/journal.js";
import { type RelocatePlan, type RelocateStepName, relocateQuarantine } from "./plan.js";

export interface RelocateHeader extends RunHeader {
  readonly relocate: RelocatePlan;
}

export type RelocateRecord =
  | RelocateHeader
  | {
      readonly type: "intent" | "done" | "undo-intent" | "undo-done";
      readonly step: RelocateStepName;
      readonly at: string;
    }
  | { readonly type: "fail"; readonly step: RelocateStepName; readonly error: string; readonly at: string }
  | { readonly type: "resume" | "rollback"; readonly pid: number; readonly at: string }
  | { readonly type: "end" | "rolled-back"; readonly at: string };

export type RelocateState = "running" | "interrupted" | "finished" | "rolled-back";

/** A repair plan of no actions: the header's `plan` (repair's readers need one; the real plan is `relocate`). */
function stubPlan(p: RelocatePlan): Plan {
  return {
    runtime: p.runtime as Plan["runtime"],
    root: p.root,
    createdAt: stamp(),
    daemonUp: false,
    actions: [],
    unmended: [],
    bytes: 0,
  };
}

/** An open relocate run: its dir, its journal, its plan. */
export class RelocateRun {
  readonly dir: string;
  readonly id: string;
  readonly plan: RelocatePlan;
  readonly #journal: Journal;

  private constructor(dir: string, id: string, plan: RelocatePlan, journal: Journal) {
    this.dir = dir;
    this.id = id;
    this.plan = plan;
    this.#journal = journal;
  }

  /** Makes the run dir and writes the header (fsynced). */
  static create(plan: RelocatePlan, id: string): RelocateRun {
    const quarantine = relocateQuarantine(plan.root);
    const header: RelocateHeader = {
      type: "run",
      version: 1,
      id,
      createdAt: stamp(),
      pid: process.pid,
      runtime: plan.runtime,
      root: plan.root,
      plan: stubPlan(plan),
      relocate: plan,
    };
    const j = Journal.create(quarantine, header);
    return new RelocateRun(join(quarantine, id), id, plan, j);
  }

  /** Opens an existing run to go on with it (a `resume` or `rollback` record names this process). */
  static open(dir: string): RelocateRun {
    const { records } = readJournal(dir);
    const head = records[0] as unknown as RelocateHeader;
    return new RelocateRun(dir, head.id, head.relocate, Journal.open(dir));
  }

  /** Appends one record; an intent also syncs the run's dir (durable by name before the change). */
  append(record: RelocateRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    this.#journal.appendLines(line, true);
  }

  records(): RelocateRecord[] {
    return readJournal(this.dir).records as unknown as RelocateRecord[];
  }

  close(): void {
    this.#journal.close();
  }
}

/** The steps a run's records mark done (forward steps, and undone ones with undo-done). */
export function stepsDone(records: readonly RelocateRecord[]): {
  done: Set<RelocateStepName>;
  undone: Set<RelocateStepName>;
} {
  const done = new Set<RelocateStepName>();
  const undone = new Set<RelocateStepName>();
  for (const r of records) {
    if (r.type === "done") done.add(r.step);
    if (r.type === "undo-done") undone.add(r.step);
  }
  return { done, undone };
}

/** The state a run's records say it is in: a run without an end whose process is gone was interrupted. */
export function relocateState(records: readonly RelocateRecord[]): RelocateState {
  if (records.some((r) => r.type === "rolled-back")) return "rolled-back";
  const last = records.findLast((r) => r.type === "run" || r.type === "resume" || r.type === "rollback") as
    | { type: string; pid: number }
    | undefined;
  if (last?.type !== "rollback" && records.some((r) => r.type === "end")) return "finished";
  if (last !== undefined && last.pid !== process.pid && isProcAlive(last.pid)) return "running";
  return "interrupted";
}

export interface RelocateRunSummary {
  readonly id: string;
  readonly dir: string;
  readonly state: RelocateState;
  readonly plan: RelocatePlan;
  readonly done: readonly RelocateStepName[];
}

/** Every relocate run beside `root`, oldest first (repair's runs in the same dir are passed over). */
export function listRelocateRuns(root: string): RelocateRunSummary[] {
  const q = relocateQuarantine(root);
  let names: string[];
  try {
    names = readdirSync(q).sort();
  } catch {
    return [];
  }
  const out: RelocateRunSummary[] = [];
  for (const n of names) {
    const dir = join(q, n);
    if (!existsSync(join(dir, JOURNAL_FILE))) continue;
    let records: RelocateRecord[];
    try {
      records = readJournal(dir).records as unknown as RelocateRecord[];
    } catch {
      continue; // a header never written: the run changed nothing
    }
    const head = records[0] as RelocateHeader;
    if (head.relocate === undefined || head.relocate.root !== root) continue;
    out.push({
      id: head.id,
      dir,
      state: relocateState(records),
      plan: head.relocate,
      done: [...stepsDone(records).done],
    });
  }
  return out;
}
