// relocate/rename.ts — the one rename relocate's steps make (a root, a copy's entries, the old root into the
// quarantine): synced with the dirs it changes, and a failure as one line naming the path and what it did.

import { lstatSync, renameSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { fsyncDir, writeError } from "../repair/journal.js";

/** `rename(from, to)`, then fsync of from's dir (and to's, when another). */
export function rename(from: string, to: string, verb: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    throw writeError(err, from, verb);
  }
  fsyncDir(dirname(from));
  if (dirname(to) !== dirname(from)) fsyncDir(dirname(to));
}

export function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}
