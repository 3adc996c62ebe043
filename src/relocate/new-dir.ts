// relocate/new-dir.ts — NEWDIR of `crifs relocate` as the move will use it: absolute, its parent's symlinks
// resolved, and checked. A symlink as NEWDIR is refused: the rename step would replace the link itself (or
// fail on it), the copy would go through it to another disk than the plan's probes measured, and the switch
// would chain a second link to the root. A parent reached through a symlink is resolved first, so the checks
// (NEWDIR inside the root, same filesystem) see where the data really goes, not the path's spelling.

import { lstatSync, readdirSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CrifsError } from "../errors.js";

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** NEWDIR (as given, relative to the cwd) resolved and checked against `root`; throws CrifsError. */
export function resolveNewDir(root: string, arg: string): string {
  const given = resolve(arg);
  let parent: string;
  try {
    parent = realpathSync(dirname(given));
    if (!lstatSync(parent).isDirectory()) throw new Error("not a dir");
  } catch {
    throw new CrifsError("not-found", "cannot relocate into it: its parent dir does not exist", {
      path: given,
      remedy: "make the parent dir (mount the new disk) first",
    });
  }
  const newDir = join(parent, basename(given));
  let isLink = false;
  try {
    isLink = lstatSync(newDir).isSymbolicLink();
  } catch {
    // absent: the usual case
  }
  if (isLink)
    throw new CrifsError("usage", `cannot relocate into it: it is a symlink (to ${realOrSelf(newDir)})`, {
      path: given,
      remedy: `pass the dir it leads to (crifs relocate ${realOrSelf(newDir)}), or remove the link`,
    });
  checkNewDir(realOrSelf(root), newDir);
  return newDir;
}

function checkNewDir(root: string, newDir: string): void {
  if (newDir === root || newDir.startsWith(`${root}/`) || root.startsWith(`${newDir}/`))
    throw new CrifsError("usage", "cannot relocate: NEWDIR and the root hold one another", {
      path: newDir,
      remedy: "pass a NEWDIR outside the root (on another disk, e.g. /mnt/disk/containerd)",
    });
  let names: string[] | null = null;
  try {
    names = readdirSync(newDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR")
      throw new CrifsError("usage", "cannot relocate into it: it is not a directory", { path: newDir });
    if (code !== "ENOENT") throw err;
  }
  // a fresh ext4 holds lost+found: NEWDIR may be such a filesystem's top dir
  if (names?.some((n) => n !== "lost+found"))
    throw new CrifsError("unsafe", "cannot relocate into it: it is not empty", {
      path: newDir,
      remedy: "pass an empty or absent NEWDIR (e.g. a new dir on the new disk)",
    });
}
