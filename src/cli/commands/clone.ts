// cli/commands/clone.ts — `crifs clone <container|snapshot|layer> DEST [--mode …] [--verify] [--force]`: a copy
// of one snapshot's own dir (containerd's snapshots/<id>/fs, a containers/storage layer's diff, a docker
// overlay2 layer's diff, a container's writable dir) made by the faithful copier (src/copy/), crash-safe
// (a temp dir renamed into place), optionally verified by comparing the manifests of both trees. With
// --merged: a container's (or an image's) merged root as its kernel would show it, read from the layer dirs
// with nothing mounted (src/overlay/: whiteouts and opaque dirs applied, overlay's own xattrs left out).
// JSON contract: docs/json.md#clone. Exit 1 when --verify finds a difference.

import { lstatSync } from "node:fs";
import { resolve } from "node:path";
import { type CopyResult, checkDestination, copyTree, filesystemOf } from "../../copy/copy-tree.js";
import { compareManifests, type ManifestDifference, readManifest } from "../../copy/manifest.js";
import { type CopyMode, copyModes, planCopyMode } from "../../copy/plan-copy-mode.js";
import { CrifsError } from "../../errors.js";
import { checkLayersInRoot } from "../../fs/layers-in-root.js";
import { fsPath } from "../../fs/name-codec.js";
import type { Snapshot, Store } from "../../model/store.js";
import { humanBytes, render, renderLines } from "../render/format.js";
import { resolveRef } from "../resolve-ref.js";
import { type GlobalOptions, loadOptions, openStores, storeAdapters } from "../stores.js";
import { snapshotOf } from "./mounts.js";

export interface CloneOptions {
  readonly ref: string;
  readonly dest: string;
  /** Default "auto". */
  readonly mode?: CopyMode;
  /** Compare the manifests of both trees afterwards. Default false. */
  readonly verify?: boolean;
  /** Hardlink a writable source anyway. Default false. */
  readonly force?: boolean;
  /** The merged root of a container or image instead of one dir. Default false. */
  readonly merged?: boolean;
}

/** The differences --verify prints at most (the JSON carries as many). */
const SHOWN_DIFFERENCES = 20;

export interface CloneReport {
  readonly subject: string;
  readonly source: string;
  readonly dest: string;
  readonly requestedMode: CopyMode;
  readonly mode: CopyMode;
  readonly destFilesystem: string;
  readonly notes: readonly string[];
  readonly copied: CopyResult;
  readonly verify: {
    readonly entries: number;
    readonly isEqual: boolean;
    readonly differences: readonly ManifestDifference[];
  } | null;
}

interface Source {
  readonly subject: string;
  readonly snapshot: Snapshot;
  /** Why writing to the dir goes on; null: nothing writes it. */
  readonly writable: string | null;
  /** The store's root, when known: the dir must lie in it with no symlink on the way (checkLayersInRoot). */
  readonly root?: string;
}

function containerSource(namespace: string, id: string, snapshot: Snapshot): Source {
  return {
    subject: `container ${namespace === "" ? "" : `${namespace}/`}${id}`,
    snapshot,
    writable: `container ${id}'s writable layer`,
  };
}

function snapshotSource(s: Snapshot): Source {
  const name = `${s.namespace === "" ? "" : `${s.namespace}/`}${s.snapshotter}/${s.key}`;
  return {
    subject: `snapshot ${name}`,
    snapshot: s,
    writable: s.kind === "active" ? `the active snapshot ${name} (a container's writable layer)` : null,
  };
}

/** What is cloned: the snapshot's own dir, and why writing to it goes on (null: nothing writes it). */
function sourceOf(stores: readonly Store[], ref: string): Source {
  const t = resolveRef(stores, ref, ["container", "snapshot", "image"]);
  if (t.type === "image")
    throw new CrifsError("usage", `"${ref}" is an image, which has no dir of its own`, {
      remedy: "clone one of its layers (crifs snapshots lists them) or a container",
    });
  const root = t.store.location.root;
  if (t.type === "container") {
    const c = t.container;
    return { ...containerSource(c.namespace, c.id, snapshotOf(t.store, c)), root };
  }
  return { ...snapshotSource(t.snapshot), root };
}

/** The source found from the few records it needs (the adapter's findRef: containerd's bolt lookups) when
 * one store is read: the one --runtime names, or the only one detected on this host (with two, a name could be
 * in either, and openStores loads both). A clone of one dir needs one record, not the store. Null: load it. */
function lookedUpSource(g: GlobalOptions, ref: string): Source | null {
  const stores = storeAdapters(g);
  const adapter = stores[0];
  if (stores.length !== 1 || adapter === undefined) return null;
  const found = adapter.findRef?.(loadOptions(g), ref, g.namespace) ?? null;
  if (found === null) return null;
  const src =
    found.type === "container"
      ? containerSource(found.namespace, found.id, found.snapshot)
      : snapshotSource(found.snapshot);
  return { ...src, root: g.root === undefined ? adapter.defaultRoot : resolve(g.root) };
}

/** DEST checked against `source`, the filesystems of both, and the mode the copy takes (planCopyMode). */
export function planClone(
  source: string,
  o: CloneOptions,
  writable: string | null,
  alsoRead: readonly string[] = [],
) {
  const dest = checkDestination(source, o.dest, alsoRead);
  const parentFs = filesystemOf(dest.slice(0, dest.lastIndexOf("/")) || "/");
  const sourceFs = filesystemOf(source);
  const requested = o.mode ?? "auto";
  const plan = planCopyMode({
    requested,
    isSameFilesystem: parentFs.dev === sourceFs.dev && parentFs.mount === sourceFs.mount,
    destFilesystem: parentFs.name,
    destMount: parentFs.mount,
    sourceMount: sourceFs.mount,
    writableSource: writable,
    force: o.force === true,
    dest: o.dest,
  });
  return { dest, parentFs, requested, plan };
}

/** Clones and reports. Cost: one walk and copy of the source; --verify reads both trees whole. */
export async function cloneCommand(stores: readonly Store[], o: CloneOptions): Promise<CloneReport> {
  // --merged's modules (the overlay view, export's tar writer) load only when it is asked for
  if (o.merged === true) return (await import("./clone-merged.js")).cloneMerged(stores, o);
  return cloneSource(sourceOf(stores, o.ref), o);
}

/** Clones the dir of `src` and reports. */
async function cloneSource(src: Source, o: CloneOptions): Promise<CloneReport> {
  const source = src.snapshot.path;
  if (src.root !== undefined) checkLayersInRoot(src.root, [source]);
  let isDir = false;
  try {
    isDir = lstatSync(fsPath(source)).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new CrifsError("not-found", `cannot clone ${src.subject}: its dir is missing or not a dir`, {
      path: source,
      remedy: "run crifs doctor: the metadata names a dir that is not there",
    });
  const { dest, parentFs, requested, plan } = planClone(source, o, src.writable);
  const copied = await copyTree(source, dest, { mode: plan.mode });
  let verify: CloneReport["verify"] = null;
  if (o.verify === true) {
    const a = readManifest(source);
    const b = readManifest(dest);
    const differences = compareManifests(a, b);
    verify = { entries: a.length, isEqual: differences.length === 0, differences };
  }
  const mode: CopyMode = plan.mode === "auto" ? (copied.reflinkedBytes > 0 ? "reflink" : "copy") : plan.mode;
  return {
    subject: src.subject,
    source,
    dest,
    requestedMode: requested,
    mode,
    destFilesystem: parentFs.name,
    notes: plan.notes,
    copied,
    verify,
  };
}

function tableOf(r: CloneReport): string {
  const c = r.copied;
  const lines = [
    ...r.notes.map((n) => `note: ${n}`),
    `cloned ${r.subject} to ${r.dest} (${r.mode}${r.requestedMode === r.mode ? "" : `, asked ${r.requestedMode}`}, ${r.destFilesystem})`,
    `  from ${r.source}`,
    `  ${c.dirs} dirs, ${c.files} files (${humanBytes(c.bytes)}${c.reflinkedBytes > 0 ? `, ${humanBytes(c.reflinkedBytes)} reflinked` : ""}), ` +
      `${c.symlinks} symlinks, ${c.specials} devices and fifos, ${c.sockets} sockets, ${c.hardlinks} extra hard links`,
    ...c.warnings.map((w) => `warning: ${w.path}: ${w.message}`),
  ];
  if (r.verify !== null) {
    if (r.verify.isEqual)
      lines.push(`verify: the manifests of both trees are equal (${r.verify.entries} entries)`);
    else {
      lines.push(`verify: ${r.verify.differences.length} differences; the first:`);
      for (const d of r.verify.differences.slice(0, SHOWN_DIFFERENCES))
        lines.push(`  ${d.path === "" ? "." : d.path}: ${d.field}: ${d.left} (source) vs ${d.right} (clone)`);
    }
  }
  return renderLines(lines);
}

/** The CLI action: options from commander, text to print and the exit code (1: --verify found differences). */
export async function cloneAction(
  g: GlobalOptions,
  ref: string,
  dest: string,
  o: Record<string, unknown>,
): Promise<{ text: string; exitCode: number }> {
  const mode = typeof o.mode === "string" ? o.mode : "auto";
  if (!copyModes.includes(mode as CopyMode))
    throw new CrifsError("usage", `cannot clone with mode "${mode}"`, {
      remedy: `pass --mode ${copyModes.join(", --mode ")}`,
    });
  const options: CloneOptions = {
    ref,
    dest,
    mode: mode as CopyMode,
    verify: o.verify === true,
    force: o.force === true,
    merged: o.merged === true,
  };
  const src = options.merged === true ? null : lookedUpSource(g, ref);
  const r = src !== null ? await cloneSource(src, options) : await cloneCommand(openStores(g), options);
  return {
    text: render(g.output, r, { table: () => tableOf(r) }),
    exitCode: r.verify !== null && !r.verify.isEqual ? 1 : 0,
  };
}
