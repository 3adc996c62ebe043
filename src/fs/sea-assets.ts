// fs/sea-assets.ts — what the single executable (scripts/build-exe.mjs, `npm run build:exe`) carries besides
// its one JS file, as Node SEA assets: the native addons (the scanner, @napi-rs/xattr, better-sqlite3), the
// proto files, the worker scripts and package.json. Outside the executable isSea() is false and every
// function here answers null: the package's own files are used as they always were.
//
// The asset "sea-manifest.json" lists the keys (Node 20 has no getAssetKeys) and the build id. Each key is
// the asset's path in the package ("build/Release/crifs_scan.node", "proto/cri.proto"). A worker's code is
// under "worker/<file name>": scripts/build-exe.mjs makes every `new Worker(url)` of the bundle run it with
// eval when the executable carries it (no file needed), so worker modules need nothing here.
//
// What must be a file (an addon for process.dlopen, the proto files for the proto loader) is written on
// first use to <cache dir>/exe-<build id>/<key>: the cache dir is the scan cache's (scan-cache-dir.ts:
// $XDG_CACHE_HOME/crifs, /var/cache/crifs as root), checked the same way (no symlink others could plant,
// owned by this user, not writable by others), and exe-<build id>/ is this user's own 0700 dir. A file found
// there is compared with its asset before use and written again (temp file, then rename) when it differs,
// so a file changed on disk is never loaded.

import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as sea from "node:sea";
import { errnoWords } from "../errors.js";
import { checkCacheDir, defaultCacheDir } from "./scan-cache-dir.js";

interface Manifest {
  readonly id: string;
  readonly keys: readonly string[];
}

let manifest: Manifest | null | undefined;

/** The executable's manifest, or null when this process is not the single executable. */
function seaManifest(): Manifest | null {
  if (manifest !== undefined) return manifest;
  manifest = null;
  if (sea.isSea()) {
    try {
      manifest = JSON.parse(sea.getAsset("sea-manifest.json", "utf8")) as Manifest;
    } catch {
      manifest = null;
    }
  }
  return manifest;
}

/** Whether this process is crifs's single executable (with its assets). */
export function isSeaBuild(): boolean {
  return seaManifest() !== null;
}

/** An asset as text, or null outside the executable or when it does not carry `key`. */
export function seaAssetText(key: string): string | null {
  const m = seaManifest();
  if (m === null || !m.keys.includes(key)) return null;
  return sea.getAsset(key, "utf8");
}

/** The private dir the assets are written to, or why there is none. Checked at every call (a few lstats). */
function assetDir(m: Manifest): { dir: string } | { problem: string } {
  const cache = defaultCacheDir();
  const why = checkCacheDir(cache);
  if (why !== null) return { problem: why };
  const dir = join(cache, `exe-${m.id}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EEXIST") return { problem: `cannot make ${dir}: ${errnoWords(code)}` };
  }
  const st = lstatSync(dir);
  const uid = process.geteuid?.() ?? 0;
  if (!st.isDirectory()) return { problem: `${dir} is not a dir` };
  if (st.uid !== uid) return { problem: `${dir} is owned by uid ${st.uid}, not by this user (uid ${uid})` };
  if ((st.mode & 0o077) !== 0) return { problem: `${dir} can be read or written by others` };
  return { dir };
}

/** Writes `bytes` at `path` unless the file there holds them already. */
function writeIfChanged(path: string, bytes: Buffer): void {
  let same = false;
  try {
    same = readFileSync(path).equals(bytes);
  } catch {
    same = false;
  }
  if (same) return;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes, { mode: 0o600 });
  renameSync(tmp, path);
}

const written = new Map<string, { path: string } | { problem: string }>();

/**
 * The asset `key` as a file of the private dir (see the header), or every asset under `key` when it ends in
 * "/" (the dir's path is returned); null outside the executable. Written once per process: later calls
 * answer from memory. Cost: a compare of the asset with the file, a write when they differ.
 */
export function seaFile(key: string): { path: string } | { problem: string } | null {
  const m = seaManifest();
  if (m === null) return null;
  const hit = written.get(key);
  if (hit !== undefined) return hit;
  const keys = key.endsWith("/") ? m.keys.filter((k) => k.startsWith(key)) : m.keys.filter((k) => k === key);
  let result: { path: string } | { problem: string };
  if (keys.length === 0) {
    result = { problem: `this executable does not carry ${key}` };
  } else {
    const at = assetDir(m);
    if ("problem" in at) {
      result = { problem: `cannot write ${key} out of the executable: ${at.problem}` };
    } else {
      try {
        for (const k of keys) writeIfChanged(join(at.dir, k), Buffer.from(sea.getAsset(k)));
        result = { path: join(at.dir, key) };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        result = {
          problem: `cannot write ${key} to ${at.dir}: ${e.code === undefined ? e.message : errnoWords(e.code)}`,
        };
      }
    }
  }
  written.set(key, result);
  return result;
}

/**
 * The exports of the native addon `key` carried by the executable, written out (seaFile) and loaded with
 * process.dlopen. Throws an Error naming the reason: callers fall back as they do for a missing addon.
 */
export function loadSeaAddon(key: string): unknown {
  const file = seaFile(key);
  if (file === null) throw new Error(`not the single executable: ${key} is not carried`);
  if ("problem" in file) throw new Error(file.problem);
  const mod = { exports: {} as unknown };
  process.dlopen(mod, file.path);
  return mod.exports;
}
