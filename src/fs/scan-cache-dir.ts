// fs/scan-cache-dir.ts — where the scan cache (fs/walk-cache.ts) lives, and whether it may be used there.
//
// The cache dir and scan-v4/ are used only when each is a real dir (not a symlink) owned by the running user and not writable by group or others; missing ones are made 0700. Every parent on
// the way is checked as it is walked or made: owned by root or this user, writable by others only when
// sticky (/tmp, /var/tmp), and a symlink is followed only out of a dir that others cannot write to (so
// XDG_CACHE_HOME=/var/tmp/x cannot be redirected by someone else's symlink). A dir that fails runs the scan
// without the cache, with one note on stderr per process naming the dir and why.

import { lstatSync, mkdirSync, realpathSync, type Stats } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { errnoWords } from "../errors.js";

/** The dir of this version's packs inside the cache dir. */
export const version = "scan-v4";

/** `$XDG_CACHE_HOME/crifs`, else `/var/cache/crifs` as root, else `~/.cache/crifs`. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== "") return join(xdg, "crifs");
  if (process.getuid?.() === 0) return "/var/cache/crifs";
  return join(homedir(), ".cache", "crifs");
}

/** Whether others than root and `uid` cannot change what is in the dir `st` describes. */
function isGuarded(st: Stats, uid: number): boolean {
  return (st.uid === 0 || st.uid === uid) && (st.mode & 0o022) === 0;
}

function octalMode(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * Why `dir` (and its scan-v4/) must not be used as a scan cache, or null when they may: see the header.
 * Makes the missing dirs on the way, 0700, checking each before going on. Cost: one lstat per component.
 */
export function checkCacheDir(dir: string, uid: number = process.geteuid?.() ?? 0): string | null {
  const target = join(resolve(dir), version);
  const parts = target.split("/").filter((p) => p !== "");
  const ownFrom = parts.length - 2; // the cache dir and scan-v4/: the user's own, private
  let cur = "/";
  let curSt = lstatSync(cur);
  for (let i = 0; i < parts.length; i++) {
    const isOwn = i >= ownFrom;
    const next = join(cur, parts[i] ?? "");
    let st: Stats | undefined;
    try {
      st = lstatSync(next, { throwIfNoEntry: false });
      if (st === undefined) {
        try {
          mkdirSync(next, { mode: 0o700 });
        } catch (err) {
          // someone made it meanwhile: looked at below like any dir found
          if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        }
        st = lstatSync(next);
      }
    } catch (err) {
      return `cannot make ${next}: ${errnoWords((err as NodeJS.ErrnoException).code)}`;
    }
    if (st.isSymbolicLink()) {
      if (isOwn) return `${next} is a symlink, not a dir of its own`;
      if (!isGuarded(curSt, uid))
        return `${next} is a symlink in ${cur}, which others can write to (mode ${octalMode(curSt)})`;
      try {
        cur = realpathSync(next);
        st = lstatSync(cur);
      } catch (err) {
        return `cannot follow ${next}: ${errnoWords((err as NodeJS.ErrnoException).code)}`;
      }
    } else {
      cur = next;
    }
    if (!st.isDirectory()) return `${cur} is not a dir`;
    if (isOwn) {
      if (st.uid !== uid) return `${cur} is owned by uid ${st.uid}, not by this user (uid ${uid})`;
      if ((st.mode & 0o022) !== 0) return `${cur} can be written by others (mode ${octalMode(st)})`;
    } else {
      if (st.uid !== 0 && st.uid !== uid)
        return `${cur} is owned by uid ${st.uid}, neither root nor this user`;
      if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)
        return `${cur} can be written by others and is not sticky (mode ${octalMode(st)})`;
    }
    curSt = st;
  }
  return null;
}

/** Cache dirs refused in this process, each noted once. */
const refusedDirs = new Set<string>();

/**
 * checkCacheDir at every use (a few lstats: a dir removed or swapped since the last use is seen, and made
 * again when missing); a refused dir gets one note on stderr per process.
 */
export function isUsableCacheDir(dir: string): boolean {
  const why = checkCacheDir(dir);
  if (why !== null && !refusedDirs.has(dir)) {
    refusedDirs.add(dir);
    process.stderr.write(
      `crifs: ${dir}: not using the scan cache: ${why} (hint: make it a dir of your own with mode 0700, or set XDG_CACHE_HOME to one)\n`,
    );
  }
  return why === null;
}
