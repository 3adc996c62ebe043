// cli/commands/relocate.ts — `crifs relocate NEWDIR`: moves a store's root (containerd's root, c/storage's
// graphroot, Docker's data-root) to NEWDIR, copied by the one tree copier, verified, switched by a bind mount
// or a symlink (src/relocate). Without --apply it prints the plan and changes nothing (its probes make and
// remove a temp dir on the target). --resume finishes an interrupted run, --rollback undoes a run.
// Store selection: --runtime (needed when several stores are found), --root, --state, --config.
//
// Exit codes: 0 done (or an appliable plan printed); 1 a plan with problems; the codes of src/errors.ts
// otherwise (75 busy: the runtime runs or a run is open). JSON contract: docs/json.md#relocate.

import { lstatSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { CrifsError } from "../../errors.js";
import { scanTrees } from "../../fs/walk.js";
import { socketPath } from "../../live/address.js";
import type { Store } from "../../model/store.js";
import { applyRelocate, type RelocateResult, rollbackRelocate } from "../../relocate/apply.js";
import { busyReasons, knownUnits, processesUsing, stopHint } from "../../relocate/busy.js";
import { listRelocateRuns, RelocateRun, type RelocateRunSummary } from "../../relocate/journal.js";
import { resolveNewDir } from "../../relocate/new-dir.js";
import { planRelocate, type RelocateMethod, type RelocatePlan } from "../../relocate/plan.js";
import { probeTarget } from "../../relocate/probe.js";
import { newRunId } from "../../repair/journal.js";
import { type Adapter, adapters, requireAdapter } from "../../runtimes/index.js";
import { humanBytes, render } from "../render/format.js";
import { terminalSafe } from "../render/terminal-safe.js";
import { DEFAULT_TIMEOUT_MS, type GlobalOptions, loadOptions, noStoreFound, note } from "../stores.js";

export interface RelocateFlags {
  readonly method: RelocateMethod;
  readonly apply: boolean;
  readonly resume: boolean;
  readonly rollback: boolean;
  readonly keepOld: boolean;
  readonly systemd: boolean;
  /** Where the bind's line goes. Default /etc/fstab. */
  readonly fstab: string;
  /** --docker-host, for the busy check of a Docker data-root. */
  readonly dockerHost?: string;
}

function pickAdapter(g: GlobalOptions): Adapter {
  if (g.runtime !== undefined)
    return requireAdapter(g.runtime === "containers-storage" ? "podman" : g.runtime);
  const found = adapters.filter((a) => a.detect(loadOptions(g)));
  if (found.length === 0) throw noStoreFound(g);
  if (found.length > 1)
    throw new CrifsError(
      "usage",
      `cannot tell which store to relocate: found ${found.map((a) => a.id).join(", ")}`,
      {
        remedy: "pass --runtime containerd, --runtime containers-storage or --runtime docker",
      },
    );
  return found[0] as Adapter;
}

/** The root a run is about when the store may not load (it is mid-move): --root, else the store's, else the
 * runtime's default. */
function rootOf(adapter: Adapter, g: GlobalOptions): string {
  if (g.root !== undefined) return resolve(g.root);
  try {
    return adapter.load(loadOptions(g)).location.root;
  } catch {
    return adapter.defaultRoot;
  }
}

function checkRoot(root: string): { mode: number; uid: number; gid: number } {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(root);
  } catch {
    throw new CrifsError("not-found", "cannot relocate the root: it does not exist", {
      path: root,
      remedy: "pass --root (and --runtime) for the store to move",
    });
  }
  if (st.isSymbolicLink())
    throw new CrifsError(
      "unsupported",
      `cannot relocate the root: it is a symlink to ${realpathSync(root)}`,
      {
        path: root,
        remedy: "it was moved already; relocate moves a real directory",
      },
    );
  if (!st.isDirectory())
    throw new CrifsError("usage", "cannot relocate the root: it is not a directory", { path: root });
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

function leftAlone(store: Store): string[] {
  const out: string[] = [];
  const loc = store.location;
  if (loc.state !== null)
    out.push(`${loc.state}: the state dir (under /run: a tmpfs, made again at boot) stays`);
  if (loc.configPath !== null)
    out.push(
      `${loc.configPath}: the config is not changed: it names ${loc.root} still, which the switch keeps valid`,
    );
  return out;
}

async function makePlan(
  adapter: Adapter,
  g: GlobalOptions,
  newDirArg: string,
  flags: RelocateFlags,
): Promise<RelocatePlan> {
  // an open run first: mid-move, the root may not be there to load
  const open = listRelocateRuns(rootOf(adapter, g)).find(
    (r) => r.state === "interrupted" || r.state === "running",
  );
  if (open !== undefined)
    throw new CrifsError("busy", `cannot plan a relocation: run ${open.id} is ${open.state}`, {
      path: open.dir,
      remedy: "crifs relocate --resume finishes it, crifs relocate --rollback undoes it",
    });
  const store = adapter.load(loadOptions(g));
  const root = store.location.root;
  const rootSt = checkRoot(root);
  const newDir = resolveNewDir(root, newDirArg);
  const scan = await scanTrees([{ id: "root", path: root }], { cacheDir: null });
  const target = probeTarget(newDir, root);
  const busy = await busyReasons(adapter, store, {
    timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    socket: adapter.readVersion === undefined ? null : socketOf(adapter, g),
    ...(flags.dockerHost === undefined ? {} : { dockerHost: flags.dockerHost }),
  });
  return planRelocate(
    {
      runtime: store.location.runtime,
      root,
      rootMode: rootSt.mode,
      rootUid: rootSt.uid,
      rootGid: rootSt.gid,
      newDir,
      method: flags.method,
      keepOld: flags.keepOld,
      systemd: flags.systemd,
      fstab: flags.fstab,
      bytes: scan.total.allocatedBytes,
      inodes: scan.total.inodes,
      target,
      leftAlone: leftAlone(store),
      // with --systemd the units are stopped first and everything is checked again after
      busy: flags.systemd ? [] : busy,
      // only the units systemd has loaded: --systemd cannot stop or start one it does not know
      units: knownUnits(store.location.runtime),
    },
    newRunId(),
  );
}

/** The runtime's socket for the busy check: --address, else the one its config names (also with --root). */
function socketOf(adapter: Adapter, g: GlobalOptions): string | null {
  if (g.address !== undefined) return socketPath(g.address);
  return adapter.configuredSocket?.(loadOptions(g)) ?? null;
}

function planText(p: RelocatePlan): string {
  const lines: string[] = [
    `relocate ${p.runtime} root ${p.root} -> ${p.newDir} (${p.method}${p.target.sameFilesystem ? ", same filesystem: a rename" : ""})`,
    `  moves: ${humanBytes(p.bytes)} in ${p.inodes} inodes`,
    `  target: ${p.target.dir} (${p.target.fsType}): ${humanBytes(p.target.freeBytes)} and ${p.target.freeInodes} inodes free; trusted xattrs ${yesNo(p.target.trustedXattrs)}, overlay upper dir ${yesNo(p.target.overlayUpper)}`,
    ...p.target.notes.map((n) => `  probe: ${n}`),
    ...p.leftAlone.map((l) => `  left alone: ${l}`),
    `  steps: ${p.steps.join(", ")}`,
    `  old root: renamed to ${p.oldName}${p.steps.includes("remove") ? `, then moved into ${p.quarantineItem} (crifs repair --purge deletes it)` : p.target.sameFilesystem ? "" : ", kept (--keep-old)"}`,
  ].map((l) => terminalSafe(l));
  // the switch is text to copy as it is (an fstab line's \040, a unit name's \x2d): its backslashes are its
  // own escapes and stay single; a control byte or a bidi mark is still escaped
  const copyable = (l: string) => terminalSafe(l, { keepBackslash: true });
  lines.push(
    copyable(
      `  switch: ${p.method === "bind" ? (p.unitPath !== null ? `unit ${p.unitPath}:` : `line in ${p.fstab}:`) : ""}`,
    ),
    ...p.switchText
      .trimEnd()
      .split("\n")
      .map((l) => copyable(`    ${l}`)),
    ...[...p.warnings.map((w) => `  warning: ${w}`), ...p.problems.map((x) => `  cannot apply: ${x}`)].map(
      (l) => terminalSafe(l),
    ),
  );
  // paths are the operator's: a control byte or a bidi mark in one is escaped, as every table cell is
  return `${lines.join("\n")}\n`;
}

function yesNo(v: boolean | null): string {
  return v === null ? "unknown" : v ? "yes" : "no";
}

/** The one line an applied, resumed or rolled-back run prints (its paths escaped for a terminal). */
function resultText(r: RelocateResult, p: RelocatePlan): string {
  if (r.state === "rolled-back")
    return `${terminalSafe(
      `run ${r.run}: rolled back (${r.steps.join(", ") || "nothing to undo"}); ${p.root} is the old root again` +
        (p.partial === null ? "" : `; the copy in ${p.newDir} is left (remove it when you wish)`),
    )}\n`;
  const old = p.steps.includes("remove")
    ? `the old root is in ${p.quarantineItem}: crifs --runtime ${p.runtime} --root ${p.root} repair --purge deletes it`
    : p.target.sameFilesystem
      ? "renamed, nothing copied"
      : `the old root is kept at ${p.oldName}`;
  return `${terminalSafe(`run ${r.run}: ${p.root} now lives in ${p.newDir} (${p.method}); ${old}`)}\n`;
}

/** The processes that hold the root, the old root's name or NEWDIR open: [where, pid, comm, path]. */
function processUsers(p: RelocatePlan) {
  return [p.root, p.oldName, p.newDir].flatMap((where) =>
    processesUsing(where).map((u) => ({ where, ...u })),
  );
}

function processChecks(p: RelocatePlan): void {
  const u = processUsers(p)[0];
  if (u !== undefined)
    throw new CrifsError("busy", `cannot go on: process ${u.pid} (${u.comm}) holds ${u.path} open`, {
      path: u.where,
      remedy: stopHint(p.runtime),
    });
}

/** The checks before --resume or --rollback of `s`. A --systemd run's own units may run now (it started
 * them, or was killed before it stopped them), holding the root open: their stop comes first (the run's
 * `stop` step, or the rollback's undo of `start`) and the check after it, as a hook; a resume that has only
 * `start` left changes nothing on disk and needs none. */
function checksFor(
  s: RelocateRunSummary,
  which: "resume" | "rollback",
): { recheck?: () => Promise<string[]> } {
  const p = s.plan;
  const left = p.steps.filter((x) => !s.done.includes(x));
  const recheck = {
    recheck: async () =>
      processUsers(p).map((u) => `process ${u.pid} (${u.comm}) holds ${u.path} open: ${stopHint(p.runtime)}`),
  };
  if (p.steps.includes("stop") && p.units.length > 0) {
    if (which === "rollback" || left.includes("stop")) return recheck;
    if (left.every((x) => x === "start")) return {};
  }
  processChecks(p);
  return {};
}

function pickRun(root: string, which: "resume" | "rollback"): RelocateRunSummary {
  const runs = listRelocateRuns(root);
  const run =
    which === "resume"
      ? runs.filter((r) => r.state === "interrupted").at(-1)
      : runs.filter((r) => r.state === "interrupted" || r.state === "finished").at(-1);
  const running = runs.find((r) => r.state === "running");
  if (running !== undefined)
    throw new CrifsError("busy", `cannot ${which}: run ${running.id} is still going (its process lives)`, {
      path: running.dir,
      remedy: "wait for it to end",
    });
  if (run === undefined)
    throw new CrifsError("not-found", `no relocate run to ${which} for ${root}`, {
      path: dirname(root),
      remedy: "pass the same --runtime and --root as the run had",
    });
  return run;
}

export async function relocateCommand(
  g: GlobalOptions,
  newDirArg: string | undefined,
  flags: RelocateFlags,
): Promise<{ text: string; exitCode: number }> {
  const adapter = pickAdapter(g);
  const hooks = { onStep: (s: string, undo: boolean) => note(`${undo ? "undo " : ""}${s}`) };
  if (flags.resume || flags.rollback) {
    const root = rootOf(adapter, g);
    const summary = pickRun(root, flags.resume ? "resume" : "rollback");
    const checks = checksFor(summary, flags.resume ? "resume" : "rollback");
    const run = RelocateRun.open(summary.dir);
    try {
      let r: RelocateResult;
      if (flags.rollback) r = await rollbackRelocate(run, { ...hooks, ...checks });
      else {
        run.append({ type: "resume", pid: process.pid, at: new Date().toISOString() });
        r = await applyRelocate(run, { ...hooks, ...checks });
      }
      return {
        text: render(g.output, { ...r, plan: run.plan }, { table: () => resultText(r, run.plan) }),
        exitCode: 0,
      };
    } finally {
      run.close();
    }
  }
  if (newDirArg === undefined)
    throw new CrifsError("usage", "crifs relocate needs NEWDIR", {
      remedy: "crifs relocate /mnt/disk/containerd",
    });
  if (flags.systemd && !flags.apply)
    throw new CrifsError("usage", "--systemd stops and starts the runtime: it goes with --apply", {
      remedy: "add --apply (or leave --systemd out to see the plan)",
    });
  const plan = await makePlan(adapter, g, newDirArg, flags);
  if (!flags.apply)
    return {
      text: render(g.output, plan, { table: () => planText(plan) }),
      exitCode: plan.problems.length > 0 ? 1 : 0,
    };
  if (plan.problems.length > 0) {
    const busy = plan.busy.length > 0;
    throw new CrifsError(
      busy ? "busy" : "unsupported",
      `cannot relocate: ${plan.problems[0]}${plan.problems.length > 1 ? ` (and ${plan.problems.length - 1} more)` : ""}`,
      {
        path: plan.root,
        remedy: busy
          ? stopHint(plan.runtime)
          : flags.systemd
            ? // the plan without --apply is shown only without --systemd, which leaves its own problem out
              "crifs relocate without --apply and --systemd shows the other problems"
            : "crifs relocate without --apply shows every problem",
      },
    );
  }
  const run = RelocateRun.create(plan, newRunIdFrom(plan));
  try {
    const recheck = async () =>
      busyReasons(adapter, adapter.load(loadOptions(g)), {
        timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        socket: adapter.readVersion === undefined ? null : socketOf(adapter, g),
        ...(flags.dockerHost === undefined ? {} : { dockerHost: flags.dockerHost }),
      });
    const r = await applyRelocate(run, { ...hooks, recheck });
    return { text: render(g.output, { ...r, plan }, { table: () => resultText(r, plan) }), exitCode: 0 };
  } finally {
    run.close();
  }
}

/** The run id the plan was made under (in its old root's name). */
function newRunIdFrom(plan: RelocatePlan): string {
  return plan.oldName.slice(`${plan.root}.crifs-old-`.length);
}

/** `crifs relocate` as the command line runs it: commander's opts to flags. */
export function relocateAction(
  g: GlobalOptions,
  newDir: string | undefined,
  o: Record<string, unknown>,
): Promise<{ text: string; exitCode: number }> {
  const method = typeof o.method === "string" ? o.method : "bind";
  if (method !== "bind" && method !== "symlink")
    throw new CrifsError("usage", `cannot use method "${method}": bind or symlink`, {
      remedy: "--method bind",
    });
  if (o.resume === true && o.rollback === true)
    throw new CrifsError("usage", "--resume and --rollback go one at a time", { remedy: "pass one of them" });
  const fstab = typeof o.fstab === "string" ? o.fstab : "/etc/fstab";
  if (!isAbsolute(fstab)) throw new CrifsError("usage", `--fstab "${fstab}": an absolute path`, {});
  return relocateCommand(g, newDir, {
    method,
    apply: o.apply === true,
    resume: o.resume === true,
    rollback: o.rollback === true,
    keepOld: o.keepOld === true,
    systemd: o.systemd === true,
    fstab,
    ...(typeof o.dockerHost === "string" ? { dockerHost: o.dockerHost } : {}),
  });
}
