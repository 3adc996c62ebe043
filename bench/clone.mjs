#!/usr/bin/env node
// bench/clone.mjs — `crifs clone` next to `cp -a` and `cp -al` on the bench stores (issue 18): per shape, the
// biggest committed snapshot (its `fs` dir, by the shape's planned entry count in manifest.json) cloned with
// --mode copy against `cp -a` of the same dir, and with --mode hardlink against `cp -al`, in the same run and
// on the same filesystem (the copies go beside the store). Not a test: it prints ratios.
//
// Per round, the four commands run in a rotated order, each into a fresh dir that is removed (untimed) after
// it; one untimed warm-up pass first, so every command reads a warm page cache. The ratio of a round is crifs's
// wall time over the cp run of the same round; the table gives the median and the range, and peak RSS (GNU time
// %M). crifs's time includes loading the store's metadata (what a user waits for).
//
//   npm run build && node bench/clone.mjs                      big-layers and tiny-layers, 3 rounds
//   node bench/clone.mjs --shape mixed   BENCH_ROUNDS=5        other shapes (bench/make-store.mjs builds them)
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { shapes } from "./shapes.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const i = argv.indexOf("--shape");
const names = (i >= 0 ? argv[i + 1] : (process.env.BENCH_SHAPES ?? "big-layers,tiny-layers")).split(",");
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const crifs = join(repo, "bin", "crifs");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const range = (xs, d = 2) =>
  `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;

/** Runs argv under GNU time; { wall s, rss MB }. Throws on a non-zero exit. */
function timed(cmd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", ...cmd], { encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
  const kb = Number(r.stderr.trim().split("\n").pop());
  return { wall, rss: kb / 1024 };
}

for (const name of names) {
  const shape = shapes[name];
  if (shape === undefined) throw new Error(`no shape "${name}" (known: ${Object.keys(shapes).join(", ")})`);
  const dir = shape.dir;
  if (!existsSync(join(dir, "manifest.json")))
    throw new Error(`${dir}: no store: node bench/make-store.mjs --shape ${name}`);
  const snaps = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).filter(
    (s) => s.snapshotKind === "committed",
  );
  const big = snaps.reduce((a, b) => ((b.target ?? 0) > (a.target ?? 0) ? b : a));
  const store = ["--runtime", "containerd", "--root", join(dir, "root"), "--state", join(dir, "state")];
  const out = (what) => join(dir, `clone-bench-${what}`);
  const commands = {
    "cp -a": () => ["cp", "-a", big.fs, out("cp")],
    "crifs clone --mode copy": () => [
      process.execPath,
      crifs,
      ...store,
      "clone",
      big.name,
      out("copy"),
      "--mode",
      "copy",
    ],
    "cp -al": () => ["cp", "-al", big.fs, out("cpl")],
    "crifs clone --mode hardlink": () => [
      process.execPath,
      crifs,
      ...store,
      "clone",
      big.name,
      out("hardlink"),
      "--mode",
      "hardlink",
    ],
  };
  const clean = () => {
    // rm(1): Node's rmSync of 10^5 entries takes seconds more
    spawnSync("rm", ["-rf", ...["cp", "copy", "cpl", "hardlink"].map(out)]);
  };
  const entries =
    spawnSync("find", [big.fs], { encoding: "utf8", maxBuffer: 1 << 30 }).stdout.split("\n").length - 1;
  const bytes = spawnSync("du", ["-s", "-B1", big.fs], { encoding: "utf8" }).stdout.split("\t")[0];
  console.log(
    `## ${name}: snapshot ${big.id} (${entries} entries, ${(Number(bytes) / 2 ** 30).toFixed(2)} GiB allocated)`,
  );
  clean();
  const keys = Object.keys(commands);
  for (const k of keys) {
    timed(commands[k]()); // warm-up
    clean();
  }
  const res = Object.fromEntries(keys.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    const order = keys.map((_, j) => keys[(j + r) % keys.length]);
    for (const k of order) {
      res[k].push(timed(commands[k]()));
      clean();
    }
  }
  const ratio = (a, b) => res[a].map((x, j) => x.wall / res[b][j].wall);
  console.log("| command | wall s | × cp | peak RSS MB |");
  console.log("| --- | --- | --- | --- |");
  for (const k of keys) {
    const vs =
      k === "crifs clone --mode copy"
        ? ratio(k, "cp -a")
        : k === "crifs clone --mode hardlink"
          ? ratio(k, "cp -al")
          : null;
    console.log(
      `| ${k} | ${range(res[k].map((x) => x.wall))} | ${vs === null ? "—" : range(vs)} | ${median(res[k].map((x) => x.rss)).toFixed(0)} |`,
    );
  }
}
