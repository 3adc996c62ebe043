// cli/commands/repair.ts — `crifs repair`: the plan of what doctor found (changes nothing), and with --apply
// the journaled, undoable repair (src/repair). Also --undo [RUN], --purge [--older-than DUR] and --list.
// Store selection as doctor's (--runtime, --root, --host-root, …): one plan per store found.
//
// Exit codes: 0 done (or a plan printed); 1 when an action was skipped or an undo kept an item; the error
// codes of src/errors.ts otherwise (64: --apply without --yes and without a terminal to ask on).
// JSON contract: docs/json.md#repair.

import { existsSync, lstatSync, realpathSync } from "node:fs";
import { join, posix } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Finding } from "../../checks/check.js";
import { DEFAULT_GRACE_MS, type DoctorInput } from "../../checks/doctor-input.js";
import { CrifsError } from "../../errors.js";
import { fsPath } from "../../fs/name-codec.js";
import { normalPath } from "../../fs/normal-path.js";
import { socketPath } from "../../live/address.js";
import { type LogDirFlags, logDirFlags, logDirsFor } from "../../logs/log-dirs.js";
import type { SnapshotDirFact } from "../../model/doctor-facts.js";
import type { Store } from "../../model/store.js";
import type { PathIdentity, Plan } from "../../repair/action.js";
import { companionPaths } from "../../repair/actions/quarantine.js";
import { type ApiExecutor, type ApplyResult, applyPlan, type Recheck } from "../../repair/apply.js";
import { listRuns, type RunHeader, type RunSummary, readJournal, readPlan } from "../../repair/journal.js";
import { planRepairs, QUARANTINE_DIR } from "../../repair/planner.js";
import { parseDuration, purgeRuns } from "../../repair/purge.js";
import { type UndoItem, undoRun } from "../../repair/undo.js";
import { type Adapter, adapters, requireAdapter } from "../../runtimes/index.js";
import { humanBytes, render, renderTable } from "../render/format.js";
import {
  DEFAULT_TIMEOUT_MS,
  type GlobalOptions,
  liveAddress,
  loadOptions,
  noStoreFound,
  note,
} from "../stores.js";
import { doctorReport, parseGrace } from "./doctor.js";

export interface RepairFlags {
  readonly checks?: readonly string[];
  readonly graceSeconds?: number;
  readonly logDirs?: LogDirFlags;
  readonly apply?: boolean;
  readonly yes?: boolean;
  /** --undo: true for the latest run, or a run id. */
  readonly undo?: string | true;
  readonly purge?: boolean;
  readonly olderThanMs?: number;
  readonly list?: boolean;
}

function adaptersToRepair(g: GlobalOptions): Adapter[] {
  if (g.runtime !== undefined) return [requireAdapter(g.runtime)];
  const found = adapters.filter((a) => a.detect(loadOptions(g)));
  if (found.length === 0) throw noStoreFound(g);
  return found;
}

/** The quarantine of a store: `<root>/.crifs-quarantine`. */
export function quarantineOf(store: Store): string {
  return join(store.location.root, QUARANTINE_DIR);
}

/** The socket of the runtime's API when it answers now (containerd), else null. */
async function answeringSocket(g: GlobalOptions, adapter: Adapter): Promise<string | null> {
  if (adapter.readVersion === undefined) return null;
  const socket = liveAddress(g);
  if (socket === null || !existsSync(socket)) return null;
  try {
    await adapter.readVersion(socket, g.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return socket;
  } catch {
    return null;
  }
}

/** The identity of every finding's path and of the paths its action may move with it: the one the read of the
 * store saw for a snapshot dir (its listing's lstat: `listed`, which is returned with the others added), else an
 * lstat now. */
function identities(
  findings: readonly Finding[],
  listed: Map<string, PathIdentity>,
): Map<string, PathIdentity> {
  const add = (p: string) => {
    if (listed.has(p)) return;
    try {
      const st = lstatSync(fsPath(p));
      listed.set(p, { dev: st.dev, ino: st.ino, ctimeMs: st.ctimeMs });
    } catch {
      // gone: the planner says so
    }
  };
  for (const f of findings) {
    add(f.path);
    for (const c of companionPaths(f)) add(c);
  }
  return listed;
}

/** The snapshot dirs' identities as a read's listing saw them: each SnapshotDirFact that has its dev and ino is
 * one (dev, ino, ctimeMs), not copied (10^4 leaked dirs: no object each). */
function listedIdentities(input: DoctorInput | undefined): Map<string, PathIdentity> {
  const out = new Map<string, PathIdentity>();
  for (const sn of input?.snapshotters ?? [])
    for (const d of sn.dirs)
      if (d.dev !== undefined && d.ino !== undefined) out.set(d.path, d as SnapshotDirFact & PathIdentity);
  return out;
}

interface StoreRepair {
  readonly adapter: Adapter;
  readonly g: GlobalOptions;
  readonly store: Store;
  readonly quarantine: string;
}

function storesToRepair(g: GlobalOptions): StoreRepair[] {
  return adaptersToRepair(g).map((adapter) => {
    const sg: GlobalOptions = { ...g, runtime: adapter.id };
    const store = adapter.load(loadOptions(sg));
    return { adapter, g: sg, store, quarantine: quarantineOf(store) };
  });
}

/** One stderr line per interrupted run in the stores' quarantines. */
function noteInterrupted(stores: readonly StoreRepair[]): RunSummary[] {
  const open: RunSummary[] = [];
  for (const s of stores) {
    for (const r of listRuns(s.quarantine)) {
      if (r.state !== "interrupted") continue;
      open.push(r);
      note(
        `${r.dir}: repair run ${r.id} was interrupted (${r.items} item(s) moved) (hint: crifs repair --apply finishes it, crifs repair --undo reverts it)`,
      );
    }
  }
  return open;
}

/**
 * The floor of the age that lets one read of the store stand for doctor's two (runDoctor's oneReadAfterMs):
 * the grace, and at least this. A snapshot dir in flight is one containerd made (renamed into place, which
 * sets its ctime) inside a bolt transaction not yet committed; such a transaction lasts milliseconds (a few
 * fsyncs), so a dir with no record that is older than this is a leak, not in flight. With --grace below it
 * (the tests' --grace 0), a store with a younger candidate is read twice with doctor's pause.
 */
export const ONE_READ_FLOOR_MS = 10_000;

/** A store's plan and the keys (`check\0path`) of the findings it was made from. */
interface PlanOfStore {
  readonly plan: Plan;
  readonly found: ReadonlySet<string>;
}

/** The plan of one store: doctor's findings, planned. Cost: doctor's (two reads and the walks for bytes),
 * or one read when every finding is an orphan dir older than max(grace, ONE_READ_FLOOR_MS); without
 * `measure`, doctor --quick's (no walk: the actions' bytes are null, "not measured"). */
async function planStore(s: StoreRepair, flags: RepairFlags, measure = true): Promise<PlanOfStore> {
  const graceSeconds = flags.graceSeconds ?? DEFAULT_GRACE_MS / 1000;
  // the last read is the one whose findings these are (of two reads, the second's keys)
  let lastRead: DoctorInput | undefined;
  const report = await doctorReport(s.g, {
    ...(flags.checks === undefined ? {} : { checks: flags.checks }),
    ...(measure ? {} : { mode: "quick" as const }),
    graceSeconds,
    oneReadAfterMs: Math.max(graceSeconds * 1000, ONE_READ_FLOOR_MS),
    ...(flags.logDirs === undefined ? {} : { logDirs: flags.logDirs }),
    onRead: (input) => {
      lastRead = input;
    },
  });
  const logDirs = logDirsFor(flags.logDirs ?? {}, s.g);
  // under --host-root the log dirs are the node's, below it (the planner keeps every step inside them)
  const onHost = (d: string) => (logDirs.hostRoot === undefined ? d : join(logDirs.hostRoot, d));
  const findings = report.findings;
  const plan = planRepairs(findings, s.store, {
    daemonUp: (await answeringSocket(s.g, s.adapter)) !== null,
    now: Date.now(),
    graceMs: graceSeconds * 1000,
    identities: identities(findings, listedIdentities(lastRead)),
    logDirs: logDirs.applies ? [onHost(logDirs.podsDir), onHost(logDirs.containersDir)] : [],
  });
  return { plan, found: new Set(findings.map((f) => `${f.check}\u0000${f.path}`)) };
}

/** The paths every record of `store` names (a snapshot's dir and trees, a blob's file). */
function recordPaths(store: Store): string[] {
  const out: string[] = [];
  for (const sn of store.snapshots) {
    out.push(sn.dir, sn.path);
    if (sn.workPath !== null) out.push(sn.workPath);
    if (sn.lowerPath !== undefined) out.push(sn.lowerPath);
  }
  for (const b of store.blobs) out.push(b.path);
  return out;
}

/** Whether a path is a record's path, holds one, or lies in one, as lookups in two sets (a record's paths,
 * and every dir that holds one) instead of a scan of every record per action. */
function referencedBy(paths: readonly string[]): (p: string) => boolean {
  const named = new Set<string>();
  const holders = new Set<string>();
  for (const r of paths) {
    const n = posix.normalize(r).replace(/(.)\/+$/, "$1");
    named.add(n);
    for (let at = posix.dirname(n); !holders.has(at); at = posix.dirname(at)) {
      holders.add(at);
      if (at === "/" || at === ".") break;
    }
  }
  return (p) => {
    const normal = normalPath(p);
    const n = normal.endsWith("/") ? normal.replace(/(.)\/+$/, "$1") : normal;
    if (named.has(n) || holders.has(n)) return true;
    for (let at = posix.dirname(n); at !== "/" && at !== "."; at = posix.dirname(at))
      if (named.has(at)) return true;
    return false;
  };
}

/** The records' paths of a store read now: its files, and the daemon's API when it answers. */
async function referencedNow(
  s: StoreRepair,
  store: Store,
): Promise<{ isReferenced: (p: string) => boolean; daemonUp: boolean }> {
  const socket = await answeringSocket(s.g, s.adapter);
  const paths = recordPaths(store);
  if (socket !== null && s.adapter.loadLive !== undefined) {
    const live = await s.adapter.loadLive(socket, {
      root: s.g.root,
      state: s.g.state,
      config: s.g.config,
      timeoutMs: s.g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    paths.push(...recordPaths(live));
  }
  return { isReferenced: referencedBy(paths), daemonUp: socket !== null };
}

/** The applier's re-check of a store: doctor again without walks (the plan's checks), the records again (from
 * the daemon's API too when it answers). */
function recheckOf(s: StoreRepair, plan: Plan, flags: RepairFlags): () => Promise<Recheck> {
  return async () => {
    const checks = [...new Set(plan.actions.map((a) => a.check))];
    const report = await doctorReport(s.g, {
      checks,
      mode: "quick",
      // the plan's findings are already those two reads a pause apart agreed on: found again now is enough
      pauseMs: 0,
      graceSeconds: flags.graceSeconds ?? DEFAULT_GRACE_MS / 1000,
      ...(flags.logDirs === undefined ? {} : { logDirs: flags.logDirs }),
    });
    const found = new Set(report.findings.map((f) => `${f.check}\u0000${f.path}`));
    return { found, ...(await referencedNow(s, s.adapter.load(loadOptions(s.g)))) };
  };
}

/**
 * The re-check of `crifs repair --apply --yes`: the plan's own read of the store, made an instant before the
 * loop (no question was asked: no time for a person to pass), stands for doctor's re-run: `still-found` is
 * judged on the plan's findings. What a runtime could change meanwhile is proven again as always: the records
 * are loaded again (and asked of the daemon's API when it answers) for `unreferenced`, a cheap read of the
 * metadata without the listing of every dir; per action `unchanged` (one lstat: the same inode, untouched
 * since the plan: a dir a runtime takes up is renamed into place or written to, which sets its ctime) and
 * `not-mounted` (mountinfo, once per batch). Without --yes a person read the plan and time passed: the full
 * re-check (recheckOf) runs doctor's checks again.
 */
function recheckFromPlan(s: StoreRepair, planned: PlanOfStore): () => Promise<Recheck> {
  return async () => ({
    found: planned.found,
    ...(await referencedNow(s, s.adapter.load(loadOptions(s.g)))),
  });
}

/** The socket of the runtime's own API for its `api` steps: containerd's (the rules of cli/stores.ts),
 * dockerd's ($DOCKER_HOST, else /var/run/docker.sock); podman runs its own CLI and needs none. */
function apiSocket(s: StoreRepair): string | null {
  if (s.adapter.id === "docker") return socketPath(process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock");
  if (s.adapter.id === "podman" || s.adapter.id === "crio") return "";
  return liveAddress(s.g);
}

/** The adapter's API executor (Adapter.runApiRequest, checkApiRequest) bound to its socket, when it has one. */
function apiExecutor(s: StoreRepair, flags: RepairFlags): ApiExecutor | undefined {
  const { runApiRequest: run, checkApiRequest: check } = s.adapter;
  const socket = apiSocket(s);
  if (run === undefined || check === undefined || socket === null) return undefined;
  const t = s.g.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const graceMs = (flags.graceSeconds ?? DEFAULT_GRACE_MS / 1000) * 1000;
  return {
    run: (r) => run(r, socket, t),
    check: (r) => check(r, socket, t, { graceMs, now: Date.now() }),
  };
}

/** Whether two paths name the same dir (each resolved when it can be). */
function isSameDir(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p.replace(/(.)\/+$/, "$1");
    }
  };
  return real(a) === real(b);
}

/**
 * Refuses a plan with API steps when the daemon on the API's socket serves another root than the one being
 * repaired: its API would change another store's records (--address naming the containerd of another root,
 * DOCKER_HOST another dockerd). The daemon is asked which root it serves (Adapter.readServedRoot); one that
 * does not answer is left to the steps themselves (skipped: the daemon is not up). Podman's steps name --root.
 */
async function refuseOtherRoot(s: StoreRepair, plan: Plan): Promise<void> {
  const read = s.adapter.readServedRoot;
  const socket = apiSocket(s);
  if (read === undefined || socket === null || socket === "" || !existsSync(socket)) return;
  if (!plan.actions.some((a) => a.steps.some((st) => st.op === "api"))) return;
  let served: string | null;
  try {
    served = await read(socket, s.g.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  } catch {
    return; // not answering: its steps are skipped as needing the daemon up
  }
  if (served === null || isSameDir(served, plan.root)) return;
  const fix =
    s.adapter.id === "docker"
      ? `set DOCKER_HOST=unix://<the socket of the dockerd whose data-root is ${plan.root}>`
      : `pass --address <the socket of the ${s.adapter.id} that serves ${plan.root}>`;
  throw new CrifsError(
    "unsafe",
    `refusing the plan's API calls: the ${s.adapter.id} on this socket serves root ${served}, not ${plan.root}`,
    { path: socket, remedy: `${fix}, or --root ${served} to repair the store it serves` },
  );
}

/** This command line's arguments (without -o), each quoted for a shell where it needs it. */
function thisCommandArgs(): string[] {
  const args = process.argv.slice(2);
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "-o" || a === "--output") i++;
    else if (!a.startsWith("--output="))
      kept.push(/^[\w./=:,@-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  }
  return kept;
}

/** The command line that applies a plan: this one with --apply --yes (and without -o). */
function applyCommand(): string {
  const kept = thisCommandArgs();
  if (!kept.includes("repair")) kept.push("repair");
  return `crifs ${kept.join(" ")} --apply --yes`;
}

/** `crifs <this command's store flags> repair <rest>`: a follow-up command naming the same store. */
function followUp(rest: string): string {
  const kept = thisCommandArgs();
  const at = kept.indexOf("repair");
  return `crifs ${[...(at < 0 ? kept : kept.slice(0, at)), "repair", rest].join(" ")}`;
}

function planTable(plans: readonly Plan[], command: string): string {
  const out: string[] = [];
  for (const p of plans) {
    out.push(`== ${p.runtime} root ${p.root}${p.daemonUp ? " (daemon up)" : ""}\n`);
    out.push(
      p.actions.length === 0
        ? "no actions\n"
        : renderTable(
            ["seq", "kind", "subject", "path", "bytes", "daemon", "why"],
            p.actions.map((a) => [
              String(a.seq),
              a.kind,
              a.subject,
              a.path,
              a.bytes === null ? "-" : humanBytes(a.bytes),
              a.daemon,
              a.why,
            ]),
          ),
    );
    if (p.unmended.length > 0) {
      out.push("not mended:\n");
      out.push(
        renderTable(
          ["check", "subject", "path", "reason", "remedy"],
          p.unmended.map((u) => [u.check, u.subject, u.path, u.reason, u.remedy ?? ""]),
        ),
      );
    }
  }
  const n = plans.reduce((x, p) => x + p.actions.length, 0);
  const bytes = plans.reduce((x, p) => x + p.bytes, 0);
  out.push(
    n === 0
      ? "nothing to repair\n"
      : `${n} action(s), ${humanBytes(bytes)} to free; apply with: ${command}\n`,
  );
  return out.join("");
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** A run's bytes for a table: "not measured" when the plan did not measure them (never a false 0 B). */
function bytesCell(bytes: number | null): string {
  return bytes === null ? "not measured" : humanBytes(bytes);
}

/** What deleting runs freed, in words: their bytes' sum, and how many runs' bytes were not measured. */
function deletedWords(runs: readonly RunSummary[]): string {
  const unmeasured = runs.filter((r) => r.bytes === null).length;
  const sum = `${humanBytes(runs.reduce((n, r) => n + (r.bytes ?? 0), 0))} deleted`;
  if (unmeasured === 0) return sum;
  return unmeasured === runs.length
    ? "bytes not measured (applied with --yes)"
    : `${sum}, and the bytes of ${unmeasured} run(s) not measured (applied with --yes)`;
}

function runTable(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return "no repair runs\n";
  return renderTable(
    ["run", "time", "runtime", "root", "state", "items", "bytes"],
    runs.map((r) => [r.id, r.createdAt, r.runtime, r.root, r.state, String(r.items), bytesCell(r.bytes)]),
  );
}

function listRow(r: RunSummary) {
  return {
    id: r.id,
    dir: r.dir,
    createdAt: r.createdAt,
    runtime: r.runtime,
    root: r.root,
    state: r.state,
    items: r.items,
    bytes: r.bytes,
  };
}

/** `crifs repair` and its modes. */
export async function repairCommand(
  g: GlobalOptions,
  flags: RepairFlags,
): Promise<{ text: string; exitCode: number }> {
  const stores = storesToRepair(g);
  if (flags.list === true) {
    const runs = stores.flatMap((s) => listRuns(s.quarantine));
    noteInterrupted(stores);
    return {
      text: render(g.output, { runs: runs.map(listRow) }, { table: () => runTable(runs) }),
      exitCode: 0,
    };
  }
  if (flags.purge === true) {
    const purged = stores.map((s) => purgeRuns(s.quarantine, flags.olderThanMs ?? 0));
    noteInterrupted(stores);
    const data = {
      purged: purged.flatMap((p) => p.purged.map(listRow)),
      kept: purged.flatMap((p) => p.kept),
    };
    return {
      text: render(g.output, data, {
        table: () =>
          `purged ${data.purged.length} run(s), ${deletedWords(purged.flatMap((p) => p.purged))}` +
          data.kept.map((k) => `\nkept ${k.id}: ${k.reason}`).join("") +
          "\n",
      }),
      exitCode: 0,
    };
  }
  if (flags.undo !== undefined) {
    noteInterrupted(stores);
    return undoCommand(g, stores, flags.undo);
  }
  const open = noteInterrupted(stores);
  if (flags.apply !== true) {
    const plans: Plan[] = [];
    for (const s of stores) plans.push((await planStore(s, flags)).plan);
    const command = applyCommand();
    return {
      text: render(g.output, { plans, command }, { table: () => planTable(plans, command) }),
      exitCode: 0,
    };
  }
  const results: (ApplyResult & { resumed: boolean })[] = [];
  for (const s of stores) {
    const resume = open.find((r) => r.dir.startsWith(`${s.quarantine}/`));
    if (resume !== undefined) {
      note(`finishing the interrupted run ${resume.id}`);
      const resumed = readPlan(resume.dir, readJournal(resume.dir).records[0] as RunHeader);
      await refuseOtherRoot(s, resumed);
      const r = await applyPlan(planStub(s.store), {
        quarantine: s.quarantine,
        resume: resume.dir,
        recheck: recheckOf(s, resumed, flags),
        ...apiOf(s, flags),
        onSkip: (a, why) => note(`skipped ${a.seq} ${a.path}: ${why}`),
      });
      results.push({ ...r, resumed: true });
      continue;
    }
    // with --yes nobody reads the plan's bytes before the apply: no walk of every file to measure them (the
    // plan without --apply measures; so does the plan shown for the question below)
    const planned = await planStore(s, flags, flags.yes !== true);
    const plan = planned.plan;
    if (plan.actions.length === 0) continue;
    await refuseOtherRoot(s, plan); // before the question: no answer makes another store's API right
    if (flags.yes !== true) {
      if (process.stdin.isTTY !== true) {
        throw new CrifsError(
          "usage",
          `refusing to apply ${plan.actions.length} action(s) without confirmation: stdin is not a terminal`,
          {
            remedy: "review the plan (crifs repair), then pass --yes",
          },
        );
      }
      process.stderr.write(planTable([plan], applyCommand()));
      if (!(await confirm(`apply these ${plan.actions.length} action(s) to ${plan.root}? [y/N] `))) {
        throw new CrifsError("usage", "not applied: the answer was not yes", {
          remedy: "nothing was changed",
        });
      }
    }
    const r = await applyPlan(plan, {
      quarantine: s.quarantine,
      recheck: flags.yes === true ? recheckFromPlan(s, planned) : recheckOf(s, plan, flags),
      ...apiOf(s, flags),
      onSkip: (a, why) => note(`skipped ${a.seq} ${a.path}: ${why}`),
    });
    results.push({ ...r, resumed: false });
  }
  const skipped = results.reduce((n, r) => n + r.skipped.length, 0);
  return {
    text: render(
      g.output,
      { runs: results },
      {
        table: () =>
          results.length === 0
            ? "nothing to repair\n"
            : results
                .map(
                  (r) =>
                    `run ${r.runId}${r.resumed ? " (finished)" : ""}: ${r.applied} action(s) applied, ${r.bytesMeasured ? `${humanBytes(r.bytes)} quarantined (as planned)` : "bytes not measured (crifs repair without --apply measures them)"}, ${r.skipped.length} skipped` +
                    r.skipped.map((x) => `\n  skipped ${x.seq}: ${x.reason}`).join("") +
                    `\nundo with: ${followUp(`--undo ${r.runId}`)}; delete for good with: ${followUp("--purge")}\n`,
                )
                .join(""),
      },
    ),
    exitCode: skipped > 0 ? 1 : 0,
  };
}

function apiOf(s: StoreRepair, flags: RepairFlags): { api?: ApiExecutor } {
  const api = apiExecutor(s, flags);
  return api === undefined ? {} : { api };
}

/** A plan of no actions for applyPlan's first argument when it resumes (the journal's plan is used). */
function planStub(store: Store): Plan {
  return {
    runtime: store.location.runtime,
    root: store.location.root,
    createdAt: "",
    daemonUp: false,
    actions: [],
    unmended: [],
    bytes: 0,
  };
}

function undoCommand(
  g: GlobalOptions,
  stores: readonly StoreRepair[],
  which: string | true,
): { text: string; exitCode: number } {
  const runs = stores.flatMap((s) => listRuns(s.quarantine));
  const run =
    which === true
      ? runs.filter((r) => r.state !== "undone" && r.state !== "purged").at(-1)
      : runs.find((r) => r.id === which);
  if (run === undefined) {
    throw new CrifsError("not-found", which === true ? "no repair run to undo" : `no repair run "${which}"`, {
      ...(stores[0] === undefined ? {} : { path: stores[0].quarantine }),
      remedy: "crifs repair --list shows the runs",
    });
  }
  const items: UndoItem[] = undoRun(run.dir);
  const kept = items.filter((i) => i.outcome !== "restored");
  return {
    text: render(
      g.output,
      { run: run.id, items },
      {
        table: () =>
          `run ${run.id}: ${items.filter((i) => i.outcome === "restored").length} item(s) put back` +
          kept.map((i) => `\n  ${i.outcome} ${i.path}: ${i.reason ?? ""}`).join("") +
          "\n",
      },
    ),
    exitCode: kept.some((i) => i.outcome === "kept") ? 1 : 0,
  };
}

/** `crifs repair` as the command line runs it: commander's opts to flags. */
export function repairAction(
  g: GlobalOptions,
  o: Record<string, unknown>,
): Promise<{ text: string; exitCode: number }> {
  const check = o.check as string[] | undefined;
  return repairCommand(g, {
    ...(check === undefined ? {} : { checks: check.flatMap((c) => c.split(",")) }),
    graceSeconds: parseGrace(typeof o.grace === "string" ? o.grace : "60"),
    logDirs: logDirFlags(o),
    apply: o.apply === true,
    yes: o.yes === true,
    ...(o.undo === undefined ? {} : { undo: o.undo === true ? true : String(o.undo) }),
    purge: o.purge === true,
    ...(typeof o.olderThan === "string" ? { olderThanMs: parseDuration(o.olderThan) } : {}),
    list: o.list === true,
  });
}
