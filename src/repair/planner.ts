// repair/planner.ts — findings in, a Plan out: pure (no I/O). Each finding goes to the action kinds that list
// its check (actions/index.ts); what none mends is `unmended`, with the reason and what a person can do.
//
// Order: file steps (quarantine, symlink) before API calls (a call may need the file moved first); within
// each, deeper first (an action's `depth`, else its path's depth: a child before its parent), then by path.
// Safety: every step's path lies strictly inside the store's root (or, for the kubelet log checks, inside a
// log dir the command looks at) and outside the quarantine; anything else is unmended, never planned.

import { posix } from "node:path";
import type { Finding } from "../checks/check.js";
import { normalPath } from "../fs/normal-path.js";
import type { Store } from "../model/store.js";
import type { ActionKind, PathIdentity, Plan, PlannedAction, Unmended } from "./action.js";
import { actionKinds } from "./actions/index.js";

/** The quarantine's dir name under the store's root (and under a log dir's parent). */
export const QUARANTINE_DIR = ".crifs-quarantine";

/** The checks of kubelet's log dirs: their paths lie in the log dirs, not under the store's root. */
export const LOG_CHECKS: ReadonlySet<string> = new Set([
  "dangling-log-link",
  "log-link-mismatch",
  "orphan-log-dir",
]);

export interface PlannerOptions {
  readonly daemonUp: boolean;
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly graceMs: number;
  /** lstat of the findings' paths (see PlanContext.identities). Default: none taken. */
  readonly identities?: ReadonlyMap<string, PathIdentity>;
  /** The kubelet log dirs the findings were read from (the log checks' steps must lie in one). Default none. */
  readonly logDirs?: readonly string[];
  /** Default: actions/index.ts's list. */
  readonly kinds?: readonly ActionKind[];
}

/** Why no action mends a check's findings, and what a person can do; the finding's remedy otherwise. */
const noAction: Readonly<Record<string, string>> = {
  "metadata-corrupt":
    "crifs never writes the runtime's metadata files: a damaged record is the runtime's to rebuild",
  "unreadable-path": "crifs cannot read it, so it cannot prove it unused",
  "root-link-unsafe": "the root's symlink is the operator's setup, not a leftover",
  "stale-mount": "a mount may be in use by a process crifs cannot see: crifs never unmounts",
  "broken-symlink": "the link is part of an image's or container's content: changing it changes the image",
  "blob-digest-mismatch": "the content is damaged: only a fresh pull mends it",
  "layer-content-mismatch": "the layer's files are damaged: only a fresh pull and unpack mend them",
  "metadata-mismatch": "the runtime's API and its files disagree: a restart of the runtime settles it",
  "log-link-mismatch": "the link points to another container's log: kubelet decides which is right",
  "image-missing-layer": "the image lacks a layer: only a fresh pull mends it",
  "container-missing-layer": "the container lacks a layer: recreate the container",
  "missing-blob": "the content is gone: only a fresh pull brings it back",
  "missing-layer-dir": "the layer's files are gone: only a fresh pull brings them back",
  "incomplete-layer": "the layer was not unpacked whole: remove the image and pull it again",
  "broken-lower": "a layer's lower chain is broken: remove the image and pull it again",
};

/** Whether `path` lies strictly inside `dir` (both absolute; no `..` games: both are normalized). */
export function isInside(path: string, dir: string): boolean {
  const p = normalPath(path);
  const d = normalPath(dir).replace(/\/+$/, "");
  return p.startsWith(`${d}/`) && p.length > d.length + 1;
}

/** A dir as isInside compares it: normalized, without a trailing slash. */
function dirKey(dir: string): string {
  return posix.normalize(dir).replace(/\/+$/, "");
}

/** Whether the normalized `p` lies strictly inside the dir key `d`. */
function liesIn(p: string, d: string): boolean {
  return p.length > d.length + 1 && p.startsWith(`${d}/`);
}

/** Why a step may not touch a path, or null when it may: the root's, the quarantine's and the log dirs'
 * keys made once per plan, each path normalized once (10^4 actions: one normalize each, not six). */
function boundsOf(
  root: string,
  logDirs: readonly string[],
): (path: string, finding: Finding) => string | null {
  const rootKey = dirKey(root);
  const quarantineKey = dirKey(posix.join(root, QUARANTINE_DIR));
  const logKeys = logDirs.map(dirKey);
  return (path, finding) => {
    if (!posix.isAbsolute(path)) return `the path "${path}" is not absolute`;
    const p = normalPath(path);
    if (liesIn(p, quarantineKey) || posix.basename(p) === QUARANTINE_DIR)
      return "it lies in crifs's own quarantine (crifs repair --purge deletes it)";
    if (liesIn(p, rootKey)) return null;
    if (LOG_CHECKS.has(finding.check) && logKeys.some((d) => liesIn(p, d))) return null;
    return `it lies outside the store's root ${root}${LOG_CHECKS.has(finding.check) ? " and the log dirs looked at" : ""}`;
  };
}

/** The number of segments of the path (as split("/") counts them), without the array of them. */
function depthOf(a: Omit<PlannedAction, "seq">): number {
  if (a.depth !== undefined) return a.depth;
  const p = normalPath(a.path);
  let n = 1;
  for (let at = p.indexOf("/"); at >= 0; at = p.indexOf("/", at + 1)) n++;
  return n;
}

/** Plans the repairs of `findings` on `store`. Pure. */
export function planRepairs(findings: readonly Finding[], store: Store, options: PlannerOptions): Plan {
  const kinds = options.kinds ?? actionKinds;
  const root = store.location.root;
  const logDirs = options.logDirs ?? [];
  const ctx = {
    store,
    daemonUp: options.daemonUp,
    now: options.now,
    graceMs: options.graceMs,
    ...(options.identities === undefined ? {} : { identities: options.identities }),
  };
  // the planned actions and their sort keys (made once per action, not once per comparison) in parallel
  // arrays, sorted as indices: no wrapper object, no array of step paths, no closure per finding (10^4 actions)
  const planned: Omit<PlannedAction, "seq">[] = [];
  const phases: number[] = [];
  const depths: number[] = [];
  const unmended: Unmended[] = [];
  const unmend = (f: Finding, reason: string, remedy = f.remedy) =>
    unmended.push({ check: f.check, subject: f.subject, path: f.path, reason, remedy });
  const taken = new Map<string, Finding>(); // step path → the finding that moves it
  const outOfBounds = boundsOf(root, logDirs);
  const kindsOf = new Map<string, ActionKind[]>();
  eachFinding: for (const f of findings) {
    let listing = kindsOf.get(f.check);
    if (listing === undefined) {
      listing = kinds.filter((k) => k.checks.includes(f.check));
      kindsOf.set(f.check, listing);
    }
    if (listing.length === 0) {
      unmend(f, noAction[f.check] ?? `no action kind mends ${f.check} findings`);
      continue;
    }
    let action: Omit<PlannedAction, "seq"> | null = null;
    let reason = "";
    for (const k of listing) {
      const r = k.plan(f, ctx);
      if ("unmended" in r) {
        reason ||= r.unmended;
        continue;
      }
      action = r;
      break;
    }
    if (action === null) {
      unmend(f, reason);
      continue;
    }
    // every step's path (an API call has none) inside the bounds, and moved by no other action
    let phase = 0;
    for (const st of action.steps) {
      if (st.op === "api") {
        phase = 1;
        continue;
      }
      const bad = outOfBounds(st.path, f);
      if (bad !== null) {
        unmend(f, `not touched: ${bad}`);
        continue eachFinding;
      }
    }
    for (const st of action.steps) {
      if (st.op === "api") continue;
      const other = taken.get(st.path);
      if (other !== undefined) {
        unmend(f, `another action already moves ${st.path} (for ${other.check} ${other.subject})`);
        continue eachFinding;
      }
    }
    for (const st of action.steps) if (st.op !== "api") taken.set(st.path, f);
    planned.push(action);
    phases.push(phase);
    depths.push(depthOf(action));
  }
  const order = Array.from({ length: planned.length }, (_, i) => i);
  order.sort((i, j) => {
    const x = planned[i] as Omit<PlannedAction, "seq">;
    const y = planned[j] as Omit<PlannedAction, "seq">;
    return (
      (phases[i] as number) - (phases[j] as number) ||
      (depths[j] as number) - (depths[i] as number) ||
      (x.path < y.path ? -1 : x.path > y.path ? 1 : 0) ||
      (x.check < y.check ? -1 : x.check > y.check ? 1 : 0)
    );
  });
  const actions = order.map((i, k) => ({ seq: k + 1, ...(planned[i] as Omit<PlannedAction, "seq">) }));
  return {
    runtime: store.location.runtime,
    root,
    createdAt: new Date(options.now).toISOString(),
    daemonUp: options.daemonUp,
    actions,
    unmended,
    bytes: actions.reduce((n, a) => n + (a.bytes ?? 0), 0),
  };
}
