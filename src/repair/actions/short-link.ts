// repair/actions/short-link.ts — the action kind that mends an overlay driver's `<home>/l/<short>` links
// (containers/storage's overlay/l, docker's overlay2/l), exactly as the driver makes them: a relative symlink
// `l/<short>` -> `../<layer dir>/diff`, where <short> is what the layer's `link` file says (the model carries
// it as the layer's lowerPath, read by the loader from that file).
//
//   missing-short-link   a layer's link is missing: a `symlink` step makes it; a link of that name that
//                        points elsewhere is first moved into the quarantine (a `quarantine` step), then made
//                        again
//   dangling-short-link  a link to a layer dir that is gone, that no layer's `link` file names: moved into
//                        the quarantine. One that a layer names is the missing-short-link action's to replace.
//
// Undo: the made link goes into the quarantine and the moved one comes back. No daemon is needed: podman and
// CRI-O remake a missing link themselves the next time they use the layer, docker never touches l/ but when it
// makes or removes a layer.

import { posix } from "node:path";
import type { Finding } from "../../checks/check.js";
import type { Snapshot } from "../../model/store.js";
import type { ActionKind, Guard, PlanContext, PlannedAction, Step } from "../action.js";

/** The layer whose `link` file names the short link at `path`; the subject's id decides between several. */
function claimant(ctx: PlanContext, path: string, subject: string): Snapshot | undefined {
  const named = ctx.store.snapshots.filter((s) => s.lowerPath === path);
  return named.find((s) => subject === `layer ${s.id}`) ?? named[0];
}

/** `../<layer dir>/diff` as seen from the link's dir, or null when the layer's files are not beside l/. */
function targetOf(path: string, layer: Snapshot): string | null {
  const t = posix.relative(posix.dirname(path), layer.path);
  return /^\.\.\/[^/]+\/diff$/.test(t) ? t : null;
}

/** The guards of a path the plan saw: still found, not mounted, the same inode, named by no record. */
function guardsOf(finding: Finding, ctx: PlanContext, exists: boolean): Guard[] {
  const id = ctx.identities?.get(finding.path);
  return [
    { guard: "still-found", check: finding.check, path: finding.path },
    ...(exists
      ? [
          { guard: "not-mounted" as const, path: finding.path },
          // the identity's numbers named: it may be a listing's fact with more fields than these
          ...(id === undefined
            ? []
            : [
                {
                  guard: "unchanged" as const,
                  path: finding.path,
                  dev: id.dev,
                  ino: id.ino,
                  ctimeMs: id.ctimeMs,
                },
              ]),
        ]
      : []),
  ];
}

const CHECKS: readonly string[] = ["missing-short-link", "dangling-short-link"];

/** Rebuilds or moves aside an overlay driver's l/ short link. Pure. */
export const shortLink: ActionKind = {
  id: "short-link",
  checks: CHECKS,
  plan(finding: Finding, ctx: PlanContext): Omit<PlannedAction, "seq"> | { readonly unmended: string } {
    if (!CHECKS.includes(finding.check)) return { unmended: `short-link does not mend ${finding.check}` };
    if (ctx.store.location.runtime === "containerd")
      return { unmended: "containerd's snapshotter keeps no l/ short links" };
    const path = finding.path;
    const layer = claimant(ctx, path, finding.subject);
    // the plan saw the path (identities), else the check's words say whether a link is there at all
    const exists =
      ctx.identities?.has(path) ??
      (finding.check === "dangling-short-link" || !/ is missing: /.test(finding.message));
    const base = {
      kind: "short-link",
      check: finding.check,
      subject: finding.subject,
      path,
      bytes: 0,
      daemon: "either" as const,
    };
    if (layer === undefined) {
      if (finding.check === "missing-short-link")
        return { unmended: `no layer read names ${path} in its link file any more` };
      return {
        ...base,
        why: "its layer dir is gone and no layer's link file names it: nothing can use it",
        steps: [{ op: "quarantine", path }],
        guards: [...guardsOf(finding, ctx, true), { guard: "unreferenced", path }],
      };
    }
    if (finding.check === "dangling-short-link")
      return {
        unmended: `layer ${layer.id} names it in its link file: the missing-short-link action makes it point to that layer again`,
      };
    const target = targetOf(path, layer);
    if (target === null)
      return { unmended: `layer ${layer.id}'s files (${layer.path}) are not beside ${posix.dirname(path)}` };
    const steps: Step[] = [
      ...(exists ? [{ op: "quarantine" as const, path }] : []),
      { op: "symlink", path, target },
    ];
    return {
      ...base,
      why: `layer ${layer.id}'s link file names it; the driver makes it as ${target}`,
      steps,
      guards: guardsOf(finding, ctx, exists),
    };
  },
};
