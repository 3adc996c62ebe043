// The rollback of a --systemd run asks what holds the root only once the units the run started are stopped
// again (the undo of `start`), and before it undoes anything on disk; a reason then stops it there, and the
// next --rollback goes on without stopping the units twice. (The units themselves are stopped and started by a
// real systemd in test/integration/relocate-systemd.ts; here the plan names none, so systemctl is not run.)
import assert from "node:assert/strict";
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { applyRelocate, rollbackRelocate } from "./apply.js";
import { RelocateRun } from "./journal.js";
import { planRelocate } from "./plan.js";
import { ext4Facts } from "./testing.js";

test("rollback of a --systemd run: the check comes after the undo of start and before the first undo on disk", async () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-relocate-rollback-"));
  try {
    const root = join(dir, "root");
    mkdirSync(root);
    writeFileSync(join(root, "a"), "a");
    const st = lstatSync(root);
    const facts = ext4Facts(dir, root, { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    const plan = planRelocate(
      { ...facts, method: "symlink", systemd: true, target: { ...facts.target, sameFilesystem: true } },
      "R1",
    );
    assert.deepEqual(plan.steps, ["stop", "rename", "switch", "start"]);
    const run = RelocateRun.create(plan, "R1");
    try {
      await applyRelocate(run, { fault: "" });
      assert.ok(lstatSync(root).isSymbolicLink());

      const seen: string[] = [];
      const onStep = (s: string) => {
        seen.push(s);
      };
      const held = async () => {
        seen.push("check");
        return ["process 7 (containerd) holds it open"];
      };
      await assert.rejects(rollbackRelocate(run, { onStep, recheck: held }), /cannot roll back: process 7/);
      assert.deepEqual(seen, ["start", "check"], "the units are stopped, then the check refuses");
      assert.ok(lstatSync(root).isSymbolicLink(), "nothing on disk was undone");

      seen.length = 0;
      const free = async () => {
        seen.push("check");
        return [];
      };
      const r = await rollbackRelocate(run, { onStep, recheck: free });
      assert.deepEqual(seen, ["check", "switch", "rename", "stop"], "start is not undone twice");
      assert.equal(r.state, "rolled-back");
      assert.ok(lstatSync(root).isDirectory() && !lstatSync(root).isSymbolicLink(), "the root is back");
    } finally {
      run.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
