import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { listRelocateRuns, RelocateRun, relocateState, stepsDone } from "./journal.js";
import { planRelocate } from "./plan.js";
import { ext4Facts } from "./testing.js";

function planIn(dir: string, id: string) {
  const root = join(dir, "containerd");
  mkdirSync(root, { recursive: true });
  return planRelocate(ext4Facts(dir, root, { mode: 0o711, uid: 0, gid: 0 }), id);
}

test("a run's journal lies beside the root and says which steps are done; a dead process's run is interrupted", () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-relocate-journal-"));
  try {
    const plan = planIn(dir, "R1");
    const run = RelocateRun.create(plan, "R1");
    assert.equal(run.dir, join(dir, ".crifs-quarantine", "R1"));
    run.append({ type: "intent", step: "copy", at: "t" });
    run.append({ type: "done", step: "copy", at: "t" });
    run.append({ type: "intent", step: "verify", at: "t" });
    run.close();
    const again = RelocateRun.open(run.dir);
    const records = again.records();
    again.close();
    assert.deepEqual([...stepsDone(records).done], ["copy"]);
    // this process wrote the header: the run is not "running" to itself, and has no end
    assert.equal(relocateState(records), "interrupted");
    assert.equal(relocateState([...records, { type: "end", at: "t" }]), "finished");
    assert.equal(
      relocateState([...records, { type: "end", at: "t" }, { type: "rollback", pid: 2 ** 22 + 1, at: "t" }]),
      "interrupted",
    );
    assert.equal(relocateState([...records, { type: "rolled-back", at: "t" }]), "rolled-back");
    const runs = listRelocateRuns(plan.root);
    assert.deepEqual(
      runs.map((r) => [r.id, r.state, r.done]),
      [["R1", "interrupted", ["copy"]]],
    );
    assert.deepEqual(listRelocateRuns(join(dir, "other")), [], "another root's runs are not this one's");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
