// explain/diagnose.ts — the diagnosis runner of `crifs explain`: for the messages found (match.ts), which
// doctor checks to run on which of this host's stores, each store's checks run once for all the messages, and
// each message given the findings of its own checks, those its lines name first (a finding whose path or
// subject is a path, id or digest the message quotes). The checks themselves run through `doctor`, a function
// the command passes in (doctor's two reads, its grace period, its store flags), so this file does no I/O.

import { appliesTo, type Finding, findingKey } from "../checks/check.js";
import { checkById } from "../checks/index.js";
import type { RuntimeId } from "../model/store.js";
import { actionKinds } from "../repair/actions/index.js";
import type { MessageMatch } from "./match.js";

export interface ExplainedFinding extends Finding {
  /** The store it was found in. */
  readonly runtime: RuntimeId;
  /** Whether the message's lines name its path (or a path below it), the id or digest in its path or subject,
   * or (quoted) the key or name its subject ends with. */
  readonly isNamedByMessage: boolean;
}

/** What crifs repair can do about a message's findings in one store. */
export interface RepairHint {
  readonly runtime: RuntimeId;
  /** The checks among the findings that crifs repair mends (repair/actions), in the message's order. */
  readonly checks: readonly string[];
}

export interface Explanation {
  readonly match: MessageMatch;
  /** The stores whose checks ran for it (a message of one runtime is not looked for in another's store). */
  readonly stores: readonly RuntimeId[];
  /** Its checks that ran on at least one of them. */
  readonly checksRun: readonly string[];
  /** The findings of those checks, the ones its lines name first, then worst first. */
  readonly findings: readonly ExplainedFinding[];
  readonly repair: readonly RepairHint[];
}

export interface DiagnoseOptions {
  /** The stores found on this host (or named by the flags), by runtime. */
  readonly stores: readonly RuntimeId[];
  /** Runs these checks on that store, as doctor does, and returns what both its reads found. */
  readonly doctor: (runtime: RuntimeId, checks: readonly string[]) => Promise<readonly Finding[]>;
}

/** The checks among `ids` that apply to a store of `runtime`, in order. */
export function checksFor(ids: readonly string[], runtime: RuntimeId): string[] {
  return ids.filter((id) => {
    const c = checkById(id);
    return c !== undefined && appliesTo(c, runtime);
  });
}

/** Which checks each store runs: the union of the checks of the messages that speak of it. */
export function planDiagnosis(
  matches: readonly MessageMatch[],
  stores: readonly RuntimeId[],
): Map<RuntimeId, string[]> {
  const plan = new Map<RuntimeId, string[]>();
  for (const runtime of stores) {
    const ids = new Set<string>();
    for (const m of matches) {
      if (!m.pattern.stores.includes(runtime)) continue;
      for (const id of checksFor(m.pattern.checks, runtime)) ids.add(id);
    }
    if (ids.size > 0) plan.set(runtime, [...ids]);
  }
  return plan;
}

/** Whether a finding is what the names of a message speak of. */
export function isNamedBy(f: Finding, names: readonly string[]): boolean {
  const last = f.subject.split(/[ /]/).at(-1);
  return names.some((n) => {
    if (n.startsWith("/")) return f.path === n || n.startsWith(`${f.path}/`);
    const hex = /^(?:sha256:)?([0-9a-f]{12,64})$/.exec(n)?.[1];
    // an id or digest anywhere in the path or subject; a quoted key or name as the subject's last word
    return hex !== undefined ? f.path.includes(hex) || f.subject.includes(hex) : last === n;
  });
}

const severityOrder = { error: 0, warning: 1, info: 2 } as const;

/** The checks crifs repair has an action kind for. */
const REPAIRED = new Set(actionKinds.flatMap((k) => k.checks));

/** Runs each store's checks once and gives every message the findings of its own checks. */
export async function diagnoseMatches(
  matches: readonly MessageMatch[],
  options: DiagnoseOptions,
): Promise<Explanation[]> {
  const plan = planDiagnosis(matches, options.stores);
  const found = new Map<RuntimeId, readonly Finding[]>();
  for (const [runtime, checks] of plan) found.set(runtime, await options.doctor(runtime, checks));
  return matches.map((match) => {
    const stores = [...plan.keys()].filter((r) => match.pattern.stores.includes(r));
    const checksRun = match.pattern.checks.filter((id) => stores.some((r) => checksFor([id], r).length > 0));
    const seen = new Set<string>();
    const findings: ExplainedFinding[] = [];
    for (const runtime of stores) {
      for (const f of found.get(runtime) ?? []) {
        if (!match.pattern.checks.includes(f.check)) continue;
        // kubelet's log dirs are the host's: each store's doctor run finds the same log findings once
        const key = findingKey(f);
        if (seen.has(key)) continue;
        seen.add(key);
        findings.push({ ...f, runtime, isNamedByMessage: isNamedBy(f, match.names) });
      }
    }
    const rank = (f: ExplainedFinding) =>
      (f.isNamedByMessage ? 0 : 100) + severityOrder[f.severity] * 10 + match.pattern.checks.indexOf(f.check);
    findings.sort((a, b) => rank(a) - rank(b));
    const repair = stores.flatMap((runtime) => {
      const checks = match.pattern.checks.filter(
        (id) => REPAIRED.has(id) && findings.some((f) => f.runtime === runtime && f.check === id),
      );
      return checks.length === 0 ? [] : [{ runtime, checks }];
    });
    return { match, stores, checksRun, findings, repair };
  });
}
