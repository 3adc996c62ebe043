#!/usr/bin/env node
// bench/repair.mjs — `crifs repair --apply` against `mv` and `rm -rf` of the same leaked dirs (issue 17).
//
// The store is the bundled sample (a real containerd root) unpacked into /var/tmp/crifs-bench-repair/root,
// with N leaked snapshot dirs planted beside its own (`snapshots/<100000+i>/fs/...`, F entries each: what a
// crashed node's snapshotter leaves). Each round, on a warm page cache:
//   crifs doctor --grace 0            what the plan must not cost more than
//   crifs repair --grace 0 -o json    the plan (changes nothing)
//   crifs repair --apply --yes        moves the N dirs into the quarantine, journaled
//   crifs repair --undo               puts them back (timed, for the record)
//   mv -t <dir on the same fs> <the N dirs>, then back: the baseline of the apply
//   node -e 0, crifs --version            the floor: what any Node process, and crifs's start, costs
// and once at the end `rm -rf` of the N dirs (what an operator does by hand today). Each round starts once the
// dirs are 11 s old (their ctime: planting, the undo and the mv back rename them): a leak on a node is hours
// old, and `repair` reads the store once, without doctor's pause and second read, only when every candidate
// is older than max(--grace, 10 s) (cli/commands/repair.ts ONE_READ_FLOOR_MS); the wait is not timed.
//
//   node bench/repair.mjs [--dirs 10000] [--files 100]      BENCH_ROUNDS (default 3), BENCH_DIR, BENCH_CRIFS
//
// Needs root (the sample holds whiteouts, device nodes) and GNU time for the CPU and RSS columns.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
// BENCH_CRIFS: another build's launcher (a before/after comparison on the same store)
const crifs = process.env.BENCH_CRIFS ?? join(repo, "bin", "crifs");
const { values } = parseArgs({
  options: { dirs: { type: "string", default: "10000" }, files: { type: "string", default: "100" } },
});
const dirs = Number(values.dirs);
const files = Number(values.files);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const base = process.env.BENCH_DIR ?? "/var/tmp/crifs-bench-repair";
const root = join(base, "root");
const snaps = join(root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
const parked = join(base, "mv-target");
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, ...opts });
}

/** The leaked dirs' names, in order. */
const leaked = Array.from({ length: dirs }, (_, i) => String(100000 + i));

function makeStore() {
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  sh("tar", [
    "--xattrs",
    "--xattrs-include=*",
    "--numeric-owner",
    "-xpzf",
    join(repo, "sample/containerd-root.tar.gz"),
    "-C",
    base,
  ]);
  writeFileSync(
    join(base, "config.toml"),
    readFileSync(join(base, "config.toml"), "utf8").replaceAll("@SAMPLE@", base),
  );
  mkdirSync(join(base, "state"), { recursive: true });
  mkdirSync(parked);
  // data files hard-linked F times per dir (a rename or an unlink costs the same for a link as for a file); a
  // new one every 50,000 links: ext4 allows 65,000 links to an inode (EMLINK)
  const t0 = performance.now();
  let links = 0;
  let data = "";
  for (const name of leaked) {
    const fs = join(snaps, name, "fs");
    for (let d = 0; d < Math.ceil(files / 50); d++) mkdirSync(join(fs, `usr/lib/p${d}`), { recursive: true });
    mkdirSync(join(snaps, name, "work"));
    for (let f = 0; f < files; f++) {
      if (links++ % 50000 === 0) {
        data = join(base, `data-${links}.bin`);
        writeFileSync(data, "x".repeat(100));
      }
      linkSync(data, join(fs, `usr/lib/p${Math.floor(f / 50)}/f${f}`));
    }
  }
  console.log(
    `bench/repair: planted ${dirs} dirs x ${files} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

function timed(label, cmd, args) {
  const rss = join(base, "rss.txt");
  const full = gnuTime ? [gnuTime, "-f", "%M %U %S", "-o", rss, cmd, ...args] : [cmd, ...args];
  const t0 = performance.now();
  const r = spawnSync(full[0], full.slice(1), { encoding: "utf8", maxBuffer: 1 << 28, env: process.env });
  const wall = (performance.now() - t0) / 1000;
  let cpu = null;
  let mb = null;
  if (gnuTime) {
    const [m, u, s] = readFileSync(rss, "utf8").trim().split("\n").pop().split(" ").map(Number);
    cpu = u + s;
    mb = m / 1024;
  }
  if (r.status !== 0 && !(label.startsWith("crifs doctor") && r.status <= 2))
    throw new Error(`${label}: exit ${r.status}: ${r.stderr.trim().split("\n").pop()}`);
  return { label, wall, cpu, mb, stdout: r.stdout };
}

const flags = ["--root", root, "--state", join(base, "state"), "--config", join(base, "config.toml")];
const here = () => readdirSync(snaps).filter((n) => /^1\d{5}$/.test(n)).length;

/** When the leaked dirs were last renamed (planted, or put back): their ctime. */
let lastMove = Date.now();

/** Waits until the leaked dirs are older than the one-read floor (10 s) and a second more. */
function waitForAge() {
  const wait = lastMove + 11_000 - Date.now();
  if (wait > 0) execFileSync("sleep", [String(wait / 1000)]);
}

function round() {
  waitForAge();
  const out = [];
  out.push(
    timed("crifs doctor --check orphan-snapshot-dir", crifs, [
      ...flags,
      "doctor",
      "--check",
      "orphan-snapshot-dir",
      "--grace",
      "0",
      "-o",
      "json",
    ]),
  );
  const plan = timed("crifs repair (plan)", crifs, [
    ...flags,
    "repair",
    "--check",
    "orphan-snapshot-dir",
    "--grace",
    "0",
    "-o",
    "json",
  ]);
  const actions = JSON.parse(plan.stdout).plans.reduce((n, p) => n + p.actions.length, 0);
  out.push(plan);
  out.push(
    timed("crifs repair --apply --yes", crifs, [
      ...flags,
      "repair",
      "--check",
      "orphan-snapshot-dir",
      "--grace",
      "0",
      "--apply",
      "--yes",
    ]),
  );
  if (here() !== 0) throw new Error(`the apply left ${here()} of the ${dirs} dirs`);
  out.push(timed("crifs repair --undo", crifs, [...flags, "repair", "--undo"]));
  if (here() !== dirs) throw new Error(`the undo brought back ${here()} of the ${dirs} dirs`);
  // mv: one process, every dir named (xargs splits at ARG_MAX), into a dir of the same filesystem
  const list = leaked.map((n) => join(snaps, n)).join("\0");
  writeFileSync(join(base, "list0"), list);
  out.push(
    timed("mv -t <dir> <the dirs>", "sh", ["-c", `xargs -0 mv -t ${parked} < ${join(base, "list0")}`]),
  );
  sh("sh", ["-c", `cd ${parked} && ls -U | xargs mv -t ${snaps}`]);
  lastMove = Date.now();
  // the floor under any crifs command: Node's own start, and crifs's start with its launcher and CLI modules
  out.push(timed("node -e 0 (floor)", process.execPath, ["-e", "0"]));
  out.push(timed("crifs --version (floor)", crifs, ["--version"]));
  if (here() !== dirs) throw new Error("mv back failed");
  return { out, actions };
}

if (!existsSync(join(snaps, leaked[dirs - 1] ?? "none"))) makeStore();
lastMove = Date.now();
const results = [];
for (let i = 0; i < rounds; i++) results.push(round());
sh("sync", []);
const rm = timed("rm -rf <the dirs>", "sh", [
  "-c",
  `cd ${snaps} && ls -U | grep -E '^1[0-9]{5}$' | xargs rm -rf`,
]);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const labels = results[0].out.map((r) => r.label);
const mvWall = median(results.map((r) => r.out.find((x) => x.label.startsWith("mv")).wall));
const doctorWall = median(results.map((r) => r.out[0].wall));
console.log(
  `\nbench/repair: ${dirs} leaked dirs x ${files} entries, ${results[0].actions} actions planned, ${rounds} rounds (medians)\n`,
);
console.log("| command | wall s | × mv | × doctor | CPU s | peak RSS MB |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const label of labels) {
  const rs = results.map((r) => r.out.find((x) => x.label === label));
  const wall = median(rs.map((r) => r.wall));
  const cpu = rs[0].cpu === null ? "—" : median(rs.map((r) => r.cpu)).toFixed(2);
  const mb = rs[0].mb === null ? "—" : median(rs.map((r) => r.mb)).toFixed(0);
  console.log(
    `| ${label} | ${wall.toFixed(2)} | ${(wall / mvWall).toFixed(2)} | ${(wall / doctorWall).toFixed(2)} | ${cpu} | ${mb} |`,
  );
}
console.log(
  `| ${rm.label} (once) | ${rm.wall.toFixed(2)} | ${(rm.wall / mvWall).toFixed(2)} | — | ${rm.cpu?.toFixed(2) ?? "—"} | ${rm.mb?.toFixed(0) ?? "—"} |`,
);
