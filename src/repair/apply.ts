// repair/apply.ts — carries a plan out through the journal: plan → journal header → re-check → per action its
// guards, then per step intent (fsynced) → the change → done. A guard that no longer holds skips the action
// with the reason; nothing the plan did not name is touched.
//
// Re-checks: once before the loop, the caller's `recheck` reads the store again (metadata, mountinfo, and the
// daemon's API when it answers) and re-runs the checks without walks: `still-found` and `unreferenced` are
// judged on that. Per action, cheaply: `unchanged` (an lstat against the plan's dev/ino/ctime) and
// `not-mounted` (mountinfo, read again at most every 100 ms). crifs does not take containerd's bolt lock (that
// would stop the daemon); the re-checks stand in for it.
//
// Resume: an interrupted run (intent without end) is taken up with `resume`: an intent without done is
// settled by looking at the disk (moved already: done; still in place: moved now, after its guards).
//
// Test hooks (environment):
//   CRIFS_REPAIR_FAULT=<n>       SIGKILL this process at the n-th step boundary, counting every boundary of
//                                the run: after an intent, after the change, after the done (3 per step)
//   CRIFS_REPAIR_PAUSE_FILE=<p>  after the journal's header is written and before the re-check, wait until
//                                the file <p> is gone (a test changes the store in between)

import { existsSync, lstatSync, mkdirSync, realpathSync, renameSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CrifsError } from "../errors.js";
import { overlayOptions, readMountinfo } from "../fs/mountinfo.js";
import { fsPath } from "../fs/name-codec.js";
import type { ApiRequest, Guard, Plan, PlannedAction, Step } from "./action.js";
import {
  ITEMS_DIR,
  Journal,
  type JournalRecord,
  newRunId,
  type RunHeader,
  readJournal,
  stamp,
  stepsOf,
  writeError,
} from "./journal.js";
import { isInside, QUARANTINE_DIR } from "./planner.js";

/** What the store looks like now, read again just before the loop. */
export interface Recheck {
  /** `${check}\0${path}` of every finding the checks make now (no walks). */
  readonly found: ReadonlySet<string>;
  /** Whether a record of the store read now names `path`, something in it, or something it lies in. */
  isReferenced(path: string): boolean;
  /** Whether the daemon answered on its socket now. */
  readonly daemonUp: boolean;
}

/** The runtime's API, for `api` steps (supplied by the runtime's adapter when it has one). */
export interface ApiExecutor {
  /** Proves again through the API that the call is still safe: null, or the reason to skip. */
  check(request: ApiRequest): Promise<string | null>;
  run(request: ApiRequest): Promise<void>;
}

export interface ApplyOptions {
  /** The quarantine of the store: `<root>/.crifs-quarantine`. */
  readonly quarantine: string;
  /** Reads the store again; absent: still-found and unreferenced guards cannot be proven, and their actions
   * are skipped. */
  readonly recheck?: () => Promise<Recheck>;
  readonly api?: ApiExecutor;
  /** Default /proc/self/mountinfo. */
  readonly mountinfoPath?: string;
  /** The run dir of an interrupted run to finish (its plan is the header's). */
  readonly resume?: string;
  /** Fault point (CRIFS_REPAIR_FAULT); default from the environment. */
  readonly faultAt?: number;
  /** Pause file (CRIFS_REPAIR_PAUSE_FILE); default from the environment. */
  readonly pauseFile?: string;
  /** One line per skipped action, as it happens. Default: nothing. */
  readonly onSkip?: (a: PlannedAction, reason: string) => void;
}

export interface ApplyResult {
  readonly runId: string;
  readonly runDir: string;
  /** Actions whose steps all ran (in this process or before it, when resumed). */
  readonly applied: number;
  readonly skipped: readonly { readonly seq: number; readonly reason: string }[];
  /** Bytes of the applied actions as the plan measured them. */
  readonly bytes: number;
}

/**
 * Where a quarantined item of `path` goes: the run's items/ for what lies under the root, else a quarantine
 * beside the dir it lies in (kubelet's log dirs: `/var/log/.crifs-quarantine/<run>/items`). A rename cannot
 * cross a mount, even of the same filesystem (c/storage bind-mounts its driver home onto itself): when the
 * path lies on another mount than that place, the quarantine is at the top of the path's own mount
 * (`<mount point>/.crifs-quarantine/<run>/items`), which the overlay drivers' readers leave out of the layers.
 * `mountPointOf` gives the mount point a path lies on.
 */
export function itemsDirFor(
  path: string,
  where: { readonly root: string; readonly runDir: string; readonly runId: string },
  mountPointOf: (p: string) => string,
): string {
  const usual = isInside(path, where.root)
    ? join(where.runDir, ITEMS_DIR)
    : join(dirname(dirname(path)), QUARANTINE_DIR, where.runId, ITEMS_DIR);
  const own = mountPointOf(dirname(path));
  const usualBase = isInside(path, where.root) ? where.root : dirname(dirname(path));
  if (mountPointOf(usualBase) === own) return usual;
  return join(own, QUARANTINE_DIR, where.runId, ITEMS_DIR);
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(fsPath(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw writeError(err, path, "look at it");
  }
}

/** The dirs mounts use (mount points, overlay lower/upper/work dirs, resolved), read again at most every
 * 100 ms. */
class MountUse {
  #at = 0;
  #paths: string[] = [];
  #mountPoints: string[] = [];
  readonly #mountinfo: string | undefined;
  constructor(mountinfo: string | undefined) {
    this.#mountinfo = mountinfo;
  }
  #read(): string[] {
    if (Date.now() - this.#at < 100) return this.#paths;
    const out: string[] = [];
    const points: string[] = [];
    for (const m of readMountinfo(this.#mountinfo)) {
      out.push(m.mountPoint);
      points.push(m.mountPoint);
      if (m.fsType !== "overlay") continue;
      const o = overlayOptions(m.superOptions);
      for (const d of [...o.lowerdir, o.upperdir, o.workdir]) {
        if (d === null || d === undefined || d === "") continue;
        out.push(d);
        try {
          out.push(realpathSync(d)); // an overlay driver's lowers are l/<short> links into the layer dirs
        } catch {
          // gone: nothing of it to protect
        }
      }
    }
    this.#at = Date.now();
    this.#paths = out;
    this.#mountPoints = points;
    return out;
  }
  #points(): string[] {
    this.#read();
    return this.#mountPoints;
  }
  /** The mount point `path` lies on (the longest that is it or holds it). */
  mountPointOf(path: string): string {
    let best = "/";
    for (const m of this.#points()) if ((m === path || isInside(path, m)) && m.length > best.length) best = m;
    return best;
  }
  /** A mount that uses `path` or something in it, or null. */
  user(path: string): string | null {
    return this.#read().find((p) => p === path || isInside(p, path)) ?? null;
  }
}

/** The reason a guard fails now, or null when it holds. */
function guardFails(g: Guard, recheck: Recheck | null, mounts: MountUse): string | null {
  switch (g.guard) {
    case "still-found":
      if (recheck === null) return "it could not be proven still found (the store was not read again)";
      return recheck.found.has(`${g.check}\u0000${g.path}`) ? null : `${g.check} no longer finds it`;
    case "not-mounted": {
      const m = mounts.user(g.path);
      return m === null ? null : `a mount uses it now (${m})`;
    }
    case "unchanged": {
      const st = lstatOrNull(g.path);
      if (st === null) return "it is gone";
      if (st.dev !== g.dev || st.ino !== g.ino) return "another file stands at its path now";
      return st.ctimeMs === g.ctimeMs ? null : "it changed since the plan was made";
    }
    case "unreferenced":
      if (recheck === null) return "it could not be proven unreferenced (the store was not read again)";
      return recheck.isReferenced(g.path) ? "a record names it now" : null;
  }
}

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  return v === undefined || !/^\d+$/.test(v) ? undefined : Number(v);
}

/** Counts step boundaries and dies at the fault point (CRIFS_REPAIR_FAULT). */
class Faults {
  #n = 0;
  readonly #at: number | undefined;
  constructor(at: number | undefined) {
    this.#at = at;
  }
  boundary(): void {
    this.#n++;
    if (this.#n === this.#at) process.kill(process.pid, "SIGKILL");
  }
}

async function waitForRemoval(path: string): Promise<void> {
  while (existsSync(path)) await sleep(50);
}

/** Makes the item's dir (a log item's quarantine beside its dir) and proves it is on the item's filesystem. */
function prepareItemDir(itemsDir: string, path: string, dev: number): void {
  try {
    mkdirSync(itemsDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw writeError(err, itemsDir, "make the quarantine dir");
  }
  const qdev = lstatSync(itemsDir).dev;
  if (qdev !== dev) {
    throw new CrifsError(
      "unsupported",
      `cannot quarantine it: it lies on another filesystem than ${itemsDir}`,
      {
        path,
        remedy:
          "crifs only moves within one filesystem (a rename, never a copy): remove it by hand if it must go",
      },
    );
  }
}

/** Carries out `plan` (or finishes the interrupted run `options.resume`). Throws a one-line CrifsError when
 * the filesystem refuses a change (read-only, full, another filesystem); the journal then holds the intent
 * and a `fail` record, and `crifs repair --apply` or `--undo` settles it. */
export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const faults = new Faults(options.faultAt ?? envNumber("CRIFS_REPAIR_FAULT"));
  let journal: Journal;
  let prior: JournalRecord[] = [];
  let header: RunHeader;
  if (options.resume !== undefined) {
    prior = readJournal(options.resume).records;
    header = prior[0] as RunHeader;
    plan = header.plan;
    journal = Journal.open(options.resume);
    journal.append({ type: "resume", at: stamp(), pid: process.pid });
  } else {
    header = {
      type: "run",
      version: 1,
      id: newRunId(),
      createdAt: stamp(),
      pid: process.pid,
      runtime: plan.runtime,
      root: plan.root,
      plan,
    };
    journal = Journal.create(options.quarantine, header);
  }
  try {
    const pause = options.pauseFile ?? process.env.CRIFS_REPAIR_PAUSE_FILE;
    if (pause !== undefined && pause !== "") await waitForRemoval(pause);
    const recheck = options.recheck === undefined ? null : await options.recheck();
    const mounts = new MountUse(options.mountinfoPath);
    const { done, open } = stepsOf(prior);
    const doneKeys = new Set(done.map((r) => `${r.seq}.${r.step}`));
    const skippedBefore = new Map(
      prior.flatMap((r) => (r.type === "skip" ? [[r.seq, r.reason] as const] : [])),
    );
    const skipped: { seq: number; reason: string }[] = [];
    let applied = 0;
    let bytes = 0;
    for (const a of plan.actions) {
      const before = skippedBefore.get(a.seq);
      if (before !== undefined) {
        skipped.push({ seq: a.seq, reason: before });
        continue;
      }
      // begun before a kill: a step done, or an intent whose move the disk shows (its item is there)
      const started = a.steps.some(
        (_, i) =>
          doneKeys.has(`${a.seq}.${i}`) ||
          open.some(
            (r) => r.seq === a.seq && r.step === i && r.item !== null && lstatOrNull(r.item) !== null,
          ),
      );
      if (!started) {
        const reason = actionBlocked(a, plan, recheck, mounts);
        if (reason !== null) {
          journal.append({ type: "skip", seq: a.seq, at: stamp(), reason });
          skipped.push({ seq: a.seq, reason });
          options.onSkip?.(a, reason);
          continue;
        }
      }
      let apiSkip: string | null = null;
      for (const [i, step] of a.steps.entries()) {
        if (doneKeys.has(`${a.seq}.${i}`)) continue;
        const intent = open.find((r) => r.seq === a.seq && r.step === i);
        const ctx = { journal, faults, plan, header, mounts, seq: a.seq, index: i, bytes: a.bytes };
        if (step.op === "api") {
          apiSkip = await runApiStep(step, ctx, options.api);
          if (apiSkip !== null) break;
        } else runFileStep(step, ctx, intent);
      }
      if (apiSkip !== null) {
        journal.append({ type: "skip", seq: a.seq, at: stamp(), reason: apiSkip });
        skipped.push({ seq: a.seq, reason: apiSkip });
        options.onSkip?.(a, apiSkip);
        continue;
      }
      applied++;
      bytes += a.bytes ?? 0;
    }
    journal.append({ type: "end", at: stamp() });
    return { runId: header.id, runDir: journal.dir, applied, skipped, bytes };
  } finally {
    journal.close();
  }
}

/** Why an action may not run now: a guard that fails, or a daemon it needs that is down. */
function actionBlocked(
  a: PlannedAction,
  plan: Plan,
  recheck: Recheck | null,
  mounts: MountUse,
): string | null {
  if (a.daemon !== "either") {
    const up = recheck?.daemonUp ?? plan.daemonUp;
    if (a.daemon === "up" && !up) {
      const call = a.steps.find((s) => s.op === "api");
      return `needs ${plan.runtime} up${call?.op === "api" ? `: run ${call.call}` : ""}`;
    }
    if (a.daemon === "down" && up) return `needs ${plan.runtime} stopped`;
  }
  for (const g of a.guards) {
    const why = guardFails(g, recheck, mounts);
    if (why !== null) return why;
  }
  return null;
}

interface StepContext {
  readonly journal: Journal;
  readonly mounts: MountUse;
  readonly faults: Faults;
  readonly plan: Plan;
  readonly header: RunHeader;
  readonly seq: number;
  readonly index: number;
  readonly bytes: number | null;
}

function failStep(ctx: StepContext, err: CrifsError): never {
  try {
    ctx.journal.append({ type: "fail", seq: ctx.seq, step: ctx.index, at: stamp(), error: err.oneLine() });
  } catch {
    // the journal's filesystem refuses too: the intent without done says the same on resume
  }
  throw err;
}

/** A quarantine or symlink step: intent, change, done (an open intent is settled by the disk first). */
function runFileStep(
  step: Extract<Step, { op: "quarantine" | "symlink" }>,
  ctx: StepContext,
  intent: Extract<JournalRecord, { type: "intent" }> | undefined,
): void {
  const { journal, faults } = ctx;
  const itemsDir = itemsDirFor(
    step.path,
    { root: ctx.plan.root, runDir: journal.dir, runId: ctx.header.id },
    (p) => ctx.mounts.mountPointOf(p),
  );
  const item = intent?.item ?? join(itemsDir, `${ctx.seq}-${ctx.index}`);
  const ref = { seq: ctx.seq, step: ctx.index, op: step.op, path: step.path, item };
  const st = lstatOrNull(step.path);
  if (intent !== undefined) {
    // killed between intent and done: the disk says whether the change was made
    const moved = lstatOrNull(item);
    const made =
      step.op === "quarantine"
        ? moved !== null && st === null && (intent.ino === null || moved.ino === intent.ino)
        : st?.isSymbolicLink() === true;
    if (made) {
      const s = step.op === "quarantine" ? moved : st;
      journal.append({
        type: "done",
        ...ref,
        at: stamp(),
        dev: s?.dev ?? null,
        ino: s?.ino ?? null,
        bytes: ctx.bytes,
      });
      return;
    }
  }
  if (step.op === "quarantine") {
    if (st === null)
      failStep(ctx, new CrifsError("not-found", "cannot quarantine it: it is gone", { path: step.path }));
    try {
      prepareItemDir(itemsDir, step.path, st.dev);
    } catch (err) {
      failStep(ctx, writeError(err, itemsDir, "make the quarantine dir"));
    }
    journal.appendIntent({ type: "intent", ...ref, at: stamp(), dev: st.dev, ino: st.ino });
    faults.boundary();
    try {
      // no fsync of the two dirs: a rename a power cut undoes leaves the item where it was, which resume and
      // undo read from the disk as "not moved" whatever the journal says
      renameSync(fsPath(step.path), item);
    } catch (err) {
      failStep(ctx, writeError(err, step.path, "move it into the quarantine"));
    }
    faults.boundary();
    journal.appendLazily({ type: "done", ...ref, at: stamp(), dev: st.dev, ino: st.ino, bytes: ctx.bytes });
    faults.boundary();
    return;
  }
  journal.appendIntent({ type: "intent", ...ref, at: stamp(), dev: null, ino: null });
  faults.boundary();
  try {
    symlinkSync(step.target, fsPath(step.path));
  } catch (err) {
    failStep(ctx, writeError(err, step.path, "create the link"));
  }
  faults.boundary();
  const made = lstatSync(fsPath(step.path));
  journal.appendLazily({ type: "done", ...ref, at: stamp(), dev: made.dev, ino: made.ino, bytes: 0 });
  faults.boundary();
}

/** An API step: re-proved through the API, then called; null, or the reason it was skipped. */
async function runApiStep(
  step: Extract<Step, { op: "api" }>,
  ctx: StepContext,
  api: ApiExecutor | undefined,
): Promise<string | null> {
  if (api === undefined) return `crifs cannot call ${ctx.plan.runtime}'s API here: run ${step.call}`;
  const why = await api.check(step.request);
  if (why !== null) return why;
  const ref = { seq: ctx.seq, step: ctx.index, op: step.op, path: "", item: null };
  ctx.journal.appendIntent({ type: "intent", ...ref, at: stamp(), dev: null, ino: null });
  ctx.faults.boundary();
  try {
    await api.run(step.request);
  } catch (err) {
    failStep(
      ctx,
      err instanceof CrifsError
        ? err
        : new CrifsError("busy", `cannot ${step.call}: ${(err as Error).message}`, {
            remedy: "run it by hand",
          }),
    );
  }
  ctx.faults.boundary();
  ctx.journal.append({ type: "done", ...ref, at: stamp(), dev: null, ino: null, bytes: 0 });
  ctx.faults.boundary();
  return null;
}
