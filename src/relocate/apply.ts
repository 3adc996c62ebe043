// relocate/apply.ts — carries a relocate plan out, one journaled step at a time (relocate/plan.ts lists them),
// and takes a run up again: --resume goes on from the first step not done, --rollback undoes the done ones in
// reverse. Every step looks at the disk before it acts and does only what is missing, so a step whose intent
// is open (the process was killed during it) is simply run again. The old root is renamed aside only after the
// copy is verified, and leaves its name only for the quarantine; nothing crifs did not make is deleted.
//
// Fault injection for the tests (like repair's CRIFS_REPAIR_FAULT):
//   CRIFS_RELOCATE_FAULT=<step>          SIGKILL this process once <step>'s change is made, before its `done`
//   CRIFS_RELOCATE_FAULT=<step>:intent   SIGKILL it after <step>'s intent, before the change

import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CrifsError } from "../errors.js";
import { fsyncDir, stamp, writeError } from "../repair/journal.js";
import { compareTrees, copyRoot, copyTimes, leftoverStaging } from "./copy-step.js";
import { type RelocateRun, relocateState, stepsDone } from "./journal.js";
import type { RelocatePlan, RelocateStepName } from "./plan.js";
import { stepRemove } from "./remove-step.js";
import { lstatOrNull, rename } from "./rename.js";
import { applyPersist, applySwitch, isMountPoint, undoPersist, undoSwitch } from "./switch.js";

export interface StepHooks {
  /** Called before each step with its name (the CLI's progress line). */
  readonly onStep?: (step: RelocateStepName, undo: boolean) => void;
  /** CRIFS_RELOCATE_FAULT; default from the environment. */
  readonly fault?: string;
  /** Why the runtime is busy now (relocate/busy.ts), asked again once `stop` has stopped its units: a
   * reason left fails the step. A rollback asks it once the units its run started are stopped again, before
   * it undoes anything on disk. */
  readonly recheck?: () => Promise<string[]>;
}

function systemctl(verb: "stop" | "start", units: readonly string[]): void {
  if (units.length === 0) return;
  try {
    execFileSync("systemctl", [verb, ...units], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  } catch (err) {
    throw new CrifsError(
      "busy",
      `cannot systemctl ${verb} ${units.join(" ")}: ${String((err as { stderr?: unknown }).stderr ?? err).trim()}`,
      {
        remedy: `${verb} the runtime by hand, then crifs relocate --resume`,
        cause: err,
      },
    );
  }
}

/** The copy: into NEWDIR/.crifs-relocate-partial (copyTree renames it there only when whole). A killed copy's
 * staging dir is crifs's own half copy of a root that is still intact: it is removed before copying again. */
async function stepCopy(plan: RelocatePlan): Promise<void> {
  const partial = plan.partial as string;
  if (existsSync(partial)) return;
  for (const s of leftoverStaging(partial)) rmSync(s, { recursive: true, force: true });
  try {
    mkdirSync(plan.newDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw writeError(err, plan.newDir, "make the new root");
  }
  await copyRoot(plan.root, partial);
}

function stepVerify(plan: RelocatePlan): void {
  const diffs = compareTrees(plan.root, plan.partial as string, 5);
  if (diffs.length === 0) return;
  const d = diffs[0];
  throw new CrifsError(
    "corrupt",
    `cannot relocate: the copy differs from the root (${diffs.length === 5 ? "5 or more" : diffs.length} difference(s); first: "${d?.path}" ${d?.field} ${d?.left} != ${d?.right})`,
    {
      path: plan.partial as string,
      remedy:
        "the root is untouched: crifs relocate --rollback, then look at the target filesystem (it must keep xattrs, devices and times)",
    },
  );
}

/** Renames the verified copy's entries into NEWDIR and gives NEWDIR the root's owner, mode and times (to the
 * nanosecond). The owner, mode and times are set on every run of the step: a kill after the copy's emptied dir
 * is removed must not leave NEWDIR with the mode it was made with (0700) and the renames' mtime. */
function stepPromote(plan: RelocatePlan): void {
  const partial = plan.partial as string;
  if (existsSync(partial)) {
    for (const n of readdirSync(partial)) {
      if (existsSync(join(plan.newDir, n))) {
        throw new CrifsError("unsafe", `cannot move "${n}" into the new root: it is there already`, {
          path: join(plan.newDir, n),
          remedy: "NEWDIR must hold nothing but the copy: move it away, then crifs relocate --resume",
        });
      }
      rename(join(partial, n), join(plan.newDir, n), "move the copy into the new root");
    }
    rmdirSync(partial); // empty now: the copy's own root dir
  }
  try {
    chownSync(plan.newDir, plan.rootUid, plan.rootGid);
    chmodSync(plan.newDir, plan.rootMode);
    // the root is untouched until rename-old: its times are the copy's root dir's (verify compared them)
    copyTimes(plan.root, plan.newDir);
  } catch (err) {
    throw writeError(err, plan.newDir, "give the new root the old root's owner, mode and times");
  }
  fsyncDir(plan.newDir);
}

/** Same filesystem: the root itself is renamed to NEWDIR (absent or an empty dir, which rename replaces). */
function stepRename(plan: RelocatePlan): void {
  if (lstatOrNull(plan.root) === null) return; // renamed already
  rename(plan.root, plan.newDir, "rename the root to NEWDIR");
}

function stepRenameOld(plan: RelocatePlan): void {
  const st = lstatOrNull(plan.root);
  if (existsSync(plan.oldName)) return; // done
  if (st === null || !st.isDirectory())
    throw new CrifsError("corrupt", "cannot rename the old root aside: it is not there", {
      path: plan.root,
      remedy: "crifs relocate --rollback",
    });
  rename(plan.root, plan.oldName, "rename the old root aside");
}

async function forward(step: RelocateStepName, run: RelocateRun): Promise<void> {
  const plan = run.plan;
  switch (step) {
    case "stop":
      return systemctl("stop", plan.units);
    case "copy":
      return stepCopy(plan);
    case "verify":
      return stepVerify(plan);
    case "promote":
      return stepPromote(plan);
    case "rename":
      return stepRename(plan);
    case "rename-old":
      return stepRenameOld(plan);
    case "switch":
      return applySwitch(plan);
    case "persist":
      return applyPersist(plan, run.id);
    case "remove":
      return stepRemove(plan, run.id);
    case "start":
      return systemctl("start", [...plan.units].reverse());
  }
}

function faultAt(hooks: StepHooks): string | undefined {
  return hooks.fault ?? process.env.CRIFS_RELOCATE_FAULT;
}

function die(): never {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable: SIGKILL");
}

export interface RelocateResult {
  readonly run: string;
  readonly dir: string;
  readonly steps: readonly RelocateStepName[];
  readonly state: "finished" | "rolled-back";
}

/** Runs the plan's steps that are not done yet (all of them for a new run). */
export async function applyRelocate(run: RelocateRun, hooks: StepHooks = {}): Promise<RelocateResult> {
  const fault = faultAt(hooks);
  const { done } = stepsDone(run.records());
  const ran: RelocateStepName[] = [];
  for (const step of run.plan.steps) {
    if (done.has(step)) continue;
    hooks.onStep?.(step, false);
    run.append({ type: "intent", step, at: stamp() });
    if (fault === `${step}:intent`) die();
    try {
      await forward(step, run);
      if (step === "stop" && hooks.recheck !== undefined) {
        const busy = await hooks.recheck();
        if (busy.length > 0)
          throw new CrifsError("busy", `cannot relocate: ${busy[0]}`, {
            path: run.plan.root,
            remedy: "stop it, then crifs relocate --resume (or --rollback starts the units again)",
          });
      }
    } catch (err) {
      const e = err instanceof Error ? err.message : String(err);
      run.append({ type: "fail", step, error: e, at: stamp() });
      throw err;
    }
    if (fault === step) die();
    run.append({ type: "done", step, at: stamp() });
    ran.push(step);
  }
  run.append({ type: "end", at: stamp() });
  return { run: run.id, dir: run.dir, steps: ran, state: "finished" };
}

/** Undoes what a run did, newest first: the old root comes back under its name, the switch and the fstab line
 * (or unit) go. The copy in NEWDIR is left where it is (it is a copy; the report says so). */
export async function rollbackRelocate(run: RelocateRun, hooks: StepHooks = {}): Promise<RelocateResult> {
  const plan = run.plan;
  const records = run.records();
  if (relocateState(records) === "rolled-back")
    return { run: run.id, dir: run.dir, steps: [], state: "rolled-back" };
  const { done, undone } = stepsDone(records);
  // every step that may have changed something: done, or with an intent (it may have been killed midway)
  const touched = new Set(
    records.filter((r) => r.type === "intent").map((r) => (r as { step: RelocateStepName }).step),
  );
  // the old root must be there to come back: after `repair --purge` it is gone, and undoing the switch would
  // leave no store at the root at all
  const rootBack = (() => {
    const st = lstatOrNull(plan.root);
    return st?.isDirectory() === true && !isMountPoint(plan.root) && readdirSync(plan.root).length > 0;
  })();
  if (done.has("rename-old") && !existsSync(plan.oldName) && !existsSync(plan.quarantineItem) && !rootBack)
    throw new CrifsError("not-found", "cannot roll back: the old root is gone (purged from the quarantine)", {
      path: plan.quarantineItem,
      remedy: `the store lives in ${plan.newDir} and stays there; there is nothing to roll back to`,
    });
  run.append({ type: "rollback", pid: process.pid, at: stamp() });
  const ran: RelocateStepName[] = [];
  const order = [...plan.steps].reverse();
  // with --systemd the runtime the run started holds the root open until the undo of `start` stops it: the
  // check for what else holds it waits until then, and comes before the first undo that touches the disk
  let checked = hooks.recheck === undefined;
  for (const step of order) {
    if (!touched.has(step) || undone.has(step)) continue;
    const undo = undoOf(step, run);
    if (undo === null) continue;
    if (!checked && step !== "start" && step !== "stop") {
      const busy = await (hooks.recheck as () => Promise<string[]>)();
      if (busy.length > 0)
        throw new CrifsError("busy", `cannot roll back: ${busy[0]}`, {
          path: plan.root,
          remedy: "stop it, then crifs relocate --rollback again",
        });
      checked = true;
    }
    hooks.onStep?.(step, true);
    run.append({ type: "undo-intent", step, at: stamp() });
    await undo();
    run.append({ type: "undo-done", step, at: stamp() });
    ran.push(step);
  }
  run.append({ type: "rolled-back", at: stamp() });
  return { run: run.id, dir: run.dir, steps: ran, state: "rolled-back" };
}

function undoOf(step: RelocateStepName, run: RelocateRun): (() => void | Promise<void>) | null {
  const plan = run.plan;
  switch (step) {
    case "start":
      return () => systemctl("stop", plan.units);
    case "remove":
      return () => {
        if (existsSync(plan.quarantineItem) && !existsSync(plan.oldName))
          rename(plan.quarantineItem, plan.oldName, "take the old root out of the quarantine");
      };
    case "persist":
      return () => undoPersist(plan, run.id);
    case "switch":
      return () => undoSwitch(plan);
    case "rename-old":
      return () => {
        if (existsSync(plan.oldName) && lstatOrNull(plan.root) === null)
          rename(plan.oldName, plan.root, "put the old root back");
      };
    case "rename":
      return () => {
        if (lstatOrNull(plan.root) === null && existsSync(plan.newDir))
          rename(plan.newDir, plan.root, "put the root back");
      };
    case "stop":
      return () => systemctl("start", [...plan.units].reverse());
    default:
      return null; // copy, verify, promote: the root was not touched; the copy stays in NEWDIR
  }
}
