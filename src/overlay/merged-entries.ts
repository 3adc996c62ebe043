// overlay/merged-entries.ts — the merged root of a layer stack as a stream of entries ready to archive or copy:
// what a walk of the mounted overlay would give (`find / -xdev` in the container), read from the layer dirs
// with nothing mounted. The merge itself (whiteouts, opaque dirs, which layer provides a name) is
// fs/overlay-view.ts's; this file adds what a copy needs on top of it:
//   - each entry's lstat, kind in full (devices, fifos and sockets told apart) and symlink target as stored;
//   - hard links: a regular file whose inode (dev:ino of its host file) was already given under another path
//     comes as a link to that first path. The kernel shows the same: with every layer on one file system an
//     overlay reports a non-dir's st_ino from the layer that holds it, so two names of one inode in a layer
//     (a hard-link pair, or a file deduplicated across layers) are one inode in the mount, and a file copied up
//     by the container is a new inode of its own.
// Names are bytes (fs/name-codec.ts): `path` and `rel` carry a name that is not UTF-8 in decodeName's form;
// open `hostPath` with fsPath(). Nothing here follows a symlink: every host path is a layer dir plus names
// checked by lstat (OverlayView's rule).

import type { Stats } from "node:fs";
import type { OverlayEntry, OverlayView } from "../fs/overlay-view.js";
import { readAllXattrs } from "../fs/xattr.js";

/** What an entry is, as lstat says, in the words tar uses. */
export type MergedKind = "file" | "dir" | "symlink" | "char-device" | "block-device" | "fifo" | "socket";

/** One entry of a merged root. */
export interface MergedEntry {
  /** Container path: "/" for the root, "/etc/passwd". */
  readonly path: string;
  /** The same relative to the root, as an archive names it: "" for the root, "etc/passwd". */
  readonly rel: string;
  readonly kind: MergedKind;
  /** lstat of hostPath. */
  readonly stats: Stats;
  /** The host file that provides the entry, in the layer dir of layerIndex. Open it with fsPath(). */
  readonly hostPath: string;
  /** The layer that provides it: an index into the view's layers (0 = top). */
  readonly layerIndex: number;
  /** A symlink's target as stored (bytes in decodeName's form), else null. */
  readonly linkTarget: string | null;
  /** A regular file whose inode came earlier in this walk under another name: that entry's rel. Else null. */
  readonly hardLinkTo: string | null;
}

/** Options of mergedEntries. */
export interface MergedEntriesOptions {
  /** Container path of the dir to start at (no symlink is followed to reach it). Default "/". */
  from?: string;
}

/** lstat's kind of an entry. Pure. */
export function kindOfStats(st: Stats): MergedKind {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "char-device";
  if (st.isBlockDevice()) return "block-device";
  if (st.isFIFO()) return "fifo";
  return "socket";
}

/**
 * Every entry of `view`'s merged tree at and below `from` (default the root), the dir first, then depth first
 * with each dir's names sorted (OverlayView.walkFrom: sorted runs in a dir of more than 50,000 names).
 * Memory: one run of names per dir level, plus one dev:ino key per regular file with more than one link (to
 * give its later names as hard links), never the whole tree. Symlinks are given, never followed.
 * Cost: a full walk of the merged tree (one readdir per layer of each merged dir, one lstat per entry), plus
 * one readlink per symlink. Throws CrifsError (not-found) when `from` is not a dir of the tree.
 */
export function* mergedEntries(
  view: OverlayView,
  options: MergedEntriesOptions = {},
): Generator<MergedEntry> {
  const from = options.from ?? "/";
  const start = view.lookup(from);
  if (start === null) {
    view.readdir(from); // throws the one-line not-found error naming the path
    return;
  }
  const seen = new Map<string, string>(); // dev:ino → rel of its first name
  for (const e of view.walkFrom(start)) yield entryOf(view, e, seen);
}

function entryOf(view: OverlayView, e: OverlayEntry, seen: Map<string, string>): MergedEntry {
  const stats = e.stats;
  const kind = kindOfStats(stats);
  const rel = e.path === "/" ? "" : e.path.slice(1);
  let hardLinkTo: string | null = null;
  if (kind === "file" && stats.nlink > 1) {
    const key = `${stats.dev}:${stats.ino}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, rel);
    else hardLinkTo = first;
  }
  return {
    path: e.path,
    rel,
    kind,
    stats,
    hostPath: e.hostPath,
    layerIndex: e.layerIndex,
    linkTarget: kind === "symlink" ? view.readLinkTarget(e) : null,
    hardLinkTo,
  };
}

/** Overlay's own attributes (whiteout and opaque markers, origin, impure, redirect): the kernel hides them in
 * the mount, so a copy or an archive of the merged root leaves them out. */
export function isOverlayPrivateXattr(name: string): boolean {
  return name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.");
}

/**
 * The extended attributes the mount would show on `entry` (its host file's, without overlay's own), sorted by
 * name, values as bytes. Cost: one llistxattr plus one lgetxattr per attribute.
 */
export function visibleXattrs(entry: Pick<MergedEntry, "hostPath">): [string, Buffer][] {
  return readAllXattrs(entry.hostPath).filter(([name]) => !isOverlayPrivateXattr(name));
}
