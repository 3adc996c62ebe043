// repair/actions/api-snapshot-remove.ts — the action kind that removes a containerd snapshot record through
// containerd's own Snapshots.Remove (never by writing meta.db): containerd then removes its dir too.
//
//   unreferenced-snapshot  a committed snapshot nothing holds (containerd's next GC pass would take it)
//   missing-snapshot-dir   a record whose dir is gone: nothing can mount it
//   dangling-parent        never planned: containerd itself refuses to remove a snapshot whose parent record
//                          is gone ("parent snapshot base does not exist: not found", seen on the bed's F6 with
//                          containerd 1.6), so the finding stays unmended with that reason and its remedy
//
// Refused at plan time (unmended, with the call to make by hand): a record a container, lease, image or
// gc.root label still names. Just before the call the applier re-proves it through the API
// (Adapter.checkApiRequest: no child, container, lease or image config names it).
//
// Order: `depth` is the record's number of parents, so a child (deeper) is removed before its parent; a
// parent with children left is refused by containerd itself ("cannot remove snapshot with child").

import type { Finding } from "../../checks/check.js";
import { SnapshotIndex } from "../../model/chain.js";
import type { Snapshot, Store } from "../../model/store.js";
import type { ActionKind, ApiRequest, PlanContext, PlannedAction } from "../action.js";
import { containerdSubject, ctrCall, notContainerd } from "./api-words.js";

const GC_ROOT = "containerd.io/gc.root";

const why: Readonly<Record<string, string>> = {
  "unreferenced-snapshot":
    "no image, container, lease, gc.root label or child holds it; containerd's own GC would remove it",
  "missing-snapshot-dir": "its dir is gone, so nothing can mount it; no container, lease or image names it",
};

/** What still names the snapshot in the store read at plan time, or null. */
function holder(store: Store, s: { namespace: string; snapshotter: string; key: string }): string | null {
  const c = store.containers.find(
    (x) => x.namespace === s.namespace && x.snapshotter === s.snapshotter && x.snapshotKey === s.key,
  );
  if (c !== undefined) return `container "${c.id}" uses it: remove the container first`;
  const ref = `${s.snapshotter}/${s.key}`;
  const l = store.leases.find((x) => x.namespace === s.namespace && x.resources.snapshots.includes(ref));
  if (l !== undefined) return `lease "${l.id}" holds it: whoever took the lease still needs it`;
  const i = store.images.find((x) => x.namespace === s.namespace && x.snapshotKeys.includes(s.key));
  if (i !== undefined)
    return `image "${i.name}" unpacks to it: remove the image (ctr -n ${s.namespace} images rm ${i.name}) and pull it again`;
  return null;
}

const DANGLING_PARENT =
  'containerd refuses to remove a snapshot whose parent record is gone ("parent snapshot … does not exist"), and no API call mends a parent link';

/** Removes a snapshot record through containerd's Snapshots service (daemon up). Pure. */
export const apiSnapshotRemove: ActionKind = {
  id: "api-snapshot-remove",
  checks: [...Object.keys(why), "dangling-parent"],
  plan(finding: Finding, ctx: PlanContext): Omit<PlannedAction, "seq"> | { readonly unmended: string } {
    if (finding.check === "dangling-parent") return { unmended: `${DANGLING_PARENT}; ${finding.remedy}` };
    const reason = why[finding.check];
    if (reason === undefined) return { unmended: `api-snapshot-remove does not mend ${finding.check}` };
    const off = notContainerd(ctx, finding);
    if (off !== null) return { unmended: off };
    const subject = containerdSubject(finding, "snapshot");
    const slash = subject?.rest.indexOf("/") ?? -1;
    if (subject === null || slash <= 0)
      return { unmended: `cannot tell the snapshot from "${finding.subject}"; ${finding.remedy}` };
    const namespace = subject.namespace;
    const snapshotter = subject.rest.slice(0, slash);
    const key = subject.rest.slice(slash + 1);
    const index = new SnapshotIndex(ctx.store.snapshots);
    const s: Snapshot | undefined = index.get(namespace, snapshotter, key);
    // missing-snapshot-dir also reports a meta.db record its snapshotter lost: not in the model, yet removable
    if (s === undefined && finding.check !== "missing-snapshot-dir")
      return { unmended: `snapshot ${namespace}/${snapshotter}/${key} is not in the store read` };
    const call = ctrCall(namespace, ["snapshots", "--snapshotter", snapshotter, "rm", key]);
    const held = holder(ctx.store, { namespace, snapshotter, key });
    if (held !== null) return { unmended: `${held}; then: ${call}` };
    if (s?.labels[GC_ROOT] !== undefined)
      return { unmended: `it is labelled ${GC_ROOT} (someone pinned it): if it is not needed, ${call}` };
    const request: ApiRequest = { api: "containerd.snapshots.remove", namespace, snapshotter, key };
    return {
      kind: "api-snapshot-remove",
      check: finding.check,
      subject: finding.subject,
      path: finding.path,
      why: reason,
      bytes: finding.bytes,
      daemon: "up",
      depth: s === undefined ? 0 : index.chain(s).parents.length,
      steps: [{ op: "api", call, request }],
      guards: [
        { guard: "still-found", check: finding.check, path: finding.path },
        { guard: "not-mounted", path: finding.path },
        { guard: "unreferenced", path: finding.path },
      ],
    };
  },
};
