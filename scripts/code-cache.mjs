#!/usr/bin/env node
// scripts/code-cache.mjs <dist dir> — makes the V8 code cache bin/crifs compiles <dist>/src/bundle/crifs.cjs
// with (crifs.cjs.cache, beside it; see bin/crifs): warm-up runs of the commands whose start-up matters, each
// with CRIFS_CODE_CACHE=write, each loading the cache the run before wrote and writing it again with what it
// compiled on top. They read a copy of the bundled sample's metadata (its bolt files and content; the layer
// dirs' whiteouts need root to unpack and are not needed). The cache is made for this Node: another Node
// refuses it and the first run there makes it again. A failed warm-up leaves what the runs before it made;
// it never fails the build.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const top = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = process.argv[2] ?? "dist";
const bundle = join(dist, "src", "bundle", "crifs.cjs");
if (!existsSync(bundle)) {
  console.error(`code-cache: no ${bundle} (esbuild missing?): bin/crifs runs without a code cache`);
  process.exit(0);
}
rmSync(`${bundle}.cache`, { force: true });

const work = mkdtempSync(join(tmpdir(), "crifs-code-cache-"));
try {
  const sample = join(top, "sample", "containerd-root.tar.gz");
  const members = [
    "root/io.containerd.metadata.v1.bolt",
    "root/io.containerd.content.v1.content",
    "root/io.containerd.snapshotter.v1.overlayfs/metadata.db",
  ];
  const tar = spawnSync("tar", ["-xzf", sample, "-C", work, "--no-same-owner", ...members], {
    encoding: "utf8",
  });
  const root = join(work, "root");
  const runs = [["--version"], ["--help"]];
  if (tar.status === 0) {
    for (const c of ["images", "snapshots", "containers", "info"])
      runs.push(["--root", root, "--runtime", "containerd", c]);
  } else
    console.error(
      `code-cache: cannot unpack the sample's metadata (${tar.stderr.trim()}): warming up without it`,
    );
  const env = { ...process.env, CRIFS_CODE_CACHE: "write", NO_COLOR: "1" };
  for (const args of runs) {
    const r = spawnSync(process.execPath, [join(top, "bin", "crifs"), ...args], { env, encoding: "utf8" });
    if (r.status !== 0 && r.status !== 1)
      console.error(
        `code-cache: crifs ${args.join(" ")} exited ${r.status}: ${r.stderr.trim().split("\n")[0]}`,
      );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
