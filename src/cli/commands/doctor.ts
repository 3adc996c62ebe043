// cli/commands/doctor.ts — `crifs doctor`: runs the checks of src/checks on every store the global flags name
// and reports the findings both of two reads agree on. Exit code: 0 clean (infos only), 1 warnings, 2 errors.
// A bolt or JSON record file that does not decode is a finding (metadata-corrupt), not a crash.
//
// Each runtime's adapter reads its own metadata into a MetadataRead (Adapter.readDoctorMetadata) and its own
// objects on disk into DoctorFacts (Adapter.readDoctorFacts, through gatherDoctorInput), and each check says
// which runtimes' stores it applies to (Check.runtimes): this file names no runtime.
//
// doctor always reads every namespace (an orphan dir or an unreferenced blob is only orphaned with respect to
// all of them); -n is ignored here.
//
// Besides table, JSON and YAML: -o prometheus prints the metric families of `crifs serve` for one scan
// (serve/scan.ts: du as well), --textfile DIR writes them to DIR/crifs.prom for node_exporter, and -o npd
// answers as a node-problem-detector custom plugin (docs/serve.md).

import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appliesTo, type Check, type Finding } from "../../checks/check.js";
import { DEFAULT_GRACE_MS, type DoctorInput, gatherDoctorInput } from "../../checks/doctor-input.js";
import { checks as allChecks } from "../../checks/index.js";
import {
  type DoctorMode,
  type DoctorReport,
  doctorExitCode,
  eachFinding,
  reportOf,
  runDoctor,
} from "../../checks/run-doctor.js";
import { CrifsError, fromFsError } from "../../errors.js";
import { type LogDirFlags, logDirFlags, logDirsFor } from "../../logs/log-dirs.js";
import { readPodLogFacts } from "../../logs/log-facts.js";
import type { Store } from "../../model/store.js";
import type { Adapter } from "../../runtimes/index.js";
import { packageVersion } from "../package-version.js";
import { humanBytes, render, renderJsonChunksOf } from "../render/format.js";
import { progress } from "../render/progress.js";
import { renderTableChunks } from "../render/table-chunks.js";
import { terminalSafe } from "../render/terminal-safe.js";
import {
  DEFAULT_TIMEOUT_MS,
  type GlobalOptions,
  liveAddress,
  loadOptions,
  storeAdapters,
} from "../stores.js";

export interface DoctorFlags {
  /** Check ids to run (default: all). */
  readonly checks?: readonly string[];
  readonly mode?: DoctorMode;
  /** Seconds an object may be old and still count as in flight. Default 60. */
  readonly graceSeconds?: number;
  /** kubelet's log dirs (--log-root, --containers-log-dir); see logs/log-dirs.ts for when they are checked. */
  readonly logDirs?: LogDirFlags;
  /** Pause between the two reads, in ms (runDoctor's; default 200). repair's re-check of findings two reads
   * already agreed on needs none. */
  readonly pauseMs?: number;
  /** runDoctor's oneReadAfterMs (repair --apply --yes): one read when it proves as much. Default: two. */
  readonly oneReadAfterMs?: number;
  /** Called with each read's input, the last one last (repair takes its dirs' identities from the last). */
  readonly onRead?: (input: DoctorInput) => void;
}

/** The checks of kubelet's log dirs: host-wide, so they run with the first store's read only. */
const LOG_CHECKS = new Set(["dangling-log-link", "log-link-mismatch", "orphan-log-dir"]);

/** The pods every checked runtime knows, for the log checks: null when one of the stores cannot be read. */
function storesForLogs(g: GlobalOptions, toCheck: readonly Adapter[], first: Store | null): Store[] | null {
  if (first === null) return null;
  const out = [first];
  for (const a of toCheck.slice(1)) {
    try {
      out.push(a.load(loadOptions(g)));
    } catch {
      return null;
    }
  }
  return out;
}

/** The store through the runtime's API when it has one and its socket answers (the rules of cli/stores.ts),
 * for metadata-mismatch; undefined (and the check silent) when it does not. */
async function readLive(g: GlobalOptions, adapter: Adapter): Promise<Store | undefined> {
  if (adapter.loadLive === undefined) return undefined;
  const socket = liveAddress(g);
  if (socket === null || (g.address === undefined && !existsSync(socket))) return undefined;
  try {
    return await adapter.loadLive(socket, {
      root: g.root,
      state: g.state,
      config: g.config,
      timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  } catch {
    return undefined;
  }
}

function selectChecks(ids: readonly string[] | undefined): Check[] {
  if (ids === undefined || ids.length === 0) return [...allChecks];
  const unknown = ids.filter((id) => !allChecks.some((c) => c.id === id));
  if (unknown.length > 0) {
    throw new CrifsError("usage", `unknown check ${unknown.map((u) => `"${u}"`).join(", ")}`, {
      remedy: `use one of ${allChecks.map((c) => c.id).join(", ")}`,
    });
  }
  return allChecks.filter((c) => ids.includes(c.id));
}

/** Runs doctor over the stores the flags name. Cost: metadata and dir listings twice, then walks (not --quick). */
export async function doctorReport(g: GlobalOptions, flags: DoctorFlags = {}): Promise<DoctorReport> {
  const selected = selectChecks(flags.checks);
  const graceMs = flags.graceSeconds === undefined ? DEFAULT_GRACE_MS : flags.graceSeconds * 1000;
  const mode = flags.mode ?? "default";
  const reports: DoctorReport[] = [];
  const toCheck = storeAdapters(g);
  // a node's disk (--host-root) did not write this machine's pod logs: like --root, only named log dirs
  const logDirs = logDirsFor(flags.logDirs ?? {}, g);
  for (const [i, adapter] of toCheck.entries()) {
    const checks = selected
      .filter((c) => appliesTo(c, adapter.id))
      .filter((c) => !LOG_CHECKS.has(c.id) || (i === 0 && logDirs.applies));
    const withLogs = checks.some((c) => LOG_CHECKS.has(c.id));
    const bar = progress(`doctor ${adapter.id}: sizing findings`);
    reports.push(
      await runDoctor({
        checks,
        mode,
        progress: bar,
        ...(flags.pauseMs === undefined ? {} : { pauseMs: flags.pauseMs }),
        ...(flags.oneReadAfterMs === undefined ? {} : { oneReadAfterMs: flags.oneReadAfterMs }),
        read: async (first) => {
          // the costly facts only for the checks that read them (--check orphan-snapshot-dir scans no links)
          const gathered = await gatherDoctorInput(adapter.readDoctorMetadata(loadOptions(g)), {
            adapter,
            graceMs,
            verify: mode === "verify",
            links: checks.some((c) => c.id === "broken-symlink"),
            // the first read's broken links are candidates the second judges again (broken-symlink runs on
            // the second read alone: Check.isRecheckedBySecondRead)
            ...(first === undefined
              ? { linksAreCandidates: true }
              : first.linkCandidates === undefined
                ? {}
                : { recheckLinks: first.linkCandidates }),
            layers: mode === "verify" && checks.some((c) => c.id === "layer-content-mismatch"),
          });
          const live = checks.some((c) => c.id === "metadata-mismatch")
            ? await readLive(g, adapter)
            : undefined;
          const input = live === undefined ? gathered : { ...gathered, live };
          const read = withLogs
            ? { ...input, podLogs: readPodLogFacts(logDirs, storesForLogs(g, toCheck, input.store)) }
            : input;
          flags.onRead?.(read);
          return read;
        },
      }).finally(() => bar.done()),
    );
  }
  return mergeReports(reports);
}

/** One report of several stores' (each store's findings already agreed on by its two reads). */
function mergeReports(reports: readonly DoctorReport[]): DoctorReport {
  if (reports.length === 1 && reports[0] !== undefined) return reports[0];
  const sum = (f: (s: DoctorReport["summary"]) => number) => reports.reduce((n, r) => n + f(r.summary), 0);
  return reportOf(
    function* (messages) {
      for (const r of reports) yield* eachFinding(r, { messages });
    },
    {
      errors: sum((s) => s.errors),
      warnings: sum((s) => s.warnings),
      infos: sum((s) => s.infos),
      bytesReclaimable: sum((s) => s.bytesReclaimable),
      checksRun: [...new Set(reports.flatMap((r) => r.summary.checksRun))],
      checksSkipped: reports.flatMap((r) => r.summary.checksSkipped),
    },
  );
}

function* findingRows(findings: Iterable<Finding>): Generator<string[]> {
  for (const f of findings)
    yield [
      f.severity,
      f.check,
      f.subject,
      // the pod first: an operator thinks in pods, not in snapshot dirs
      f.pod ? `pod ${f.pod.podNamespace}/${f.pod.podName} ${f.pod.containerName}: ${f.path}` : f.path,
      f.bytes === null ? "-" : humanBytes(f.bytes),
      f.remedy,
    ];
}

/** The table, in chunks: a bad image has 10^5 findings, and their table is never one string. */
function* doctorTable(r: DoctorReport): Generator<string | Uint8Array> {
  const s = r.summary;
  if (s.errors + s.warnings + s.infos === 0) yield "no problems found\n";
  else
    yield* renderTableChunks(["severity", "check", "subject", "path", "bytes", "remedy"], () =>
      findingRows(eachFinding(r, { messages: false })),
    );
  const skipped = s.checksSkipped.map((c) => `\nskipped ${c.id}: ${c.reason}`).join("");
  yield `${s.errors} error(s), ${s.warnings} warning(s), ${s.infos} info(s); ` +
    `${humanBytes(s.bytesReclaimable)} reclaimable; ${s.checksRun.length} checks run${skipped}\n`;
}

/** The report as -o table, json or yaml print it: chunks to write as they come (table and JSON are never built
 * as one string). */
function reportChunks(g: GlobalOptions, r: DoctorReport): Iterable<string | Uint8Array> {
  // table and JSON make each finding as they print it; YAML gathers them
  return g.output === "table"
    ? doctorTable(r)
    : g.output === "json"
      ? renderJsonChunksOf({ findings: null, summary: r.summary }, "findings", eachFinding(r))
      : [render(g.output, { findings: r.findings, summary: r.summary }, {})];
}

/** What node-problem-detector keeps of a custom plugin's stdout by default (its max_output_length). */
export const NPD_MAX_OUTPUT = 80;

/**
 * doctor as a node-problem-detector custom plugin answers: exit 0 (OK) with no error or warning finding, 1
 * (NonOK) with any, and one line of at most `maxLength` characters saying how many and of which checks, worst
 * first. (Exit 2, Unknown, is doctorAction's when doctor cannot run.) Cost: one pass over the findings.
 */
export function npdAnswer(
  summary: DoctorReport["summary"],
  findings: Iterable<Finding>,
  maxLength = NPD_MAX_OUTPUT,
): { line: string; exitCode: 0 | 1 } {
  const fit = (s: string) => (s.length <= maxLength ? s : `${s.slice(0, maxLength - 3)}...`);
  if (summary.errors + summary.warnings === 0)
    return { line: fit(`no problems found (${summary.checksRun.length} checks)`), exitCode: 0 };
  const byCheck = new Map<string, { rank: number; n: number }>();
  for (const f of findings) {
    if (f.severity === "info") continue;
    const c = byCheck.get(f.check) ?? { rank: 1, n: 0 };
    c.n++;
    if (f.severity === "error") c.rank = 0;
    byCheck.set(f.check, c);
  }
  const checks = [...byCheck]
    .sort(([a, x], [b, y]) => x.rank - y.rank || y.n - x.n || (a < b ? -1 : 1))
    .map(([id, c]) => (c.n > 1 ? `${id} x${c.n}` : id));
  const counted = (n: number, what: string) => (n === 0 ? [] : [`${n} ${what}${n === 1 ? "" : "s"}`]);
  const counts = [...counted(summary.errors, "error"), ...counted(summary.warnings, "warning")];
  const head = `${counts.join(", ")}, ${humanBytes(summary.bytesReclaimable)} reclaimable: `;
  return { line: fit(`${head}${checks.join(", ")}`), exitCode: 1 };
}

/** Writes `text` to DIR/crifs.prom for node_exporter's textfile collector: a temp file beside it (a name the
 * collector skips: not *.prom), then a rename, so a scrape never reads half a file. */
function writeTextfile(dir: string, text: string): void {
  const target = join(dir, "crifs.prom");
  const tmp = join(dir, `.crifs.prom.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw fromFsError(err, target, "write");
  }
}

/**
 * `crifs doctor`: the rendered report, in chunks to write as they come (table and JSON are never built as
 * one string), and the exit code. JSON contract: docs/json.md#doctor.
 */
export async function doctorCommand(
  g: GlobalOptions,
  flags: DoctorFlags = {},
): Promise<{ chunks: Iterable<string | Uint8Array>; exitCode: number }> {
  const r = await doctorReport(g, flags);
  return { chunks: reportChunks(g, r), exitCode: doctorExitCode(r.summary) };
}

/** Parses --grace: a whole number of seconds, 0 or more. */
export function parseGrace(v: string): number {
  if (!/^\d+$/.test(v)) {
    throw new CrifsError("usage", `invalid --grace "${v}": expected whole seconds`, {
      remedy: "e.g. --grace 60 (0: no grace)",
    });
  }
  return Number(v);
}

/**
 * `crifs doctor` with -o prometheus or npd, or --textfile: the report of one scan (serve/scan.ts: du too, for
 * the metrics), printed as the metrics, as node-problem-detector's answer, or as -o says; --textfile also
 * writes the metrics to DIR/crifs.prom.
 */
async function doctorScanCommand(
  g: GlobalOptions,
  flags: DoctorFlags,
  o: { format?: "prometheus" | "npd"; textfile?: string },
): Promise<{ chunks: Iterable<string | Uint8Array>; exitCode: number }> {
  let r: DoctorReport | undefined;
  let text = "";
  if (o.format === "prometheus" || o.textfile !== undefined) {
    const { scanStores } = await import("../../serve/scan.js");
    const { DEFAULT_TOP_IMAGES, renderMetrics } = await import("../../serve/metrics.js");
    const model = await scanStores(g, {
      doctor: flags,
      withApi: false,
      onReport: (report) => {
        r = report;
      },
    });
    text = await renderMetrics(model, { version: packageVersion(), topImages: DEFAULT_TOP_IMAGES });
    if (o.textfile !== undefined) writeTextfile(o.textfile, text);
  }
  r ??= await doctorReport(g, flags);
  if (o.format === "npd") {
    const a = npdAnswer(r.summary, eachFinding(r));
    return { chunks: [`${a.line}\n`], exitCode: a.exitCode };
  }
  return {
    chunks: o.format === "prometheus" ? [text] : reportChunks(g, r),
    exitCode: doctorExitCode(r.summary),
  };
}

/** `crifs doctor` as the command line runs it: its flags (commander's opts) to the report and exit code.
 * `o.format`: -o prometheus or npd (cli/program.ts hands them over; g.output is then json). */
export async function doctorAction(
  g: GlobalOptions,
  o: Record<string, unknown>,
): Promise<{ chunks: Iterable<string | Uint8Array>; exitCode: number }> {
  const format = o.format === "prometheus" || o.format === "npd" ? o.format : undefined;
  const textfile = typeof o.textfile === "string" ? o.textfile : undefined;
  try {
    const check = o.check as string[] | undefined;
    const flags: DoctorFlags = {
      ...(check === undefined ? {} : { checks: check.flatMap((c) => c.split(",")) }),
      mode: o.quick === true ? "quick" : o.verify === true ? "verify" : "default",
      graceSeconds: parseGrace(typeof o.grace === "string" ? o.grace : "60"),
      logDirs: logDirFlags(o),
    };
    if (format === undefined && textfile === undefined) return await doctorCommand(g, flags);
    return await doctorScanCommand(g, flags, {
      ...(format === undefined ? {} : { format }),
      ...(textfile === undefined ? {} : { textfile }),
    });
  } catch (err) {
    if (format !== "npd") throw err;
    // node-problem-detector's Unknown: doctor could not say, and the line (on stdout, where NPD reads) says why
    const line = err instanceof CrifsError ? err.oneLine() : `internal error: ${(err as Error).message}`;
    return { chunks: [`crifs: ${terminalSafe(line).split("\n")[0]}\n`], exitCode: 2 };
  }
}
