// fs/path-exists.ts — whether a path is there, telling "absent" from "crifs may not look": existsSync says
// false on EACCES too, which turned a root-only store read by a non-root user into "no store found".

import { statSync } from "node:fs";
import { fromFsError } from "../errors.js";

/**
 * True when `path` exists (symlinks followed, as stat does), false when it is absent (ENOENT, or ENOTDIR: a
 * component is not a dir). Any other errno throws a CrifsError naming the path: EACCES/EPERM are
 * "permission" (exit 77, hint: run as root), ELOOP and EIO say what they are. Cost: one stat.
 */
export function pathExists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR") return false;
    throw fromFsError(err, path, "stat");
  }
}
