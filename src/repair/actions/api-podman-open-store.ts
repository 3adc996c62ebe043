// repair/actions/api-podman-open-store.ts — the action kind that lets containers/storage remove a layer it
// flagged incomplete (an interrupted pull or removal), through podman's own CLI: c/storage deletes such a
// layer, record, dir and l/ link, the next time podman opens the store for writing (`podman images` does it:
// "Found incomplete layer …, deleting it", seen with podman 4.3). crifs never edits layers.json itself.
//
//   incomplete-layer  flagged incomplete (the finding's path is the layer's dir). A layer dir without diff/
//                     is not c/storage's to clean up: unmended, with the finding's remedy.
//
// c/storage deletes an incomplete layer whatever stands on it, so one an image, a container or a child layer
// still names is refused here (unmended): removing the image first is the operator's choice, not crifs's.
// CRI-O has no command that opens the store: unmended (CRI-O cleans up when it starts).

import type { Finding } from "../../checks/check.js";
import type { ActionKind, PlanContext, PlannedAction } from "../action.js";
import { shellWord } from "./api-words.js";

/** Lets podman's containers/storage delete a layer it flagged incomplete. Pure. */
export const apiPodmanOpenStore: ActionKind = {
  id: "api-podman-open-store",
  checks: ["incomplete-layer"],
  plan(finding: Finding, ctx: PlanContext): Omit<PlannedAction, "seq"> | { readonly unmended: string } {
    if (finding.check !== "incomplete-layer")
      return { unmended: `api-podman-open-store does not mend ${finding.check}` };
    const { runtime, root, state } = ctx.store.location;
    if (runtime !== "podman")
      return {
        unmended: `only podman has a command that makes containers/storage clean up; ${finding.remedy}`,
      };
    const id = /^layer (\S+)$/.exec(finding.subject)?.[1];
    const layer = ctx.store.snapshots.find((s) => s.id === id);
    if (layer === undefined) return { unmended: `layer ${id ?? finding.subject} is not in the store read` };
    if (finding.path !== layer.dir)
      return {
        unmended: `its dir has no diff/: containers/storage does not clean that up; ${finding.remedy}`,
      };
    const image = ctx.store.images.find((i) => i.snapshotKeys.includes(layer.key));
    const container = ctx.store.containers.find((c) => c.snapshotKey === layer.key);
    const child = ctx.store.snapshots.find(
      (s) => s.parent === layer.key && s.snapshotter === layer.snapshotter,
    );
    const holder =
      image !== undefined
        ? `image ${image.name}`
        : container !== undefined
          ? `container ${container.names?.[0] ?? container.id}`
          : child !== undefined
            ? `layer ${child.id}`
            : null;
    if (holder !== null)
      return {
        unmended: `${holder} stands on it, and containers/storage would delete it under them; ${finding.remedy}`,
      };
    const argv = [
      ...["--root", root],
      ...(state === null ? [] : ["--runroot", state]),
      ...["--storage-driver", layer.snapshotter, "images", "--quiet"],
    ];
    return {
      kind: "api-podman-open-store",
      check: finding.check,
      subject: finding.subject,
      path: finding.path,
      why: "containers/storage flagged it incomplete and deletes it itself when podman opens the store; no image, container or layer stands on it",
      bytes: finding.bytes,
      daemon: "either",
      steps: [
        {
          op: "api",
          call: ["podman", ...argv].map(shellWord).join(" "),
          request: { api: "podman.command", argv },
        },
      ],
      guards: [
        { guard: "still-found", check: finding.check, path: finding.path },
        { guard: "not-mounted", path: finding.path },
        { guard: "unreferenced", path: finding.path },
      ],
    };
  },
};
