// relocate/copy-step.ts — relocate's only calls into the project's one tree copier and its manifest
// (src/copy): the copy of the root into NEWDIR/.crifs-relocate-partial and the check that both trees are the
// same. copyTree makes its copy in a staging dir beside the destination (`.<name>.crifs-clone-tmp-<pid>`)
// and renames it into place only when whole, so a killed copy leaves that staging dir and never a partial
// tree under the destination's name: `leftoverStaging` finds those for --resume and --rollback.

import { lstatSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type CopyResult, copyTree } from "../copy/copy-tree.js";
import { compareManifests, type ManifestDifference, readManifest } from "../copy/manifest.js";
import { nativeCopier } from "../copy/native-copier.js";

export type { CopyResult } from "../copy/copy-tree.js";

/** Copies the tree at `root` to `dest` (absent or an empty dir) faithfully, synced before its rename into
 * place. Cost: one walk of the root and the bytes of every file (reflinked where the target has FICLONE). */
export function copyRoot(root: string, dest: string): Promise<CopyResult> {
  return copyTree(root, dest, { mode: "auto", durable: true });
}

/** The differences between the trees at `a` and `b` (at most `limit`); [] when they are the same tree.
 * Cost: two full walks, every file's data read and hashed. */
export function compareTrees(a: string, b: string, limit = 20): ManifestDifference[] {
  return compareManifests(readManifest(a), readManifest(b), limit);
}

/** Staging dirs a killed copy to `dest` left beside it (any pid's). */
export function leftoverStaging(dest: string): string[] {
  const prefix = `.${basename(dest)}.crifs-clone-tmp-`;
  try {
    return readdirSync(dirname(dest))
      .filter((n) => n.startsWith(prefix))
      .map((n) => join(dirname(dest), n));
  } catch {
    return [];
  }
}

/** Gives `to` the access and modification times of `from`, to the nanosecond (the copier's own utimensat). */
export function copyTimes(from: string, to: string): void {
  const st = lstatSync(from, { bigint: true });
  const split = (ns: bigint): [number, number] => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
  nativeCopier().setTimes(to, ...split(st.atimeNs), ...split(st.mtimeNs));
}
