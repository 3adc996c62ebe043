// cli/commands/clone-merged.ts — `crifs clone --merged`: a container's (or an image's) merged root as its kernel
// would show it, read from the layer dirs with nothing mounted (src/overlay/: whiteouts and opaque dirs applied,
// overlay's own xattrs left out). Its own module, loaded by clone.ts only for --merged: the overlay view and
// export's modules (a tar writer among them) are not what a clone of one dir waits for.

import { lstatSync } from "node:fs";
import { copyEntries } from "../../copy/copy-tree.js";
import { compareManifests, manifestOf, readManifest } from "../../copy/manifest.js";
import type { CopyMode } from "../../copy/plan-copy-mode.js";
import { fsPath } from "../../fs/name-codec.js";
import { readAllXattrs, removeXattr } from "../../fs/xattr.js";
import type { Store } from "../../model/store.js";
import { isOverlayPrivateXattr, mergedEntries } from "../../overlay/merged-entries.js";
import { resolveRef } from "../resolve-ref.js";
import { type CloneOptions, type CloneReport, planClone } from "./clone.js";
import { exportView } from "./export.js";

/**
 * --merged: the merged tree of a container (its writable layer over its image's) or an image, copied entry by
 * entry from the layer dir that provides each (copyEntries), then overlay's own attributes (opaque markers)
 * taken off the copy (opaque markers on dirs, copy-up's origin on files), as the mount hides them. --verify compares the copy with the merged view.
 * Cost: one walk of the merged tree (a readdir per layer of each dir), the copy, an llistxattr per dir.
 */
export async function cloneMerged(stores: readonly Store[], o: CloneOptions): Promise<CloneReport> {
  const t = resolveRef(stores, o.ref, ["container", "image"]);
  const view = exportView(stores, o.ref);
  const top = view.layers[0] ?? "/";
  const subject =
    t.type === "container"
      ? `container ${t.container.namespace === "" ? "" : `${t.container.namespace}/`}${t.container.id} (merged)`
      : `image ${t.type === "image" ? t.image.name : o.ref} (merged)`;
  const writable = t.type === "container" ? `container ${t.container.id}'s writable layer` : null;
  const { dest, parentFs, requested, plan } = planClone(top, o, writable, view.layers.slice(1));
  const marked: { rel: string; isSymlink: boolean }[] = []; // entries that carry overlay's own attributes
  const entries = function* () {
    for (const e of mergedEntries(view)) {
      // copy-up leaves trusted.overlay.origin on files, opaque dirs carry trusted.overlay.opaque: the mount
      // shows neither, so neither stays on the copy
      if (readAllXattrs(e.hostPath).some(([n]) => isOverlayPrivateXattr(n)))
        marked.push({ rel: e.rel, isSymlink: e.kind === "symlink" });
      // a dir's times are set from this stat after its contents: to the nanosecond (a Stats has microseconds)
      const stat = e.kind === "dir" ? lstatSync(fsPath(e.hostPath), { bigint: true }) : e.stats;
      yield { rel: e.rel, abs: e.hostPath, stat };
    }
  };
  const copied = await copyEntries(entries(), dest, { mode: plan.mode });
  const warnings = [...copied.warnings];
  for (const { rel, isSymlink } of marked) {
    const at = rel === "" ? dest : `${dest}/${rel}`;
    const p = fsPath(at);
    for (const [n] of readAllXattrs(at)) {
      if (!isOverlayPrivateXattr(n)) continue;
      if (typeof p === "string") removeXattr(p, n, { noFollow: isSymlink });
      else warnings.push({ path: rel, message: `kept overlay's ${n}: the name is not UTF-8` });
    }
  }
  let verify: CloneReport["verify"] = null;
  if (o.verify === true) {
    const a = manifestOf(
      (function* () {
        for (const e of mergedEntries(view)) yield { rel: e.rel, abs: e.hostPath };
      })(),
      { hideXattr: isOverlayPrivateXattr },
    );
    const differences = compareManifests(a, readManifest(dest));
    verify = { entries: a.length, isEqual: differences.length === 0, differences };
  }
  const mode: CopyMode = plan.mode === "auto" ? (copied.reflinkedBytes > 0 ? "reflink" : "copy") : plan.mode;
  return {
    subject,
    source: `${view.layers.length} layer dirs merged, top ${top}`,
    dest,
    requestedMode: requested,
    mode,
    destFilesystem: parentFs.name,
    notes: plan.notes,
    copied: { ...copied, warnings },
    verify,
  };
}
