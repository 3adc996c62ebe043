// cli/commands/explain.ts — `crifs explain "<error text>"` (or the text on stdin: `journalctl -u containerd |
// crifs explain`): finds every known runtime, kubelet and CRI message in it (src/explain/patterns.ts), runs
// the doctor checks that diagnose them on this host's stores (the usual store flags; detected as doctor
// does), and prints each message with what it means, the findings (with paths) that explain it and the
// next step. Text with no known message: says so, and runs `doctor --quick`.
//
// Exit code: doctor's (0 nothing worse than infos, 1 warnings, 2 errors) over the findings shown.
// JSON contract: docs/json.md#explain.

import { createInterface } from "node:readline";
import type { Finding } from "../../checks/check.js";
import { doctorExitCode, eachFinding, summarize } from "../../checks/run-doctor.js";
import { CrifsError } from "../../errors.js";
import { diagnoseMatches, type Explanation } from "../../explain/diagnose.js";
import { MessageMatcher } from "../../explain/match.js";
import { type LogDirFlags, logDirFlags } from "../../logs/log-dirs.js";
import type { RuntimeId } from "../../model/store.js";
import { adapters } from "../../runtimes/index.js";
import { render, renderTable } from "../render/format.js";
import { terminalSafe } from "../render/terminal-safe.js";
import { type GlobalOptions, loadOptions, note } from "../stores.js";
import { doctorCommand, doctorReport, parseGrace } from "./doctor.js";

/** Findings listed per message in the table (JSON lists them all). */
const TABLE_FINDINGS = 20;

/** Characters of the line that showed a message in the table (JSON has it whole). */
const TABLE_LINE = 400;

function shortLine(line: string): string {
  return line.length > TABLE_LINE ? `${line.slice(0, TABLE_LINE)}…` : line;
}

export interface ExplainFlags {
  readonly graceSeconds?: number;
  readonly logDirs?: LogDirFlags;
}

/** The matcher fed with the arguments' text, or with stdin line by line when there are none. */
async function readMessages(args: readonly string[]): Promise<MessageMatcher> {
  const matcher = new MessageMatcher();
  if (args.length > 0) {
    for (const line of args.join(" ").split("\n")) matcher.add(line);
    return matcher;
  }
  if (process.stdin.isTTY === true) {
    throw new CrifsError("usage", "nothing to explain: no text given and stdin is a terminal", {
      remedy:
        'pass the message, crifs explain "<error text>", or pipe it: journalctl -u containerd | crifs explain',
    });
  }
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY }))
    matcher.add(line);
  return matcher;
}

/** The runtimes whose stores the flags name or this host has (as doctor finds them). */
function storesHere(g: GlobalOptions): RuntimeId[] {
  if (g.runtime !== undefined) return [g.runtime as RuntimeId];
  const opts = loadOptions(g);
  return adapters.filter((a) => a.detect(opts)).map((a) => a.id);
}

/** A shell word: as it is when it needs no quotes. */
function shellWord(s: string): string {
  return /^[\w./=:,@-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** `crifs <flags naming this store> repair --check <ids>`: the plan for what crifs can mend. */
function repairCommand(g: GlobalOptions, runtime: RuntimeId, checks: readonly string[]): string {
  const flags = ["--runtime", runtime];
  for (const [flag, v] of [
    ["--host-root", g.hostRoot],
    ["--root", g.root],
    ["--state", g.state],
    ["--config", g.config],
  ] as const)
    if (v !== undefined) flags.push(flag, v);
  return `crifs ${flags.map(shellWord).join(" ")} repair --check ${checks.join(",")}`;
}

function explanationJson(g: GlobalOptions, e: Explanation) {
  const p = e.match.pattern;
  return {
    id: p.id,
    title: p.title,
    line: e.match.line,
    count: e.match.count,
    speakers: p.speakers,
    sources: p.sources,
    meaning: p.meaning,
    checks: p.checks,
    stores: e.stores,
    checksRun: e.checksRun,
    findings: e.findings,
    next: p.next,
    repair: e.repair.map((r) => ({ ...r, command: repairCommand(g, r.runtime, r.checks) })),
  };
}

export function explanationTable(g: GlobalOptions, e: Explanation): string {
  const p = e.match.pattern;
  const safe = (s: string) => terminalSafe(s);
  const out = [
    `== ${p.title} (${p.speakers.join(", ")}; ${p.id})`,
    `seen${e.match.count > 1 ? ` in ${e.match.count} lines` : ""}: ${safe(shortLine(e.match.line.trim()))}`,
    `from: ${p.sources.map((s) => `${s.repo} ${s.path} (${s.where})`).join("; ")}`,
    `means: ${p.meaning}`,
    e.stores.length === 0
      ? `checked: nothing (no store of ${p.stores.join(", ")} found here)`
      : `checked: ${e.checksRun.join(", ")} on the ${e.stores.join(", ")} store(s)`,
  ];
  if (e.stores.length > 0 && e.findings.length === 0)
    out.push("found: nothing: these checks see no fault on this host's store; the cause lies elsewhere");
  else if (e.findings.length > 0) {
    out.push(
      `found: ${e.findings.length} finding(s)${e.findings.some((f) => f.isNamedByMessage) ? "; * = named by the message" : ""}`,
    );
    const rows = e.findings
      .slice(0, TABLE_FINDINGS)
      .map((f) => [f.isNamedByMessage ? "*" : "", f.severity, f.check, f.runtime, f.path, f.message]);
    out.push(
      renderTable(["", "severity", "check", "store", "path", "message"], rows)
        .trimEnd()
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n"),
    );
    if (e.findings.length > TABLE_FINDINGS)
      out.push(`  … and ${e.findings.length - TABLE_FINDINGS} more (-o json lists them all)`);
  }
  out.push(`next: ${p.next}`);
  for (const r of e.repair)
    out.push(`  ${safe(repairCommand(g, r.runtime, r.checks))}   (the plan; add --apply to carry it out)`);
  return `${out.join("\n")}\n`;
}

/**
 * `crifs explain`: the rendered text (or the chunks of `doctor --quick` for text crifs does not know) and the
 * exit code. Cost: one doctor --quick read of the checks the messages need, per store.
 */
export async function explainCommand(
  g: GlobalOptions,
  args: readonly string[],
  flags: ExplainFlags = {},
): Promise<{ chunks: Iterable<string | Uint8Array>; exitCode: number }> {
  const matcher = await readMessages(args);
  const matches = matcher.matches();
  const doctorFlags = {
    mode: "quick" as const,
    ...(flags.graceSeconds === undefined ? {} : { graceSeconds: flags.graceSeconds }),
    ...(flags.logDirs === undefined ? {} : { logDirs: flags.logDirs }),
  };
  if (matches.length === 0) {
    const unknown = `crifs knows no message in this text (${matcher.lines} line(s)); here is doctor --quick`;
    if (g.output === "table") {
      const r = await doctorCommand(g, doctorFlags);
      return { chunks: [`${unknown}:\n`, ...r.chunks], exitCode: r.exitCode };
    }
    const r = await doctorReport(g, doctorFlags);
    const doctor = { findings: [...eachFinding(r)], summary: r.summary };
    return {
      chunks: [render(g.output, { lines: matcher.lines, matches: [], doctor }, {})],
      exitCode: doctorExitCode(r.summary),
    };
  }
  const stores = storesHere(g);
  if (stores.length === 0)
    note("no runtime store found here: the messages are explained, nothing is checked");
  const explained = await diagnoseMatches(matches, {
    stores,
    doctor: async (runtime, checks) =>
      (await doctorReport({ ...g, runtime }, { ...doctorFlags, checks })).findings as readonly Finding[],
  });
  const shown = explained.flatMap((e) => e.findings);
  const exitCode = doctorExitCode(summarize(shown, [], []));
  const text = render(
    g.output,
    { lines: matcher.lines, matches: explained.map((e) => explanationJson(g, e)), doctor: null },
    { table: () => explained.map((e) => explanationTable(g, e)).join("\n") },
  );
  return { chunks: [text], exitCode };
}

/** `crifs explain` as the command line runs it: its arguments and flags (commander's opts). */
export function explainAction(
  g: GlobalOptions,
  args: readonly string[],
  o: Record<string, unknown>,
): Promise<{ chunks: Iterable<string | Uint8Array>; exitCode: number }> {
  return explainCommand(g, args, {
    graceSeconds: parseGrace(typeof o.grace === "string" ? o.grace : "60"),
    logDirs: logDirFlags(o),
  });
}
