// runtimes/runtime-version.ts — what every adapter's version finding shares: asking a binary its version (an
// exec, bounded), and whether a version falls in the line a store's own markers prove ("2.x", "2.1+", "23+").
// Which binary, which markers and what they prove are each runtime's own (runtimes/<runtime>/).

import { execFileSync } from "node:child_process";
import { accessSync, constants, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkCacheDir, defaultCacheDir } from "../fs/scan-cache-dir.js";
import type { RuntimeVersion } from "../model/store.js";

/** [major, minor] of a version ("2.1.9+unknown", "26.1.5+dfsg1", "2.x", "2.1+", "23+"), or null. */
export function majorMinor(version: string): [number, number] | null {
  const m = /^v?(\d+)(?:\.(\d+|x))?/.exec(version);
  if (m === null) return null;
  return [Number(m[1]), m[2] === undefined || m[2] === "x" ? 0 : Number(m[2])];
}

/** Whether `version` falls in what the markers prove (a marker "2.x" or "23+": that major or later). */
export function agreesWithMarker(version: string, marker: string | null): boolean {
  if (marker === null) return true;
  const v = majorMinor(version);
  const m = majorMinor(marker);
  if (v === null || m === null) return false;
  return v[0] > m[0] || (v[0] === m[0] && v[1] >= m[1]);
}

/** The file execvp runs for `binary`: itself when it names a path, else the first executable on PATH. */
function findOnPath(binary: string): string | null {
  if (binary.includes("/")) return binary;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const file = join(dir === "" ? "." : dir, binary);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here: the next dir
    }
  }
  return null;
}

/** `--version` outputs remembered across runs, by binary path, for as long as the file is the same. */
type VersionCache = Record<string, { readonly file: string; readonly out: string }>;

/** The cache file in crifs's cache dir (fs/scan-cache-dir.ts: a dir of this user's own), or null. */
function versionCacheFile(): string | null {
  const dir = defaultCacheDir();
  return checkCacheDir(dir) === null ? join(dir, "binary-versions.json") : null;
}

/**
 * What `binary --version` prints, parsed; null when it is absent, fails, or says nothing parse can read.
 * A runtime's binary answers at once; 2 s bounds a hung or foreign one. Cost: one exec (about 0.1 s, as much
 * as the rest of `crifs info`), or none when the output is in the cache file for the same file (path, dev,
 * inode, size, mtime and ctime: an upgrade or any write changes the ctime).
 */
export function versionOfBinary(binary: string, parse: (out: string) => string | null): string | null {
  const path = findOnPath(binary);
  if (path === null) return null;
  let file: string;
  try {
    const st = statSync(path, { bigint: true });
    file = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return null;
  }
  const cacheFile = versionCacheFile();
  let cache: VersionCache = {};
  if (cacheFile !== null) {
    try {
      cache = JSON.parse(readFileSync(cacheFile, "utf8")) as VersionCache;
      const known = cache[path];
      if (known?.file === file && typeof known.out === "string") return parse(known.out);
    } catch {
      cache = {}; // none yet, or not ours to read: asked again below
    }
  }
  let out: string;
  try {
    out = execFileSync(path, ["--version"], { encoding: "utf8", timeout: 2000, stdio: "pipe" });
  } catch {
    return null;
  }
  if (cacheFile !== null) {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ ...cache, [path]: { file, out } }), { mode: 0o600 });
      renameSync(tmp, cacheFile);
    } catch {
      // a cache that cannot be written costs the exec next time, nothing else
    }
  }
  return parse(out);
}

/** The binary on PATH when it agrees with the store's markers, else the markers; with a host root (a node's
 * disk: no binary here is the node's) the markers only. */
export function binaryOrMarker(
  marker: RuntimeVersion | null,
  hostRoot: string | undefined,
  binary: () => string | null,
): RuntimeVersion | null {
  if (hostRoot !== undefined) return marker;
  const onPath = binary();
  if (onPath !== null && agreesWithMarker(onPath, marker?.version ?? null))
    return { version: onPath, source: "binary" };
  return marker;
}

/** The version in a `… version 26.1.5+dfsg1, build a72d7cd` or `podman version 5.4.2` line; null if none. */
export function versionAfterWord(out: string): string | null {
  return /\bversion v?(\d+\.\d+[^\s,]*)/i.exec(out)?.[1] ?? null;
}
