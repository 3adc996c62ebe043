// repair/actions/api-content-delete.ts — the action kind that deletes an unreferenced blob record through
// containerd's own Content.Delete (never by writing meta.db): containerd removes the file with the last
// namespace's record of it.
//
//   unreferenced-blob  a blob record no image, lease, gc.root label or other blob's gc.ref.content label
//                      reaches (the check says so from the metadata; the applier re-proves it through the API
//                      just before the call: Adapter.checkApiRequest)
//
// A blob FILE with no record in any namespace has nothing the API can delete: unmended here (containerd
// deletes such a file after its next content removal).
//
// Order: `depth` is the blob's height in the graph of gc.ref.content labels among the store's blobs (a
// manifest above its config and layers), so a referrer is deleted before what it references, and the
// re-check of the referenced blob then finds no label naming it.

import type { Finding } from "../../checks/check.js";
import type { Blob, Store } from "../../model/store.js";
import type { ActionKind, PlanContext, PlannedAction } from "../action.js";
import { containerdSubject, ctrCall, notContainerd } from "./api-words.js";

const GC_REF_CONTENT = "containerd.io/gc.ref.content";
/** Bound on the label graph's height (a cycle or a very deep graph ends there). */
const MAX_HEIGHT = 64;

/** How many gc.ref.content hops lie below `digest` in its namespace (0: it references nothing). */
function height(store: Store, namespace: string, digest: string): number {
  const byDigest = new Map<string, Blob>();
  for (const b of store.blobs) if (b.namespace === namespace) byDigest.set(b.digest, b);
  const memo = new Map<string, number>();
  const walk = (d: string, depth: number): number => {
    const hit = memo.get(d);
    if (hit !== undefined) return hit;
    if (depth >= MAX_HEIGHT) return 0;
    memo.set(d, 0); // a cycle ends here
    const b = byDigest.get(d);
    let h = 0;
    for (const [k, v] of Object.entries(b?.labels ?? {}))
      if (k.startsWith(GC_REF_CONTENT) && byDigest.has(v)) h = Math.max(h, 1 + walk(v, depth + 1));
    memo.set(d, h);
    return h;
  };
  return walk(digest, 0);
}

/** Deletes an unreferenced blob record through containerd's Content service (daemon up). Pure. */
export const apiContentDelete: ActionKind = {
  id: "api-content-delete",
  checks: ["unreferenced-blob"],
  plan(finding: Finding, ctx: PlanContext): Omit<PlannedAction, "seq"> | { readonly unmended: string } {
    if (finding.check !== "unreferenced-blob")
      return { unmended: `api-content-delete does not mend ${finding.check}` };
    const off = notContainerd(ctx, finding);
    if (off !== null) return { unmended: off };
    const subject = containerdSubject(finding, "blob");
    if (subject === null)
      return {
        unmended:
          "the file has no record in any namespace, so containerd's API cannot delete it; containerd deletes it after its next content removal",
      };
    const { namespace, rest: digest } = subject;
    const blob = ctx.store.blobs.find((b) => b.namespace === namespace && b.digest === digest);
    if (blob === undefined) return { unmended: `blob ${namespace}/${digest} is not in the store read` };
    const call = ctrCall(namespace, ["content", "rm", digest]);
    return {
      kind: "api-content-delete",
      check: finding.check,
      subject: finding.subject,
      path: finding.path,
      why: "no image, lease, gc.root label or other blob references it; containerd's own GC would delete it",
      bytes: finding.bytes,
      daemon: "up",
      depth: height(ctx.store, namespace, digest),
      steps: [{ op: "api", call, request: { api: "containerd.content.delete", namespace, digest } }],
      guards: [
        { guard: "still-found", check: finding.check, path: finding.path },
        { guard: "unreferenced", path: finding.path },
      ],
    };
  },
};
