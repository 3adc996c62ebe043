#!/usr/bin/env node
// bench/scan.mjs — one scanTrees call over every <root>/io.containerd.snapshotter.v1.overlayfs/snapshots/*/fs,
// for bench/run.mjs to time next to du and find (until `crifs du`/`links` exist). Prints one JSON line.
//
//   node bench/scan.mjs <root> [--engine native|js] [--cache none|cold|warm] [--cache-dir DIR] [--links]
//
//   --cache cold   empties DIR first: a full walk that also writes the cache
//   --cache warm   uses DIR as it is (run cold first): only mutable (active) snapshots are walked
//   --links        symlinks only (usage: false), as `crifs links` needs them
//   --symlinks     sizes and symlinks (default: sizes only, as `du`)
//   --progress     with a progress reporter, as `crifs du` on a terminal has (the native threads' shared
//                  counters read every 100 ms): its cost is this run's time against one without
// Committed snapshots are immutable; active ones (from <root>/../manifest.json, written by make-store.mjs)
// are not. Needs a build (npm run build).
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const root = args.find(
  (a, i) => !a.startsWith("--") && !(args[i - 1] ?? "").match(/^--(engine|cache|cache-dir)$/),
);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
if (!root) {
  console.error(
    "usage: node bench/scan.mjs <containerd root> [--engine native|js] [--cache none|cold|warm] [--links]",
  );
  process.exit(64);
}
const engine = opt("engine", "");
if (engine) process.env.CRIFS_ENGINE = engine;
const cache = opt("cache", "none");
const cacheDir = opt("cache-dir", join(dirname(root), `scan-cache-${engine || "default"}`));
const links = args.includes("--links");
const withSymlinks = links || args.includes("--symlinks");
let progressUpdates = 0;
const progress = args.includes("--progress")
  ? {
      update() {
        progressUpdates++;
      },
    }
  : undefined;

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const { scanTrees } = await import(pathToFileURL(join(repo, "dist/src/fs/walk.js")).href);

const snapshots = join(root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
const manifestPath = join(dirname(root), "manifest.json");
const active = new Set();
if (existsSync(manifestPath)) {
  for (const s of JSON.parse(readFileSync(manifestPath, "utf8")))
    if (s.snapshotKind !== "committed") active.add(s.id);
}
const trees = readdirSync(snapshots)
  .sort((a, b) => Number(a) - Number(b))
  .map((id) => ({ id, path: join(snapshots, id, "fs"), immutable: !active.has(id) }));

if (cache === "cold") rmSync(cacheDir, { recursive: true, force: true });
const t0 = performance.now();
const r = await scanTrees(trees, {
  cacheDir: cache === "none" ? null : cacheDir,
  collectSymlinks: withSymlinks,
  usage: !links,
  ...(progress === undefined ? {} : { progress }),
});
const ms = Math.round(performance.now() - t0);
console.log(
  JSON.stringify({
    engine: r.engine,
    cache,
    links,
    ms,
    trees: trees.length,
    cachedTrees: r.cachedTrees.length,
    total: r.total,
    symlinks: r.symlinks.length,
    errors: r.errors.length,
    ...(progress === undefined ? {} : { progressUpdates }),
  }),
);
