// copy/plan-copy-mode.ts — which copy a clone makes, from the requested mode and the facts about source and
// destination, and what to tell the user about it. Pure: the facts are read by the caller (copy-tree.ts).
//
//   auto      FICLONE (reflink: shared extents, copy-on-write) where DEST shares the source's filesystem and
//             it has reflinks (xfs with reflink=1, btrfs), else a byte copy; the native copier tries FICLONE on
//             the first file and copies from then on when the filesystem refuses it
//   reflink   FICLONE only: a filesystem without it is an error that names DEST's filesystem
//   hardlink  link() of every regular file: the clone shares the source's inodes, so an in-place write, a chmod
//             or a chown in the clone changes the source too (only a write that replaces a file is
//             copy-on-write); a writable source (an active snapshot, a container's upper dir) is refused
//             without --force, since what the container writes next lands in the clone too
//   copy      the bytes (copy_file_range, holes kept)

import { CrifsError } from "../errors.js";

export type CopyMode = "auto" | "reflink" | "hardlink" | "copy";
export const copyModes: readonly CopyMode[] = ["auto", "reflink", "hardlink", "copy"];

export interface CopyModeFacts {
  readonly requested: CopyMode;
  /** Whether the dir that will hold the copy lies on the source's filesystem through the same mount (same
   * st_dev and mount point): link() and FICLONE refuse another mount of the same filesystem too (EXDEV). */
  readonly isSameFilesystem: boolean;
  /** DEST's filesystem type for messages ("ext4", "xfs", "tmpfs"; fsTypeName). */
  readonly destFilesystem: string;
  /** The mount points DEST and the source lie under, for messages. */
  readonly destMount: string;
  readonly sourceMount: string;
  /** What makes the source writable ("an active snapshot", "a container's writable layer"), or null. */
  readonly writableSource: string | null;
  /** --force: hardlink a writable source anyway. */
  readonly force: boolean;
  /** DEST as the user named it, for messages. */
  readonly dest: string;
}

export interface CopyModePlan {
  /** What the native copier is asked for ("auto" still falls back per filesystem). */
  readonly mode: CopyMode;
  /** Lines to tell the user before copying (hardlink: what the clone shares). */
  readonly notes: readonly string[];
}

/** The sharing a hardlink clone has, said plainly (printed by clone, and by relocate should it link). */
export const HARDLINK_NOTE =
  "hardlink clone: every regular file is the source's own inode, so an in-place write, chmod, chown or " +
  "touch in the clone changes the source too (only a write that replaces a file, by rename, is copy-on-write)";

/** The mode to copy with, or the error that says why the request cannot be met. */
export function planCopyMode(f: CopyModeFacts): CopyModePlan {
  switch (f.requested) {
    case "copy":
      return { mode: "copy", notes: [] };
    case "auto":
      return { mode: f.isSameFilesystem ? "auto" : "copy", notes: [] };
    case "reflink":
      if (!f.isSameFilesystem)
        throw new CrifsError(
          "unsupported",
          `cannot reflink: DEST's filesystem (${f.destFilesystem} on ${f.destMount}) is not the source's (${f.sourceMount}): FICLONE works within one mount`,
          { path: f.dest, remedy: "clone onto the source's filesystem, or use --mode copy (or auto)" },
        );
      return { mode: "reflink", notes: [] };
    case "hardlink":
      if (f.writableSource !== null && !f.force)
        throw new CrifsError(
          "unsafe",
          `refusing a hardlink clone of ${f.writableSource}: what is written there in place would change the clone, and what the clone changes in place would change it`,
          { remedy: "use --mode copy (or auto), or pass --force to share its inodes anyway" },
        );
      if (!f.isSameFilesystem)
        throw new CrifsError(
          "unsupported",
          `cannot hard-link: DEST's filesystem (${f.destFilesystem} on ${f.destMount}) is not the source's (${f.sourceMount}): link() works within one mount`,
          { path: f.dest, remedy: "clone onto the source's filesystem, or use --mode copy (or auto)" },
        );
      return { mode: "hardlink", notes: [HARDLINK_NOTE] };
  }
}

/** statfs f_type → the filesystem's name (the ones a node's disks carry), else its magic in hex. */
export function fsTypeName(type: number | bigint): string {
  const names: Record<string, string> = {
    ef53: "ext4",
    "58465342": "xfs",
    "9123683e": "btrfs",
    "1021994": "tmpfs",
    "794c7630": "overlay",
    "2fc12fc1": "zfs",
    "65735546": "fuse",
    "6969": "nfs",
    f2f52010: "f2fs",
    cafe4a11: "bcachefs",
    "4d44": "vfat",
    "5346544e": "ntfs",
    "858458f6": "ramfs",
  };
  const hex = type.toString(16);
  return names[hex] ?? `0x${hex}`;
}
