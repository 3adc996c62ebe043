import assert from "node:assert/strict";
import { lstatSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../fs/testing-tree.js";
import type { Plan, PlannedAction } from "./action.js";
import { applyPlan } from "./apply.js";
import { JOURNAL_FILE, readJournal } from "./journal.js";
import { undoRun } from "./undo.js";

// The batch writes its intent and done lines by hand (apply.ts Batch): each must be, byte for byte, the line
// JSON.stringify makes of its record, whatever the path holds (a quote, a backslash, a newline, a tab, a
// control byte, a non-ASCII letter), and whether the plan measured the bytes or not.
test("the batch's intent and done lines are the JSON lines of their records, for any path", async () => {
  const root = tempDir("crifs-apply-lines-");
  const names = ['a"b', "c\\d", "e\nf", "g\th", "i\u0001j", "ünï", "plain"];
  const actions: PlannedAction[] = names.map((name, i) => {
    const path = join(root, "snapshots", name);
    mkdirSync(path, { recursive: true });
    const st = lstatSync(path);
    return {
      seq: i + 1,
      kind: "quarantine",
      check: "orphan-snapshot-dir",
      subject: `dir ${name}`,
      path,
      why: "w",
      bytes: i % 2 === 0 ? null : 4096 * i,
      daemon: "either",
      steps: [{ op: "quarantine", path }],
      guards: [
        { guard: "not-mounted", path },
        { guard: "unchanged", path, dev: st.dev, ino: st.ino, ctimeMs: st.ctimeMs },
      ],
    };
  });
  const plan: Plan = {
    runtime: "containerd",
    root,
    createdAt: "t",
    daemonUp: false,
    actions,
    unmended: [],
    bytes: 0,
  };
  const r = await applyPlan(plan, {
    quarantine: join(root, ".crifs-quarantine"),
    recheck: async () => ({ found: new Set(), isReferenced: () => false, daemonUp: false }),
  });
  assert.equal(r.applied, names.length);
  const lines = readFileSync(join(r.runDir, JOURNAL_FILE), "utf8").split("\n").slice(1, -2);
  assert.equal(lines.length, 2 * names.length);
  const keys = {
    intent: ["type", "seq", "step", "op", "path", "item", "at", "dev", "ino"],
    done: ["type", "seq", "step", "op", "path", "item", "at", "dev", "ino", "bytes"],
  };
  for (const line of lines) {
    const rec = JSON.parse(line) as Record<string, unknown>;
    assert.equal(line, JSON.stringify(rec));
    assert.deepEqual(Object.keys(rec), keys[rec.type as "intent" | "done"]);
    const a = actions[(rec.seq as number) - 1] as PlannedAction;
    assert.equal(rec.path, a.path);
    assert.equal(rec.item, join(r.runDir, "items", `${a.seq}-0`));
    if (rec.type === "done") assert.equal(rec.bytes, a.bytes);
  }
  // and the journal reads back as records that undo follows
  assert.equal(readJournal(r.runDir).records.filter((x) => x.type === "done").length, names.length);
  assert.deepEqual(
    undoRun(r.runDir).map((u) => u.outcome),
    names.map(() => "restored"),
  );
  for (const a of actions) assert.equal(lstatSync(a.path).isDirectory(), true);
});
