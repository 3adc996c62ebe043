// Steps taken up after a kill inside them (between two of their changes, not at a step boundary): the next run
// of the step finishes what the killed one left, on real dirs. The boundaries themselves are killed for real
// in test/integration/relocate*.ts.
import assert from "node:assert/strict";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { Journal, readJournal, runState } from "../repair/journal.js";
import { QUARANTINE_DIR } from "../repair/planner.js";
import { applyRelocate } from "./apply.js";
import { RelocateRun } from "./journal.js";
import { planRelocate, type RelocatePlan, type RelocateStepName } from "./plan.js";
import { stepRemove } from "./remove-step.js";
import { ext4Facts } from "./testing.js";

/** A plan for `<dir>/root` → `<dir>/new` of only `steps`, made from the root as it is on disk. */
function planIn(dir: string, steps: RelocateStepName[]): RelocatePlan {
  const root = join(dir, "root");
  const st = lstatSync(root);
  const plan = planRelocate(ext4Facts(dir, root, { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }), "R1");
  return { ...plan, steps };
}

test("promote killed after the copy's dir is gone: --resume still gives NEWDIR the root's owner, mode and times", async () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-relocate-steps-"));
  try {
    const root = join(dir, "root");
    mkdirSync(root);
    writeFileSync(join(root, "a"), "a");
    chmodSync(root, 0o751);
    utimesSync(root, 978307200.123, 978307200.123);
    const plan = planIn(dir, ["promote"]);
    // what the killed promote left: the copy's entries in NEWDIR (made 0700 by the copy step), no partial dir
    mkdirSync(plan.newDir, { mode: 0o700 });
    writeFileSync(join(plan.newDir, "a"), "a");
    const run = RelocateRun.create(plan, "R1");
    run.append({ type: "intent", step: "promote", at: "t" });
    try {
      const r = await applyRelocate(run, { fault: "" });
      assert.deepEqual(r.steps, ["promote"]);
    } finally {
      run.close();
    }
    const want = lstatSync(root, { bigint: true });
    const got = lstatSync(plan.newDir, { bigint: true });
    assert.equal((Number(got.mode) & 0o7777).toString(8), "751");
    assert.deepEqual([got.uid, got.gid], [want.uid, want.gid]);
    assert.equal(got.mtimeNs, want.mtimeNs, "the root's mtime, to the nanosecond");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("remove killed after its record's header, or while making its dir: the next run finishes the record once", () => {
  for (const cut of ["header only", "no header"] as const) {
    const dir = mkdtempSync(join(tmpdir(), "crifs-relocate-steps-"));
    try {
      mkdirSync(join(dir, "root"));
      const plan = planIn(dir, ["remove"]);
      // the old root is in the quarantine already (the step's rename was made before the kill)
      mkdirSync(dirname(plan.quarantineItem), { recursive: true });
      mkdirSync(plan.quarantineItem);
      const record = join(plan.root, QUARANTINE_DIR, "R1");
      if (cut === "header only") {
        const header = { type: "run", version: 1, id: "R1", createdAt: "t", pid: 2 ** 22 + 1 } as const;
        Journal.create(join(plan.root, QUARANTINE_DIR), {
          ...header,
          runtime: "containerd",
          root: plan.root,
          plan: {
            runtime: "containerd",
            root: plan.root,
            createdAt: "t",
            daemonUp: false,
            actions: [],
            unmended: [],
            bytes: 0,
          },
        }).close();
      } else {
        mkdirSync(record, { recursive: true });
        writeFileSync(join(record, "journal.jsonl"), "");
      }
      stepRemove(plan, "R1");
      stepRemove(plan, "R1"); // a second run of a done step adds nothing
      const { records } = readJournal(record);
      assert.deepEqual(
        records.map((r) => r.type),
        ["run", "intent", "done", "end"],
        cut,
      );
      assert.equal(runState(records), "done", cut);
      assert.deepEqual(readdirSync(dirname(plan.quarantineItem)), ["root"], cut);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("remove moves the old name into the quarantine and records it; run again it changes nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-relocate-steps-"));
  try {
    mkdirSync(join(dir, "root"));
    const plan = planIn(dir, ["remove"]);
    mkdirSync(plan.oldName);
    writeFileSync(join(plan.oldName, "a"), "a");
    const ino = lstatSync(plan.oldName).ino;
    stepRemove(plan, "R1");
    assert.equal(lstatSync(plan.quarantineItem).ino, ino, "renamed, not copied");
    stepRemove(plan, "R1"); // a second run of a done step changes nothing
    const { records } = readJournal(join(plan.root, QUARANTINE_DIR, "R1"));
    assert.deepEqual(
      records.map((r) => r.type),
      ["run", "intent", "done", "end"],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
