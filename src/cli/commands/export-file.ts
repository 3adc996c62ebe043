// cli/commands/export-file.ts — the checks and messages of `crifs export -o FILE`: FILE is refused before a
// byte is read when it is a directory or its dir is missing (not after the whole archive was written beside
// it), and a failed write names FILE with what to do (a full disk, a read-only one), never an errno code alone.

import { lstatSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, sep } from "node:path";
import { CrifsError, errnoWords, fromFsError } from "../../errors.js";

/** Throws CrifsError when `file` (absolute) cannot become the archive: it is a dir, or its dir is missing. */
export function checkArchivePath(file: string): void {
  if (file === "")
    throw new CrifsError("usage", "-o names no file", {
      remedy: "pass -o FILE.tar, or leave -o out for stdout",
    });
  let isDir = false;
  try {
    isDir = lstatSync(file).isDirectory();
  } catch {
    // absent: the usual case; its dir is checked below
  }
  if (isDir)
    throw new CrifsError("usage", "cannot write the archive: it is a directory", {
      path: file,
      remedy: `name a file, e.g. ${file.replace(/\/+$/, "")}/root.tar`,
    });
  const dir = dirname(file);
  let parentIsDir = false;
  try {
    parentIsDir = statSync(dir).isDirectory(); // a link to a dir will do: FILE is the user's own path
  } catch {
    parentIsDir = false;
  }
  if (!parentIsDir)
    throw new CrifsError("not-found", "cannot write the archive: its dir does not exist", {
      path: file,
      remedy: `make it first (mkdir -p ${dir}), or name another FILE`,
    });
}

/**
 * Throws CrifsError when `file` lies inside one of `layers` (the dirs the archive is read from): the partial
 * file would be read into the archive while it is written (the archive held most of itself), and the export
 * would write into the container's or image's own layer.
 */
export function checkArchiveOutside(file: string, layers: readonly string[]): void {
  let real: string;
  try {
    real = join(realpathSync(dirname(file)), basename(file));
  } catch {
    return; // its dir is gone: creating the file says so
  }
  for (const layer of layers) {
    let dir: string;
    try {
      dir = realpathSync(layer);
    } catch {
      continue;
    }
    if (real.startsWith(dir.endsWith(sep) ? dir : dir + sep))
      throw new CrifsError("usage", `cannot write the archive there: it lies inside the layer dir ${dir}`, {
        path: file,
        remedy: "name a FILE outside the container's and image's layer dirs",
      });
  }
}

/** The error of writing (or creating) the archive at `file`, in words with a remedy. */
export function archiveWriteError(err: unknown, file: string, verb = "write the archive"): CrifsError {
  if (err instanceof CrifsError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT")
    return new CrifsError("busy", `cannot ${verb}: its filesystem is full`, {
      path: file,
      remedy: "free space there, or write the archive elsewhere (or to stdout: > FILE)",
      cause: err,
    });
  if (code === "EROFS")
    return new CrifsError("permission", `cannot ${verb}: its filesystem is read-only`, {
      path: file,
      remedy: "write the archive to a writable filesystem",
      cause: err,
    });
  if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR")
    return new CrifsError("not-found", `cannot ${verb}: ${errnoWords(code)}`, {
      path: file,
      remedy: "name a FILE in an existing dir (mkdir -p it first)",
      cause: err,
    });
  if (code === "EACCES" || code === "EPERM") return fromFsError(err, file, verb);
  return new CrifsError("corrupt", `cannot ${verb}: ${errnoWords(code)}`, {
    path: file,
    remedy: "check the disk that holds it (dmesg), or write the archive elsewhere",
    cause: err,
  });
}
