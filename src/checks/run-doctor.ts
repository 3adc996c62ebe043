// checks/run-doctor.ts — runs the checks the way doctor promises never to raise a false alarm on a store in
// use: read the store and its disk facts, run the checks, read everything again after a pause, run them
// again, and report only the findings both reads agree on (an object created or removed in between is
// gone from one of them). Then, unless --quick, one du-style walk over the findings' paths fills their
// bytes (hard links counted once across all of them). A check whose facts the second read gathers as the
// first read's candidates judged again (broken links: only the first's broken ones are resolved again) runs
// on the second read alone: what it finds there, both reads found.
//
//   read ─▶ checks ─▶ findings A ┐
//   pause                        ├─▶ B ∩ A (by check, subject, path) ─▶ walk for bytes ─▶ sorted report
//   read ─▶ checks ─▶ findings B ┘
//
// One read can prove as much (RunDoctorOptions.oneReadAfterMs, what `crifs repair` asks for): when every
// finding of the first read is of a check judged by age (Check.isJudgedByAge: orphan snapshot dirs; the other
// checks found nothing, so nothing of theirs could be agreed on) and older than that floor, the pause and the
// second read are skipped. The second read exists
// to tell a thing in flight (a dir made, its record not yet committed) from a leak; the runtime makes such a
// dir, and records it, within one short transaction, and a dir older than any transaction lasts (the floor is
// seconds; a bolt transaction lasts milliseconds) whose record the first read did not see is not in flight.

import { collectGarbage } from "../collect-garbage.js";
import { type ScanProgress, scanTrees } from "../fs/walk.js";
import { compareText } from "../model/text.js";
import type { Check, Finding, LazyFindings } from "./check.js";
import { findingKey, severityRank } from "./check.js";
import type { DoctorInput } from "./doctor-input.js";
import { orderOf } from "./finding-order.js";
import { podIndex, withPods } from "./finding-pods.js";

export type DoctorMode = "quick" | "default" | "verify";

export interface SkippedCheck {
  readonly id: string;
  readonly reason: string;
}

export interface DoctorSummary {
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  /** Sum of the findings' bytes (null ones count 0). */
  readonly bytesReclaimable: number;
  readonly checksRun: readonly string[];
  readonly checksSkipped: readonly SkippedCheck[];
}

export interface DoctorReport {
  /** Every finding, worst first (made on first use from a report of runDoctor: eachFinding streams them). */
  readonly findings: readonly Finding[];
  readonly summary: DoctorSummary;
}

/** Makes a report's findings one at a time; with `messages` false a finding's message may be "" (not made). */
export type FindingSource = (messages: boolean) => Iterable<Finding>;

/** How the reports made by reportOf make their findings one at a time. */
const findingSources = new WeakMap<DoctorReport, FindingSource>();

/** A report whose findings are made by `each` as they are used: `findings` gathers them all on first use,
 * eachFinding makes them one at a time and holds none. */
export function reportOf(each: FindingSource, summary: DoctorSummary): DoctorReport {
  let all: Finding[] | undefined;
  const report: DoctorReport = {
    get findings() {
      all ??= [...each(true)];
      return all;
    },
    summary,
  };
  findingSources.set(report, each);
  return report;
}

/** The report's findings in order, made one at a time where the report can (10^5 broken links are never
 * all held as findings for printing). `messages: false`: a view that shows no message (doctor's table) need
 * not have them made; a finding made one at a time then has message "" (a gathered one keeps its own). */
export function eachFinding(r: DoctorReport, o: { readonly messages?: boolean } = {}): Iterable<Finding> {
  return findingSources.get(r)?.(o.messages !== false) ?? r.findings;
}

export interface RunDoctorOptions {
  /**
   * Gathers one complete input (store + disk facts); called twice, the second time with the first read's
   * input: what only the first read's candidates can be found in (broken links) may be re-checked alone.
   */
  readonly read: (first?: DoctorInput) => Promise<DoctorInput>;
  /** The checks to run, in report order. */
  readonly checks: readonly Check[];
  /** quick: no walks; verify: also the checks that read all content. Default "default". */
  readonly mode?: DoctorMode;
  /** Pause between the two reads, in ms. Default 200. */
  readonly pauseMs?: number;
  /** Reports the walk that sizes the findings (cli/render/progress.ts). Default: none. */
  readonly progress?: ScanProgress;
  /**
   * One read instead of two when it proves as much: when every finding of the first read is of a check
   * that isJudgedByAge (the others found nothing) and at least this many ms old (the checks, run again on the
   * first read with the grace raised to it, find the same: isInFlight judges by the newest of a dir's mtime
   * and ctime), the pause and the second read are skipped. A store read with a grace below it (--grace 0: tests) whose findings
   * include a younger one is read twice as usual. Absent (doctor): always two reads.
   */
  readonly oneReadAfterMs?: number;
}

/** Which of `checks` run on `input` in `mode`, and why the others do not. */
export function planChecks(
  checks: readonly Check[],
  input: DoctorInput,
  mode: DoctorMode,
): { run: Check[]; skipped: SkippedCheck[] } {
  const run: Check[] = [];
  const skipped: SkippedCheck[] = [];
  for (const c of checks) {
    if (c.needs.includes("verify") && mode !== "verify")
      skipped.push({ id: c.id, reason: "reads all content: only with --verify" });
    else if (c.needs.includes("metadata") && input.store === null)
      skipped.push({ id: c.id, reason: "the metadata could not be read (see metadata-corrupt)" });
    else run.push(c);
  }
  return { run, skipped };
}

/** Runs every check on one input; a check that throws becomes an error finding, the others go on. */
export function runChecks(checks: readonly Check[], input: DoctorInput): Finding[] {
  const out: Finding[] = [];
  for (const c of checks) {
    try {
      // a loop, not push(...found): a spread of 250,000 findings (a bad image's broken links) overflows the stack
      for (const f of c.run(input)) out.push(f);
    } catch (err) {
      out.push(checkFailed(c, input, err));
    }
  }
  return out;
}

function checkFailed(c: Check, input: DoctorInput, err: unknown): Finding {
  return {
    check: c.id,
    severity: "error",
    subject: `check ${c.id}`,
    path: input.root,
    bytes: 0,
    message: `the check failed: ${(err as Error).message}`,
    remedy: "rerun with --debug and report it; the other checks ran",
  };
}

/** Findings of `second` that `first` has too (same check, subject and path). */
export function intersectFindings(first: readonly Finding[], second: readonly Finding[]): Finding[] {
  return findingsWithKeys(new Set(first.map(findingKey)), second);
}

// agreedFindings below, and firstReadOutcome, are plain functions, not steps of runDoctor, on purpose: an
// async function keeps its temporaries (here 10^5 findings) in its suspended frame across the next await.

/** The findings of `checks` on `input` whose keys are in `keys` (taken out of it), and every finding of a
 * check whose input the second read re-judged from the first's candidates (Check.isRecheckedBySecondRead):
 * as LazyFindings when the check can make them so. */
function agreedFindings(
  keys: Set<string>,
  checks: readonly Check[],
  input: DoctorInput,
): { findings: Finding[]; lazy: { check: Check; found: LazyFindings }[] } {
  const findings: Finding[] = [];
  const lazy: { check: Check; found: LazyFindings }[] = [];
  for (const c of checks) {
    const agreed = c.isRecheckedBySecondRead === true;
    if (agreed && c.lazily !== undefined) {
      try {
        const found = c.lazily(input);
        if (found !== null && found.count > 0) lazy.push({ check: c, found });
      } catch (err) {
        findings.push(checkFailed(c, input, err));
      }
      continue;
    }
    for (const f of runChecks([c], input)) if (agreed || keys.delete(findingKey(f))) findings.push(f);
  }
  return { findings, lazy };
}

/** Findings of `second` whose findingKey is in `keys`, each key once: a key is taken out of `keys` when
 * met (no second set of 10^5 keys), so `keys` is left with those `second` lacks. */
function findingsWithKeys(keys: Set<string>, second: readonly Finding[]): Finding[] {
  return second.filter((f) => keys.delete(findingKey(f)));
}

export function summarize(
  findings: readonly Finding[],
  checksRun: readonly string[],
  checksSkipped: readonly SkippedCheck[],
): DoctorSummary {
  return {
    errors: findings.filter((f) => f.severity === "error").length,
    warnings: findings.filter((f) => f.severity === "warning").length,
    infos: findings.filter((f) => f.severity === "info").length,
    bytesReclaimable: findings.reduce((n, f) => n + (f.bytes ?? 0), 0),
    checksRun,
    checksSkipped,
  };
}

/** doctor's exit code: 2 with errors, 1 with warnings, else 0. */
export function doctorExitCode(s: DoctorSummary): number {
  return s.errors > 0 ? 2 : s.warnings > 0 ? 1 : 0;
}

/** Fills null `bytes` of walk-needing findings with du -s -B1 -x of their path. Cost: a walk of each. */
async function measure(
  findings: readonly Finding[],
  checks: readonly Check[],
  progress?: ScanProgress,
): Promise<Finding[]> {
  const walked = new Set(checks.filter((c) => c.needs.includes("walk")).map((c) => c.id));
  const paths = [
    ...new Set(findings.filter((f) => f.bytes === null && walked.has(f.check)).map((f) => f.path)),
  ];
  if (paths.length === 0) return [...findings];
  const scan = await scanTrees(
    paths.map((p) => ({ id: p, path: p })),
    { cacheDir: null, oneFileSystem: true, ...(progress === undefined ? {} : { progress }) },
  );
  return findings.map((f) =>
    f.bytes === null && walked.has(f.check)
      ? { ...f, bytes: scan.perTree.get(f.path)?.allocatedBytes ?? 0 }
      : f,
  );
}

/**
 * Whether the first read's findings `found` (of the checks that run on it) need no second read
 * (RunDoctorOptions.oneReadAfterMs): every one is of a check judged by age and at least `minAgeMs` old. A check
 * that finds nothing on the first read finds nothing both reads agree on either, so it does not stand in the
 * way; a check the second read re-judges from the first's candidates (broken links) does, unless the first
 * read found no candidate.
 */
export function isProvenByOneRead(
  checks: readonly Check[],
  input: DoctorInput,
  found: readonly Finding[],
  minAgeMs: number,
): boolean {
  const rejudged = checks.some((c) => c.isRecheckedBySecondRead === true);
  if (rejudged && (input.linkCandidates === undefined || input.linkCandidates.size > 0)) return false;
  const byAge = new Set(checks.filter((c) => c.isJudgedByAge === true).map((c) => c.id));
  if (found.some((f) => !byAge.has(f.check))) return false;
  if (input.graceMs >= minAgeMs) return true; // the grace kept every younger one out already
  // a raised grace only drops findings: as many found again means the same ones, each old enough
  const aged = checks.filter((c) => byAge.has(c.id));
  return runChecks(aged, { ...input, graceMs: minAgeMs }).length === found.length;
}

/** The first read's findings when they need no second read (`alone`), else only their keys (10^5 broken
 * links are 10^5 findings): a plain function, so that the findings never stay in runDoctor's frame. A check
 * the second read re-judges from the first read's candidates does not run on the first read at all. */
function firstReadOutcome(
  checks: readonly Check[],
  input: DoctorInput,
  oneReadAfterMs: number | undefined,
): { alone: Finding[] } | { keys: Set<string> } {
  const found = runChecks(
    checks.filter((c) => c.isRecheckedBySecondRead !== true),
    input,
  );
  if (oneReadAfterMs !== undefined && isProvenByOneRead(checks, input, found, oneReadAfterMs))
    return { alone: found };
  return { keys: new Set(found.map(findingKey)) };
}

/** Runs doctor: two reads, the findings both agree on, sizes, sorted worst first. */
export async function runDoctor(options: RunDoctorOptions): Promise<DoctorReport> {
  const mode = options.mode ?? "default";
  let first: DoctorInput | null = await options.read();
  const plan1 = planChecks(options.checks, first, mode);
  const outcome = firstReadOutcome(plan1.run, first, options.oneReadAfterMs);
  if ("alone" in outcome) {
    // no pause, no second read, no forced GC: the first read's findings are the report's
    return finishReport(
      options,
      mode,
      { findings: outcome.alone, lazy: [] },
      plan1.run,
      plan1.skipped,
      first.store,
    );
  }
  // of the first read's findings only their keys are kept: 10^5 broken links are 10^5 findings
  const a = outcome.keys;
  // the first read's findings are garbage now: collected in the pause, which waits anyway, so that the
  // second read's do not pile up on them (1 M entries, 72,000 broken links: peak RSS 363 MB before)
  const pause = new Promise((done) => setTimeout(done, options.pauseMs ?? 200));
  collectGarbage();
  await pause;
  let second: DoctorInput | null = await options.read(first);
  first = null; // the second read has re-checked what it needed of it
  const plan2 = planChecks(options.checks, second, mode);
  // a check runs only when both reads allowed it (metadata readable both times)
  const ran = new Set(plan1.run.map((c) => c.id));
  const run = plan2.run.filter((c) => ran.has(c.id));
  const skipped = [
    ...plan2.skipped,
    ...plan2.run
      .filter((c) => !ran.has(c.id))
      .map((c) => ({ id: c.id, reason: "the metadata could not be read in the first read" })),
  ];
  const agreed = agreedFindings(a, run, second);
  a.clear(); // the first read's findings the second lacks
  const store = second.store;
  second = null; // its facts are in the findings now, or held by the lazily made ones (broken links)
  // what the two reads built is garbage now; V8 would collect it only once the heap had grown further, and
  // the report about to be rendered (tens of thousands of lines on a large store) would grow it. On the
  // bench store: peak RSS 193-203 MB before, 180-186 MB after, for ~50 ms
  collectGarbage();
  return finishReport(options, mode, agreed, run, skipped, store);
}

/** The report of the agreed findings: their bytes (unless quick), their pods, sorted worst first. */
async function finishReport(
  options: RunDoctorOptions,
  mode: DoctorMode,
  agreed: { findings: Finding[]; lazy: { check: Check; found: LazyFindings }[] },
  run: readonly Check[],
  skipped: readonly SkippedCheck[],
  store: DoctorInput["store"],
): Promise<DoctorReport> {
  let findings = agreed.findings;
  if (mode !== "quick") findings = await measure(findings, run, options.progress);
  findings = withPods(findings, store);
  const position = new Map(options.checks.map((c, i) => [c.id, i]));
  const rankOf = (f: { severity: Finding["severity"]; check: string }) =>
    severityRank[f.severity] * (options.checks.length + 1) + (position.get(f.check) ?? 0);
  findings.sort(
    (x, y) => rankOf(x) - rankOf(y) || compareText(x.path, y.path) || compareText(x.subject, y.subject),
  );
  // each lazily made check's findings go where the sort would put them: all of one severity and check
  const groups = agreed.lazy
    .map(({ check, found }) => ({
      rank: rankOf({ severity: found.severity, check: check.id }),
      found,
      order: orderOf(found),
    }))
    .sort((x, y) => x.rank - y.rank);
  // ordering made a path string of every lazily made finding (255,000 broken links: tens of MB), garbage
  // now: collected before the report is rendered, which would grow the heap on top of it
  if (groups.length > 0) collectGarbage();
  const plain = findings;
  const podOf = podIndex(store);
  function* each(messages: boolean): Generator<Finding> {
    let k = 0;
    for (const g of groups) {
      while (k < plain.length && rankOf(plain[k] as Finding) <= g.rank) yield plain[k++] as Finding;
      for (const i of g.order) {
        const f = g.found.finding(i, messages);
        // a literal, not a spread ({ ...f, pod }): a spread costs microseconds, and this runs 10^5 times per
        // pass; a lazily made finding has exactly defineCheck's fields, in its order
        yield {
          check: f.check,
          severity: f.severity,
          subject: f.subject,
          path: f.path,
          bytes: f.bytes,
          message: f.message,
          remedy: f.remedy,
          pod: podOf(f),
        };
      }
    }
    while (k < plain.length) yield plain[k++] as Finding;
  }
  const summary = summarize(
    plain,
    run.map((c) => c.id),
    skipped,
  );
  const count = (severity: Finding["severity"]) =>
    groups.reduce((n, g) => n + (g.found.severity === severity ? g.found.count : 0), 0);
  return reportOf(each, {
    ...summary,
    errors: summary.errors + count("error"),
    warnings: summary.warnings + count("warning"),
    infos: summary.infos + count("info"),
  });
}
