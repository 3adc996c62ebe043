// repair/actions/quarantine.ts — the action kind that mends file-level leftovers: it moves the path into the
// run's quarantine (a rename on the same filesystem; `crifs repair --undo` renames it back, `--purge` deletes
// it). One small table row per check says why the move is safe; the guards make the applier prove it again
// just before the move: the check still finds it, nothing mounts it, it is the same inode, no record names it.
//
//   orphan-snapshot-dir   containerd snapshots/<id> (incl. new-* and rm-*) no record names
//   orphan-layer-dir      c/storage overlay/<id>, docker overlay2/<id> no layer record names, with its
//                         short link l/<short> when there is one (it would dangle)
//   tmpmount-leftover     an unmounted <root>/tmpmounts/<name>
//   stale-ingest          an ingest dir WITHOUT a record (with one, containerd's content service aborts it)
//   dangling-log-link     /var/log/containers/<name>.log whose target is gone
//   orphan-log-dir        /var/log/pods/<ns>_<pod>_<uid> of a pod no runtime knows

import { dirname, join } from "node:path";
import type { Finding } from "../../checks/check.js";
import type { ActionKind, Guard, PlanContext, PlannedAction, Step } from "../action.js";

interface Row {
  /** Why moving it aside is safe, in the runtime's words. */
  readonly why: (f: Finding) => string;
  /** The reason not to act on this finding, or null. */
  readonly refuse?: (f: Finding) => string | null;
}

const rows: Readonly<Record<string, Row>> = {
  "orphan-snapshot-dir": {
    why: (f) =>
      `no snapshot record (meta.db or the snapshotter's own) names ${f.subject.replace(/^\S+ dir /, "dir ")}, so nothing can mount it; containerd's GC would remove it too`,
  },
  "orphan-layer-dir": {
    why: () => "no layer record names it, and no record names it as a parent: nothing can mount it",
  },
  "tmpmount-leftover": {
    why: () => "a temporary mount point containerd left behind, not mounted; containerd never reuses it",
  },
  "stale-ingest": {
    why: () => "a partial download no ingest record names: nothing can resume it",
    refuse: (f) =>
      f.subject.startsWith("ingest dir ")
        ? null
        : "it has an ingest record: only containerd's content service may abort it (daemon up)",
  },
  "dangling-log-link": {
    why: () => "its target log file is gone; kubelet removes such a link with the container it names",
  },
  "orphan-log-dir": {
    why: () => "no runtime knows its pod; kubelet removes such a dir when it deletes the pod",
  },
};

/** The overlay driver's short link of an orphan layer dir, as orphan-layer-dir's remedy names it (read from
 * the dir's `link` file): `<home>/l/<short>`; it points into the dir, and would dangle once the dir is moved. */
function shortLinkOf(f: Finding): string | null {
  if (f.check !== "orphan-layer-dir") return null;
  const m = /\(and its short link l\/([A-Za-z0-9]+), if any\)/.exec(f.remedy);
  return m === null ? null : join(dirname(f.path), "l", m[1] as string);
}

/** Paths beside a finding's own that its action may move too (the caller lstats them into the identities;
 * one that is not there is left out of the plan). */
export function companionPaths(f: Finding): string[] {
  const link = shortLinkOf(f);
  return link === null ? [] : [link];
}

/** Moves an orphan file or dir into the quarantine. Pure: the guards carry what the applier re-proves. */
export const quarantine: ActionKind = {
  id: "quarantine",
  checks: Object.keys(rows),
  plan(finding: Finding, ctx: PlanContext): Omit<PlannedAction, "seq"> | { readonly unmended: string } {
    const row = rows[finding.check];
    if (row === undefined) return { unmended: `the quarantine does not mend ${finding.check}` };
    const refused = row.refuse?.(finding) ?? null;
    if (refused !== null) return { unmended: refused };
    const id = ctx.identities?.get(finding.path);
    if (ctx.identities !== undefined && id === undefined)
      return { unmended: "it is gone since the findings were read" };
    // the layer dir's short link goes with it (first: it points into the dir), when it is there
    const link = shortLinkOf(finding);
    const linkId = link === null ? undefined : ctx.identities?.get(link);
    // built by push, each identity's numbers named (no spread of it, no array per optional part): 10^4 actions
    const path = finding.path;
    const guards: Guard[] = [
      { guard: "still-found", check: finding.check, path },
      { guard: "not-mounted", path },
    ];
    if (id !== undefined)
      guards.push({ guard: "unchanged", path, dev: id.dev, ino: id.ino, ctimeMs: id.ctimeMs });
    guards.push({ guard: "unreferenced", path });
    const steps: Step[] = [];
    if (link !== null && linkId !== undefined) {
      guards.push(
        { guard: "unchanged", path: link, dev: linkId.dev, ino: linkId.ino, ctimeMs: linkId.ctimeMs },
        { guard: "unreferenced", path: link },
      );
      steps.push({ op: "quarantine", path: link });
    }
    steps.push({ op: "quarantine", path });
    return {
      kind: "quarantine",
      check: finding.check,
      subject: finding.subject,
      path: finding.path,
      why: row.why(finding),
      bytes: finding.bytes,
      daemon: "either",
      steps,
      guards,
    };
  },
};
