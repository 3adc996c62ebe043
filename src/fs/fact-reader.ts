// fs/fact-reader.ts — reads of disk facts that keep going: a dir that does not exist lists as empty (the
// runtimes create their dirs lazily), an entry gone since its listing is skipped (removed while we looked),
// and any other error is noted in `errors` (the path, and the errno in words) while the reading goes on.
// Doctor gathers through one reader per read; its notes become unreadable-path findings.

import { lstatSync, readFileSync, realpathSync, type Stats } from "node:fs";
import { errnoWords } from "../errors.js";
import { fsPath } from "./name-codec.js";
import { direntName, readDirents, readNames } from "./read-exact.js";

/** A path that exists but could not be read, in words. */
export interface ReadNote {
  readonly path: string;
  readonly message: string;
}

/** One name of a listed dir, exact even when it is not UTF-8. */
export interface Listed {
  readonly name: string;
  readonly isDirectory: boolean;
}

/** Whether an fs error says the path is not there (ENOENT, ENOTDIR). */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** The names in dir `dir`, exact (readNames); [] when it does not exist. Throws any other error. */
export function readNamesOrEmpty(dir: string): string[] {
  try {
    return readNames(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** The fully resolved path, or null when it does not resolve (absent, dangling link, loop). */
export function realpathOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

export class FactReader {
  readonly errors: ReadNote[] = [];

  /** Notes `err` as "cannot <verb>: <errno in words>" unless it says the path is absent. */
  note(path: string, verb: string, err: unknown): void {
    if (isMissing(err)) return;
    this.errors.push({
      path,
      message: `cannot ${verb}: ${errnoWords((err as NodeJS.ErrnoException | undefined)?.code)}`,
    });
  }

  /** Entries of a dir, names exact (fs/name-codec.ts); [] when it does not exist. */
  list(dir: string): Listed[] {
    try {
      return readDirents(dir).map((d) => ({ name: direntName(d), isDirectory: d.isDirectory() }));
    } catch (err) {
      this.note(dir, "list directory", err);
      return [];
    }
  }

  /** lstat, or null when the path is gone (or noted when unreadable). */
  lstat(path: string): Stats | null {
    try {
      return lstatSync(fsPath(path));
    } catch (err) {
      this.note(path, "stat", err);
      return null;
    }
  }

  /** A regular file of at most `maxBytes` (default 4 KiB) as text; null when absent, larger or not a file. */
  smallText(path: string, maxBytes = 4096): string | null {
    try {
      const st = lstatSync(fsPath(path));
      if (!st.isFile() || st.size > maxBytes) return null;
      return readFileSync(fsPath(path), "utf8");
    } catch (err) {
      this.note(path, "read", err);
      return null;
    }
  }
}
