// repair/apply.ts — carries a plan out through the journal: plan → journal header → re-check → per action its
// guards; the quarantine steps of the actions whose guards held go in batches (up to 1,000 steps, or 50 ms of
// guard work; a move mountinfo shows crossing a mount alone, so that its refusal leaves one intent): the batch's intents in one append and one fsync (file and dir), then its renames, then their
// `done` records in one append. API and symlink steps, and actions a resumed run had begun, run one at a time
// (intent, fsynced → the change → done). A guard that no longer holds skips the action with the reason;
// nothing the plan did not name is touched.
//
// Re-checks: once before the loop, the caller's `recheck` reads the store again (metadata, mountinfo, and the
// daemon's API when it answers) and re-runs the checks without walks: `still-found` and `unreferenced` are
// judged on that. Per action, cheaply: `unchanged` (one lstat against the plan's dev/ino/ctime; for a one-step
// action it is its move's own, right before the rename, in C when the addon has renameBatch: rename-batch.ts)
// and `not-mounted` (mountinfo, read once per batch into a map of the dirs mounts use and
// every dir that holds one: one lookup per action). crifs does not take containerd's bolt lock (that would
// stop the daemon); the re-checks stand in for it.
//
// Resume: an interrupted run (intent without done) is taken up with `resume`: an intent without done is
// settled by looking at the disk (moved already: done; still in place: moved now, after its guards). A batch
// killed anywhere leaves only such intents: none moved (killed before the renames), some, or all (before the
// dones).
//
// Test hooks (environment):
//   CRIFS_REPAIR_FAULT=<n>       SIGKILL this process at the n-th step boundary, counting every boundary of
//                                the run: after an intent, after the change, after the done (3 per step;
//                                in a batch the intents' boundaries all fall after its one fsync, and the
//                                dones' after its one append, so the count per step is unchanged)
//   CRIFS_REPAIR_PAUSE_FILE=<p>  after the journal's header is written and before the re-check, wait until
//                                the file <p> is gone (a test changes the store in between)

import { existsSync, lstatSync, mkdirSync, realpathSync, renameSync, type Stats, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CrifsError } from "../errors.js";
import { overlayOptions, readMountinfo } from "../fs/mountinfo.js";
import { fsPath } from "../fs/name-codec.js";
import { errnoName } from "../fs/walk-tree-scan.js";
import type { ApiRequest, Guard, Plan, PlannedAction, Step } from "./action.js";
import {
  ITEMS_DIR,
  Journal,
  type JournalRecord,
  newRunId,
  type RunHeader,
  readJournal,
  readPlan,
  stamp,
  stepsOf,
  writeError,
} from "./journal.js";
import { isInside, QUARANTINE_DIR } from "./planner.js";
import { loadRenameBatch, type RenameBatch, refusalReason, renameResult } from "./rename-batch.js";

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
  /** How the batches' moves are made (guard and rename per item). Default: the addon's, else the JS engine. */
  readonly rename?: RenameBatch;
}

type IdentityGuard = Extract<Guard, { guard: "unchanged" }>;

/** The `unchanged` guard the move of a one-step quarantine action judges (right before its rename), or null. */
function deferredGuard(a: PlannedAction): IdentityGuard | null {
  const step = a.steps[0];
  if (a.steps.length !== 1 || step?.op !== "quarantine") return null;
  for (const g of a.guards) if (g.guard === "unchanged" && g.path === step.path) return g;
  return null;
}

export interface ApplyResult {
  readonly runId: string;
  readonly runDir: string;
  /** Actions whose steps all ran (in this process or before it, when resumed). */
  readonly applied: number;
  readonly skipped: readonly { readonly seq: number; readonly reason: string }[];
  /** Bytes of the applied actions as the plan measured them (0 when it measured none). */
  readonly bytes: number;
  /** Whether the plan measured the bytes of every applied action (`crifs repair --apply --yes` plans without
   * the walk: its actions' bytes are null). */
  readonly bytesMeasured: boolean;
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

/** The dirs mounts use (mount points, overlay lower/upper/work dirs, resolved), read once per batch of
 * actions (`refresh`) and kept as maps so that each action's question is a few lookups, not a scan. */
class MountUse {
  /** Each used dir and each dir that holds one → the used dir (a mount uses the key or something in it). */
  #used = new Map<string, string>();
  #points = new Set<string>();
  #read = false;
  /** Each overlay dir's resolved path, kept across refreshes: an overlay driver's l/<short> link names its
   * layer for the layer's life, and a mount new since the last read is resolved when first met. */
  readonly #real = new Map<string, string | null>();
  readonly #mountinfo: string | undefined;
  constructor(mountinfo: string | undefined) {
    this.#mountinfo = mountinfo;
  }
  #use(p: string): void {
    const d = p.length > 1 && p.endsWith("/") ? p.replace(/\/+$/, "") : p;
    for (let at = d; at.length > 0; at = at.slice(0, Math.max(at.lastIndexOf("/"), 0))) {
      if (this.#used.has(at)) break; // its holders are in already
      this.#used.set(at, d);
    }
  }
  /** Reads mountinfo again. */
  refresh(): void {
    this.#used = new Map();
    this.#points = new Set();
    for (const m of readMountinfo(this.#mountinfo)) {
      this.#use(m.mountPoint);
      this.#points.add(m.mountPoint);
      if (m.fsType !== "overlay") continue;
      const o = overlayOptions(m.superOptions);
      for (const d of [...o.lowerdir, o.upperdir, o.workdir]) {
        if (d === null || d === undefined || d === "") continue;
        this.#use(d);
        // an overlay driver's lowers are l/<short> links into the layer dirs
        let real = this.#real.get(d);
        if (real === undefined) {
          try {
            real = realpathSync(d);
          } catch {
            real = null; // gone: nothing of it to protect
          }
          if (real !== null) this.#real.set(d, real);
        }
        if (real !== null) this.#use(real);
      }
    }
    this.#read = true;
  }
  #fresh(): void {
    if (!this.#read) this.refresh();
  }
  /** The mount point `path` lies on (the longest that is it or holds it). */
  mountPointOf(path: string): string {
    this.#fresh();
    for (let at = path; at.length > 0; at = at.slice(0, Math.max(at.lastIndexOf("/"), 0)))
      if (this.#points.has(at)) return at;
    return "/";
  }
  /** A mount that uses `path` or something in it, or null. */
  user(path: string): string | null {
    this.#fresh();
    return this.#used.get(path) ?? null;
  }
}

/** The last lstat an `unchanged` guard took: the quarantine step of the same path uses it instead of a
 * second lstat (nothing else runs in between). */
const lastStat: { path: string; st: Stats | null } = { path: "", st: null };

/** lstat of `path`, the `unchanged` guard's when it just took it. */
function statForStep(path: string): Stats | null {
  if (lastStat.path === path) {
    lastStat.path = "";
    return lastStat.st;
  }
  return lstatOrNull(path);
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
      lastStat.path = g.path;
      lastStat.st = st;
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
  /** Whether a fault point is set (the batch's moves then go one at a time, a boundary after each). */
  get isArmed(): boolean {
    return this.#at !== undefined;
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
function prepareItemDir(itemsDir: string, path: string, dev: number): number {
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
  return qdev;
}

/** Most actions (steps) whose intents share one append and one fsync. */
const BATCH_STEPS = 1000;
/** Most milliseconds of guard work a batch gathers before its moves are made. */
const BATCH_MS = 50;

/**
 * The quarantine steps of a batch of actions whose guards held: `add` lstats each step's path (the `unchanged`
 * guard's lstat when it just took it) and makes its intent line; `flush` appends all the intents in one write
 * and one fsync (file and dir), then makes the moves, then appends their `done` lines in one write (lazily:
 * the disk stands in for a lost one). A kill anywhere in between leaves intents whose moves the disk shows made
 * or not: resume and undo settle each by looking (stepsOf's `open`). Parallel arrays, no object per step.
 */
class Batch {
  readonly #journal: Journal;
  readonly #faults: Faults;
  readonly #plan: Plan;
  readonly #header: RunHeader;
  readonly #mounts: MountUse;
  readonly #rename: RenameBatch;
  /** An action whose move its `unchanged` guard refused, right before the rename: skipped. */
  readonly #onRefused: (a: PlannedAction, reason: string) => void;
  /** Items dir per dir a path lies in (made and proven once), and the dev of each items dir. */
  readonly #itemsDirs = new Map<string, string>();
  readonly #itemsDev = new Map<string, number>();
  /** Per items dir, its JSON string without the closing quote (an item's quoted path is it + `/<seq>-<i>"`). */
  readonly #quotedDirs = new Map<string, string>();
  #intents = "";
  /** Each step's path and item as JSON strings, made once for its intent and its done line. */
  #qpaths: string[] = [];
  #qitems: string[] = [];
  #paths: string[] = [];
  #items: string[] = [];
  #seqs: number[] = [];
  #steps: number[] = [];
  #actions: PlannedAction[] = [];
  /** dev, ino, ctimeMs per step, what the move's guard compares (NaN ctimeMs: guarded before, not compared). */
  #ids: number[] = [];
  /** Per step of the batch, its renameBatch result once the moves ran. */
  #results: Int32Array | null = null;
  #devs: number[] = [];
  #inos: number[] = [];
  #bytes: (number | null)[] = [];
  /** How many of the batch's moves are made, and how many of those are recorded done. */
  #moved = 0;
  #recorded = 0;
  #started = 0;
  /** When the batch's first intent was made. */
  #at = "";
  /** Whether the batch holds the first move into an items dir (flushed on its own). */
  #probe = false;

  constructor(
    journal: Journal,
    faults: Faults,
    plan: Plan,
    header: RunHeader,
    options: {
      mounts: MountUse;
      rename: RenameBatch;
      onRefused: (a: PlannedAction, reason: string) => void;
    },
  ) {
    this.#journal = journal;
    this.#faults = faults;
    this.#plan = plan;
    this.#header = header;
    this.#mounts = options.mounts;
    this.#rename = options.rename;
    this.#onRefused = options.onRefused;
  }

  isEmpty(): boolean {
    return this.#paths.length === 0;
  }

  #fail(seq: number, index: number, err: CrifsError): never {
    this.flushDone();
    failStep({ journal: this.#journal, seq, index }, err);
  }

  #itemsDirOf(path: string, dev: number, seq: number, index: number): string {
    const parent = dirname(path);
    let dir = this.#itemsDirs.get(parent);
    if (dir === undefined) {
      dir = itemsDirFor(
        path,
        { root: this.#plan.root, runDir: this.#journal.dir, runId: this.#header.id },
        (p) => this.#mounts.mountPointOf(p),
      );
      this.#itemsDirs.set(parent, dir);
    }
    if (!this.#itemsDev.has(dir)) {
      // a move mountinfo shows crossing a mount (something mounted on the items dir since the run began) goes
      // alone: its rename's refusal then leaves one open intent and the fail record, not a batch of intents
      if (this.#mounts.mountPointOf(dir) !== this.#mounts.mountPointOf(dirname(path))) {
        this.flush();
        this.#probe = true;
      }
      try {
        this.#itemsDev.set(dir, prepareItemDir(dir, path, dev));
      } catch (err) {
        this.flush();
        this.#fail(seq, index, writeError(err, dir, "make the quarantine dir"));
      }
    }
    if (this.#itemsDev.get(dir) !== dev) {
      this.flush();
      this.#fail(
        seq,
        index,
        new CrifsError("unsupported", `cannot quarantine it: it lies on another filesystem than ${dir}`, {
          path,
          remedy:
            "crifs only moves within one filesystem (a rename, never a copy): remove it by hand if it must go",
        }),
      );
    }
    return dir;
  }

  /**
   * Adds an action whose guards held (every step a quarantine); true when the batch is full. `deferred`: the
   * `unchanged` guard of its one step, not yet judged: the move judges it (one lstat, right before the rename).
   */
  add(a: PlannedAction, deferred: IdentityGuard | null): boolean {
    // one time for the batch's intents (written in one append): a Date per action was 1 % of a run
    if (this.#paths.length === 0) this.#at = stamp();
    const at = this.#at;
    for (let i = 0; i < a.steps.length; i++) {
      const path = (a.steps[i] as Step & { path: string }).path;
      const st = deferred ?? statForStep(path);
      if (st === null) {
        this.flush();
        this.#fail(a.seq, i, new CrifsError("not-found", "cannot quarantine it: it is gone", { path }));
      }
      const dir = this.#itemsDirOf(path, st.dev, a.seq, i);
      const name = `${a.seq}-${i}`;
      const item = join(dir, name);
      const qpath = JSON.stringify(path);
      let qdir = this.#quotedDirs.get(dir);
      if (qdir === undefined) {
        qdir = JSON.stringify(dir).slice(0, -1);
        this.#quotedDirs.set(dir, qdir);
      }
      // the name is digits and a dash, which JSON does not escape
      const qitem = item === `${dir}/${name}` ? `${qdir}/${name}"` : JSON.stringify(item);
      if (this.#paths.length === 0) this.#started = performance.now();
      // the line JSON.stringify makes of the intent record, built without the record object: only the two
      // paths need quoting (10^4 steps: one object and one stringify less each)
      this.#intents += `{"type":"intent","seq":${a.seq},"step":${i},"op":"quarantine","path":${qpath},"item":${qitem},"at":"${at}","dev":${st.dev},"ino":${st.ino}}\n`;
      this.#qpaths.push(qpath);
      this.#qitems.push(qitem);
      this.#paths.push(path);
      this.#items.push(item);
      this.#seqs.push(a.seq);
      this.#steps.push(i);
      this.#actions.push(a);
      this.#ids.push(st.dev, st.ino, deferred === null ? Number.NaN : deferred.ctimeMs);
      this.#devs.push(st.dev);
      this.#inos.push(st.ino);
      this.#bytes.push(a.bytes);
    }
    if (this.#probe) {
      this.#probe = false;
      return true;
    }
    return this.#paths.length >= BATCH_STEPS || performance.now() - this.#started >= BATCH_MS;
  }

  /** Intents (one append, one fsync), moves, dones (one append). */
  flush(): void {
    const n = this.#paths.length;
    if (n === 0) return;
    this.#journal.appendLines(this.#intents, true);
    for (let k = 0; k < n; k++) this.#faults.boundary();
    const ids = Float64Array.from(this.#ids);
    const results = new Int32Array(n);
    this.#results = results;
    // all the moves in one call; with a fault point set, one call per move and a boundary after each
    const chunk = this.#faults.isArmed ? 1 : n;
    for (let from = 0; from < n; from += chunk) {
      const to = Math.min(from + chunk, n);
      // no fsync of the two dirs: a rename a power cut undoes leaves the item where it was, which resume
      // and undo read from the disk as "not moved" whatever the journal says
      // a name that is not UTF-8 goes as its bytes (fsPath): the addon would read its escapes as U+FFFD
      const got = this.#rename(
        this.#paths.slice(from, to).map(fsPath),
        this.#items.slice(from, to).map(fsPath),
        ids.subarray(3 * from, 3 * to),
      );
      for (let k = from; k < to; k++) {
        const r = got[k - from] as number;
        results[k] = r;
        if (r < 0) {
          const path = this.#paths[k] as string;
          const code = errnoName(r);
          const err = Object.assign(new Error(code ?? `errno ${-r}`), { code, errno: r });
          this.#fail(
            this.#seqs[k] as number,
            this.#steps[k] as number,
            writeError(err, path, "move it into the quarantine"),
          );
        }
        this.#moved = k + 1;
        // its guard refused the move: the intent stays open beside a skip record (resume skips it; undo
        // finds nothing moved)
        if (r !== renameResult.moved) this.#onRefused(this.#actions[k] as PlannedAction, refusalReason(r));
        this.#faults.boundary();
      }
    }
    this.flushDone();
    for (let k = 0; k < n; k++) this.#faults.boundary();
    this.#intents = "";
    this.#qpaths = [];
    this.#qitems = [];
    this.#paths = [];
    this.#items = [];
    this.#seqs = [];
    this.#steps = [];
    this.#actions = [];
    this.#ids = [];
    this.#results = null;
    this.#devs = [];
    this.#inos = [];
    this.#bytes = [];
    this.#moved = 0;
    this.#recorded = 0;
  }

  /** The `done` lines of the moves made and not yet recorded, in one append (no fsync). */
  flushDone(): void {
    if (this.#recorded >= this.#moved) return;
    const at = stamp();
    let lines = "";
    for (let k = this.#recorded; k < this.#moved; k++) {
      if (this.#results !== null && this.#results[k] !== renameResult.moved) continue;
      // the line JSON.stringify makes of the done record (as the intent's, in add)
      lines += `{"type":"done","seq":${this.#seqs[k]},"step":${this.#steps[k]},"op":"quarantine","path":${this.#qpaths[k]},"item":${this.#qitems[k]},"at":"${at}","dev":${this.#devs[k]},"ino":${this.#inos[k]},"bytes":${this.#bytes[k] ?? null}}\n`;
    }
    this.#recorded = this.#moved;
    if (lines !== "") this.#journal.appendLines(lines, false);
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
    plan = readPlan(options.resume, header);
    journal = Journal.open(options.resume);
    journal.append({ type: "resume", at: stamp(), pid: process.pid });
  } else {
    header = {
      type: "run",
      version: 2,
      id: newRunId(),
      createdAt: stamp(),
      pid: process.pid,
      runtime: plan.runtime,
      root: plan.root,
    };
    journal = Journal.create(options.quarantine, header, plan);
  }
  try {
    const pause = options.pauseFile ?? process.env.CRIFS_REPAIR_PAUSE_FILE;
    if (pause !== undefined && pause !== "") await waitForRemoval(pause);
    const recheck = options.recheck === undefined ? null : await options.recheck();
    const mounts = new MountUse(options.mountinfoPath);
    const { done, open } = stepsOf(prior);
    const doneKeys = new Set(done.map((r) => `${r.seq}.${r.step}`));
    const touched = new Set([...done, ...open].map((r) => r.seq));
    const skippedBefore = new Map(
      prior.flatMap((r) => (r.type === "skip" ? [[r.seq, r.reason] as const] : [])),
    );
    const skipped: { seq: number; reason: string }[] = [];
    let applied = 0;
    let bytes = 0;
    let unmeasured = 0;
    let mountsStale = true;
    const skip = (a: PlannedAction, reason: string) => {
      // lazily: a skip lost to a power cut is judged again by the next --apply
      journal.appendLazily({ type: "skip", seq: a.seq, at: stamp(), reason });
      skipped.push({ seq: a.seq, reason });
      options.onSkip?.(a, reason);
    };
    const batch = new Batch(journal, faults, plan, header, {
      mounts,
      rename: options.rename ?? loadRenameBatch(),
      onRefused: (a, reason) => {
        // counted applied when it joined the batch
        applied--;
        bytes -= a.bytes ?? 0;
        if (a.bytes === null) unmeasured--;
        skip(a, reason);
      },
    });
    try {
      for (const a of plan.actions) {
        const before = skippedBefore.get(a.seq);
        if (before !== undefined) {
          skipped.push({ seq: a.seq, reason: before });
          continue;
        }
        if (batch.isEmpty() && mountsStale) {
          mounts.refresh(); // one mountinfo read per batch
          mountsStale = false;
        }
        if (!touched.has(a.seq) && a.steps.every((st) => st.op === "quarantine")) {
          // the usual action: its guards now (`unchanged` of a one-step action with its move), its intents
          // with the batch's, its moves after them
          const deferred = deferredGuard(a);
          const reason = actionBlocked(a, plan, recheck, mounts, deferred);
          if (reason !== null) {
            skip(a, reason);
            continue;
          }
          if (batch.add(a, deferred)) {
            batch.flush();
            mountsStale = true;
          }
          applied++;
          bytes += a.bytes ?? 0;
          if (a.bytes === null) unmeasured++;
          continue;
        }
        batch.flush(); // an API call or a resumed action runs on its own, after what the batch holds
        mountsStale = true;
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
            skip(a, reason);
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
          skip(a, apiSkip);
          continue;
        }
        applied++;
        bytes += a.bytes ?? 0;
        if (a.bytes === null) unmeasured++;
      }
      batch.flush();
    } finally {
      batch.flushDone(); // a move that failed midway: the moves before it are recorded done first
    }
    journal.append({ type: "end", at: stamp() });
    skipped.sort((x, y) => x.seq - y.seq); // plan order (a move's own guard refuses it when its batch runs)
    return {
      runId: header.id,
      runDir: journal.dir,
      applied,
      skipped,
      bytes,
      bytesMeasured: unmeasured === 0,
    };
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
  deferred: IdentityGuard | null = null,
): string | null {
  lastStat.path = ""; // only this action's guards' lstat may stand in for its steps'
  if (a.daemon !== "either") {
    const up = recheck?.daemonUp ?? plan.daemonUp;
    if (a.daemon === "up" && !up) {
      const call = a.steps.find((s) => s.op === "api");
      return `needs ${plan.runtime} up${call?.op === "api" ? `: run ${call.call}` : ""}`;
    }
    if (a.daemon === "down" && up) return `needs ${plan.runtime} stopped`;
  }
  for (const g of a.guards) {
    if (g === deferred) continue; // judged by the move itself
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

function failStep(
  ctx: { readonly journal: Journal; readonly seq: number; readonly index: number },
  err: CrifsError,
): never {
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
