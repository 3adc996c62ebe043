#!/usr/bin/env node
// bench/clone.mjs — `crifs clone` next to `cp -a` and `cp -al` on the bench stores (issue 18): per shape, one
// committed snapshot (its `fs` dir) cloned with --mode copy against `cp -a` of the same dir, and with --mode
// hardlink against `cp -al`, in the same run and on the same filesystem (the copies go beside the store). Not a
// test: it prints ratios.
//
// Which snapshot: the biggest layer (by entries counted on disk) of the shape's biggest image (the chain of
// layers with the most entries in all): for `mixed`, the 1 M-entry store, that is the tree issue 18 names.
//
// Per round and mode, crifs and its cp run back to back (crifs first in even rounds, cp first in odd ones), each
// into a fresh dir that is removed (untimed) after it, so a burst of load on the shared machine hits both
// alike; one untimed warm-up of every command first, so every command reads a warm page cache. The ratio of a
// round is crifs's over the cp run next to it, for wall time and for CPU time (user + system of the process,
// GNU time: steadier than wall on a shared machine); the table gives the median and the range, peak RSS (GNU
// time), and the 1-minute load average read before each command (median and range).
// crifs's time includes Node's start and reading the store's metadata (what a user waits for); `node -e 0` is
// and `crifs --version` are timed once per round too, as the floors under it.
//
//   npm run build && node bench/clone.mjs                      mixed, big-layers, tiny-layers; 3 rounds
//   node bench/clone.mjs --shape mixed   BENCH_ROUNDS=5        one shape (bench/make-store.mjs builds them)
//   BENCH_MODES=copy|hardlink                                  one mode only
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { shapes } from "./shapes.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const i = argv.indexOf("--shape");
const names = (i >= 0 ? argv[i + 1] : (process.env.BENCH_SHAPES ?? "mixed,big-layers,tiny-layers")).split(
  ",",
);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const modes = (process.env.BENCH_MODES ?? "copy,hardlink").split(",");
const crifs = join(repo, "bin", "crifs");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const range = (xs, d = 2) =>
  `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;

/** Runs argv under GNU time; { wall s, cpu s (user + system), rss MB, load (1-min, before) }. Throws on a
 * non-zero exit. */
function timed(cmd) {
  const load = loadavg()[0];
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M %U %S", ...cmd], { encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
  const [kb, user, sys] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { wall, cpu: user + sys, rss: kb / 1024, load };
}

/** Entries of a tree, the root included (find's count). */
const entriesOf = (dir) =>
  spawnSync("find", [dir, "-printf", "."], { encoding: "utf8", maxBuffer: 1 << 30 }).stdout.length;

/** The biggest layer of the biggest image: the chains of committed snapshots (top to base, by parent), the
 * one with the most entries, and its layer with the most. */
function biggestLayer(dir) {
  const snaps = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).filter(
    (s) => s.snapshotKind === "committed",
  );
  const byName = new Map(snaps.map((s) => [s.name, s]));
  const parents = new Set(snaps.map((s) => s.parent));
  const tops = snaps.filter((s) => !parents.has(s.name));
  let best = null;
  for (const top of tops) {
    const layers = [];
    for (let s = top; s !== undefined; s = byName.get(s.parent))
      layers.push({ ...s, entries: entriesOf(s.fs) });
    const total = layers.reduce((a, l) => a + l.entries, 0);
    if (best === null || total > best.total) best = { top, layers, total };
  }
  const big = best.layers.reduce((a, b) => (b.entries > a.entries ? b : a));
  return { ...big, imageLayers: best.layers.length, imageEntries: best.total, images: tops.length };
}

for (const name of names) {
  const shape = shapes[name];
  if (shape === undefined) throw new Error(`no shape "${name}" (known: ${Object.keys(shapes).join(", ")})`);
  const dir = shape.dir;
  if (!existsSync(join(dir, "manifest.json")))
    throw new Error(`${dir}: no store: node bench/make-store.mjs --shape ${name}`);
  const big = biggestLayer(dir);
  const store = ["--runtime", "containerd", "--root", join(dir, "root"), "--state", join(dir, "state")];
  const out = (what) => join(dir, `clone-bench-${what}`);
  const clone = (mode) => [process.execPath, crifs, ...store, "clone", big.name, out(mode), "--mode", mode];
  const pairs = {
    copy: {
      crifs: "crifs clone --mode copy",
      cp: "cp -a",
      argv: [clone("copy"), ["cp", "-a", big.fs, out("cp")]],
    },
    hardlink: {
      crifs: "crifs clone --mode hardlink",
      cp: "cp -al",
      argv: [clone("hardlink"), ["cp", "-al", big.fs, out("cpl")]],
    },
  };
  const clean = () => {
    // rm(1): Node's rmSync of 10^5 entries takes seconds more
    spawnSync("rm", ["-rf", ...["cp", "copy", "cpl", "hardlink"].map(out)]);
  };
  const bytes = spawnSync("du", ["-s", "-B1", big.fs], { encoding: "utf8" }).stdout.split("\t")[0];
  console.log(
    `## ${name}: the biggest of ${big.images} images (${big.imageLayers} layers, ${big.imageEntries} entries); ` +
      `its biggest layer: snapshot ${big.id} (${big.entries} entries, ${(Number(bytes) / 2 ** 30).toFixed(2)} GiB allocated)`,
  );
  clean();
  const res = {};
  for (const m of modes) {
    const p = pairs[m];
    res[p.crifs] = [];
    res[p.cp] = [];
    for (const a of p.argv) {
      timed(a); // warm-up
      clean();
    }
  }
  // Node's own start and the CLI's (its bundle loaded, nothing read), timed in every round beside the pairs:
  // the floors under any crifs command
  const floors = {
    "node -e 0 (Node's start alone)": [process.execPath, "-e", "0"],
    "crifs --version (the CLI's start)": [process.execPath, crifs, "--version"],
  };
  for (const k of Object.keys(floors)) res[k] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [k, argv] of Object.entries(floors)) res[k].push(timed(argv));
    for (const m of modes) {
      const p = pairs[m];
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const j of order) {
        res[j === 0 ? p.crifs : p.cp].push(timed(p.argv[j]));
        clean();
      }
    }
  }
  const ratio = (a, b, f) => res[a].map((x, j) => x[f] / res[b][j][f]);
  console.log("| command | wall s | × cp (wall) | CPU s | × cp (CPU) | peak RSS MB | load avg |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const m of modes) {
    const p = pairs[m];
    for (const k of [p.cp, p.crifs]) {
      const b = k === p.crifs ? p.cp : null;
      console.log(
        `| ${k} | ${range(res[k].map((x) => x.wall))} | ${b ? range(ratio(k, b, "wall")) : "—"} | ` +
          `${range(res[k].map((x) => x.cpu))} | ${b ? range(ratio(k, b, "cpu")) : "—"} | ` +
          `${median(res[k].map((x) => x.rss)).toFixed(0)} | ${range(
            res[k].map((x) => x.load),
            1,
          )} |`,
      );
    }
  }
  for (const k of Object.keys(floors)) {
    const f = res[k];
    console.log(
      `| ${k} | ${range(f.map((x) => x.wall))} | — | ${range(f.map((x) => x.cpu))} | — | ` +
        `${median(f.map((x) => x.rss)).toFixed(0)} | ${range(
          f.map((x) => x.load),
          1,
        )} |`,
    );
  }
}
