// relocate/remove-step.ts — relocate's last step: the old root (renamed aside by `rename-old`) moves into the
// quarantine beside it, and the move is recorded as a finished repair run in the new root's own quarantine
// (<root>/.crifs-quarantine/<run-id>/, repair's journal: header, intent, done, end), so that
// `crifs repair --list` shows it and `crifs repair --purge` deletes it.
//
// Like every relocate step it looks at the disk first and does only what is missing: a kill after the rename,
// after the record's header or in the middle of its lines leaves a state the next run of the step finishes
// (the records are appended one by one, each only if absent; a record dir without a header is crifs's own,
// made by this run, and is made again).

import { existsSync, lstatSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { Journal, type JournalRecord, readJournal, stamp, writeError } from "../repair/journal.js";
import { QUARANTINE_DIR } from "../repair/planner.js";
import type { RelocatePlan } from "./plan.js";
import { rename } from "./rename.js";

/** The records of the repair run at `dir`, or null when it has no header (not made yet, or cut short). */
function recordsOrNull(dir: string): JournalRecord[] | null {
  try {
    return readJournal(dir).records;
  } catch {
    return null;
  }
}

/** Opens the repair run recording the quarantined old root, making it (its header) when it is not whole. */
function openRecord(
  plan: RelocatePlan,
  runId: string,
  dir: string,
): { j: Journal; records: JournalRecord[] } {
  const records = recordsOrNull(dir);
  if (records !== null) return { j: Journal.open(dir), records };
  // no header: a kill while Journal.create made the dir; the dir is this run's own and holds no record
  rmSync(dir, { recursive: true, force: true });
  const j = Journal.create(dirname(dir), {
    type: "run",
    version: 1,
    id: runId,
    createdAt: stamp(),
    pid: process.pid,
    runtime: plan.runtime,
    root: plan.root,
    plan: {
      runtime: plan.runtime as "containerd",
      root: plan.root,
      createdAt: stamp(),
      daemonUp: false,
      actions: [],
      unmended: [],
      bytes: plan.bytes,
    },
  });
  return { j, records: [] };
}

/** The `remove` step of run `runId`: old name → quarantine item, then the finished repair run recording it. */
export function stepRemove(plan: RelocatePlan, runId: string): void {
  if (existsSync(plan.oldName)) {
    try {
      mkdirSync(dirname(plan.quarantineItem), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw writeError(err, dirname(plan.quarantineItem), "make the quarantine dir");
    }
    rename(plan.oldName, plan.quarantineItem, "move the old root into the quarantine");
  }
  const dir = join(plan.root, QUARANTINE_DIR, runId);
  const { j, records } = openRecord(plan, runId, dir);
  try {
    const has = (t: JournalRecord["type"]) => records.some((r) => r.type === t);
    const st = lstatSync(plan.quarantineItem);
    const ref = { seq: 0, step: 0, op: "quarantine" as const, path: plan.oldName, item: plan.quarantineItem };
    const at = stamp();
    const missing = [
      ...(has("intent") ? [] : [{ type: "intent", ...ref, at, dev: st.dev, ino: st.ino }]),
      ...(has("done") ? [] : [{ type: "done", ...ref, at, dev: st.dev, ino: st.ino, bytes: plan.bytes }]),
      ...(has("end") ? [] : [{ type: "end", at }]),
    ];
    j.appendLines(missing.map((r) => `${JSON.stringify(r)}\n`).join(""), true);
  } finally {
    j.close();
  }
}
