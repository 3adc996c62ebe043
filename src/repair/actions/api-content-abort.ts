// repair/actions/api-content-abort.ts — the action kind that aborts an abandoned ingest that has a record,
// through containerd's own Content.Abort (never by writing meta.db): containerd removes the record and the
// ingest dir together.
//
//   stale-ingest  WITH a record (subject `ingest <namespace>/<ref>`): expired, or not written to for the
//                 grace period. An ingest dir without a record is a file-level leftover (the quarantine
//                 kind's); the applier re-proves through the API just before the call that the ingest is
//                 still there, unwritten and held by no lease (Adapter.checkApiRequest).
//
// ctr has no command that aborts an ingest: the plan's `call` names the gRPC method and its request.

import type { Finding } from "../../checks/check.js";
import type { ActionKind, PlanContext, PlannedAction } from "../action.js";
import { containerdSubject, notContainerd, shellWord } from "./api-words.js";

/** Aborts an abandoned ingest through containerd's Content service (daemon up). Pure. */
export const apiContentAbort: ActionKind = {
  id: "api-content-abort",
  checks: ["stale-ingest"],
  plan(finding: Finding, ctx: PlanContext): Omit<PlannedAction, "seq"> | { readonly unmended: string } {
    if (finding.check !== "stale-ingest")
      return { unmended: `api-content-abort does not mend ${finding.check}` };
    const off = notContainerd(ctx, finding);
    if (off !== null) return { unmended: off };
    const subject = containerdSubject(finding, "ingest");
    if (subject === null || finding.subject.startsWith("ingest dir "))
      return {
        unmended:
          "it has no ingest record: nothing for containerd's API to abort (the dir is a file-level leftover)",
      };
    const { namespace, rest: ref } = subject;
    const rec = ctx.store.ingests.find((i) => i.namespace === namespace && i.ref === ref);
    if (rec === undefined) return { unmended: `ingest ${namespace}/${ref} is not in the store read` };
    const held = ctx.store.leases.find((l) => l.namespace === namespace && l.resources.ingests.includes(ref));
    if (held !== undefined)
      return {
        unmended: `lease "${held.id}" holds it: whoever took the lease may still resume the download`,
      };
    const call = `grpc containerd.services.content.v1.Content/Abort ref=${shellWord(ref)} (namespace ${namespace}; ctr has no command for it: crifs repair --apply makes the call)`;
    return {
      kind: "api-content-abort",
      check: finding.check,
      subject: finding.subject,
      path: finding.path,
      why: `it expired or nothing wrote to it for the grace period${rec.expiresAt === null ? "" : ` (it expires at ${rec.expiresAt})`}: an abandoned download; containerd aborts it too once it expires`,
      bytes: finding.bytes,
      daemon: "up",
      steps: [{ op: "api", call, request: { api: "containerd.content.abort", namespace, ref } }],
      guards: [
        { guard: "still-found", check: finding.check, path: finding.path },
        { guard: "unreferenced", path: finding.path },
      ],
    };
  },
};
