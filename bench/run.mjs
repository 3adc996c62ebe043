#!/usr/bin/env node
// bench/run.mjs — `npm run bench`: crifs's scanner next to GNU du and find on a real containerd store of
// ≥ 1 M entries (bench/make-store.mjs makes it once, then re-uses it). Not a test: it prints ratios.
//
// Method (as for the measurements in docs/performance.md): warm page cache; one untimed warm-up pass over every
// command; then BENCH_ROUNDS rounds (default 3). Each round runs the commands in a rotated order, with
// `du -s -B1 <root>` and `find <root> -xtype l` again after every 3 commands. A run's ratio is its wall time
// over the mean of the nearest baseline run before and after it; the table gives the median and the range.
// Peak RSS comes from GNU time (%M), else from polling /proc/<pid>/status (VmHWM).
// Correctness is checked once first (untimed): scan totals against `du -s -B1 -x` and `du --inodes -x`
// over the same snapshot dirs, the symlink count against `find -type l`.
//
//   npm run build && npm run bench
//   BENCH_ROUNDS=5  BENCH_TIMEOUT=60 (s per command)  BENCH_ONLY='scan.mjs native' (a regexp on the names)
//   BENCH_DIR=/var/tmp/crifs-bench
// The CPU column (user + system, from GNU time) against du's is steadier than wall time on a shared machine.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const benchDir = process.env.BENCH_DIR ?? "/var/tmp/crifs-bench";
const root = join(benchDir, "root");
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const timeout = Number(process.env.BENCH_TIMEOUT ?? 60); // seconds; a command past it is killed and shown so
const crifs = join(repo, "bin", "crifs");
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

// ---------- the store and the build ----------
const made = spawnSync(process.execPath, [join(repo, "bench", "make-store.mjs")], { stdio: "inherit" });
if (made.status !== 0) process.exit(made.status ?? 1);
if (!existsSync(join(repo, "dist", "src", "fs", "walk.js"))) {
  console.error("bench: not built: run `npm run build` first");
  process.exit(70);
}
const stamp = JSON.parse(readFileSync(join(benchDir, "stamp.json"), "utf8"));
const snapshots = join(root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
const fsDirs = readdirSync(snapshots).map((id) => join(snapshots, id, "fs"));
const native = existsSync(join(repo, "build", "Release", "crifs_scan.node"));

console.log(
  `bench: ${stamp.entries} entries, ${stamp.inodes} inodes, ${stamp.snapshots} snapshots in ${root}; ` +
    `node ${process.version}, kernel ${release()}, ${spawnSync("nproc", { encoding: "utf8" }).stdout.trim()} CPUs; ` +
    `native scanner ${native ? "built" : "NOT built (npm run install)"}`,
);

// ---------- correctness, once ----------
function out(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, env });
  return r.stdout;
}
const duSum = (args) =>
  out("du", [...args, ...fsDirs])
    .trim()
    .split("\n")
    .reduce((s, l) => s + Number(l.split("\t")[0]), 0);
const expectBytes = duSum(["-s", "-B1", "-x"]);
const expectInodes = duSum(["-s", "--inodes", "-x"]);
const expectLinks = out("find", [...fsDirs, "-type", "l"]).split("\n").length - 1;
for (const engine of native ? ["native", "js"] : ["js"]) {
  const r = JSON.parse(
    out(process.execPath, [join(repo, "bench", "scan.mjs"), root, "--engine", engine, "--symlinks"]),
  );
  const ok =
    r.total.allocatedBytes === expectBytes && r.total.inodes === expectInodes && r.symlinks === expectLinks;
  console.log(
    `bench: check ${engine}: ${r.total.allocatedBytes} bytes (du -x: ${expectBytes}), ${r.total.inodes} inodes ` +
      `(du: ${expectInodes}), ${r.symlinks} symlinks (find -type l: ${expectLinks}), ${r.errors} errors: ${ok ? "EQUAL" : "DIFFERENT"}`,
  );
}

// ---------- commands ----------
const scan = (engine, extra) => [
  process.execPath,
  join(repo, "bench", "scan.mjs"),
  root,
  "--engine",
  engine,
  ...extra,
];
const xdg = (name) => join(benchDir, `xdg-${name}`);
/** A unit is run as a whole (cold before warm: the warm run needs the cold run's cache). */
const units = [];
const baselines = {
  du: { name: "du -s -B1 <root>", cmd: ["du", "-s", "-B1", root] },
  find: { name: "find <root> -xtype l", cmd: ["find", root, "-xtype", "l"] },
};
const skipped = [];
const crifsCommands = [
  ["du", []],
  ["links", []], // broken links: what find -xtype l is the baseline for
  ["links", ["--shared"]], // plus hard-link groups and duplicates: lstats and reads every candidate file
  ["doctor", []],
];
for (const [sub, flags] of crifsCommands) {
  const label = [sub, ...flags].join(" ");
  const help = spawnSync(crifs, [sub, "--help"], { encoding: "utf8" });
  if (help.status !== 0 || !help.stdout.startsWith(`Usage: crifs ${sub}`)) {
    const why = (help.stderr || help.stdout || "").trim().split("\n")[0] ?? "";
    skipped.push(
      `skip: \`crifs ${label}\` is not there yet (bin/crifs ${sub} --help exited ${help.status}: ${why})`,
    );
    continue;
  }
  const tag = label.replace(/[^a-z]+/g, "-");
  units.push([
    {
      name: `crifs ${label} (cold cache)`,
      cmd: [crifs, sub, ...flags, "--root", root],
      env: { XDG_CACHE_HOME: xdg(`${tag}-cold`) },
      before: () => rmSync(xdg(`${tag}-cold`), { recursive: true, force: true }),
    },
    {
      name: `crifs ${label} (warm cache)`,
      cmd: [crifs, sub, ...flags, "--root", root],
      env: { XDG_CACHE_HOME: xdg(`${tag}-warm`) },
    },
  ]);
}
for (const engine of native ? ["native", "js"] : ["js"]) {
  units.push([
    { name: `scan.mjs ${engine}, cold cache file`, cmd: scan(engine, ["--cache", "cold"]) },
    { name: `scan.mjs ${engine}, warm cache`, cmd: scan(engine, ["--cache", "warm"]) },
  ]);
  units.push([{ name: `scan.mjs ${engine}, no cache`, cmd: scan(engine, ["--cache", "none"]) }]);
  units.push([{ name: `scan.mjs ${engine} --symlinks, no cache`, cmd: scan(engine, ["--symlinks"]) }]);
  units.push([{ name: `scan.mjs ${engine} --links (symlinks only)`, cmd: scan(engine, ["--links"]) }]);
}
for (const s of skipped) console.log(`bench: ${s}`);

// ---------- running ----------
/** Runs one command; resolves to { wall (s), rss (MB), status }. */
function run(c) {
  c.before?.();
  const env = { ...process.env, ...(c.env ?? {}) };
  const rssFile = join(benchDir, "rss.txt");
  const [cmd, ...args] = gnuTime ? [gnuTime, "-f", "%M %U %S", "-o", rssFile, ...c.cmd] : c.cmd;
  return new Promise((resolve) => {
    const t0 = performance.now();
    // own process group: a timeout kills GNU time and the command under it
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env, detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid, "SIGKILL");
    }, timeout * 1000);
    let hwm = 0;
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const poll = gnuTime
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
            if (m) hwm = Math.max(hwm, Number(m[1]));
          } catch {}
        }, 10);
    child.on("close", (status) => {
      const wall = (performance.now() - t0) / 1000;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let kb = hwm;
      let cpu = null;
      try {
        if (gnuTime && !timedOut) {
          const [m, u, sys] = readFileSync(rssFile, "utf8").trim().split("\n").pop().split(" ").map(Number);
          kb = m;
          cpu = u + sys;
        }
      } catch {}
      resolve({
        wall,
        cpu,
        rss: kb / 1024,
        status,
        timedOut,
        stderr: stderr
          .trim()
          .split("\n")
          .filter((l) => !l.startsWith("\t")),
      });
    });
  });
}

mkdirSync(benchDir, { recursive: true });
const results = new Map(); // name → [{ wall, rss, vsDu, vsFind }]
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
if (only) {
  const kept = units.filter((u) => u.some((c) => only.test(c.name)));
  units.splice(0, units.length, ...kept);
}
const all = [baselines.du, baselines.find, ...units.flat()];
for (const c of all) results.set(c.name, []);

console.log(`bench: warm-up pass over ${all.length} commands`);
const tooSlow = new Set();
for (const c of all) {
  const r = await run(c);
  if (r.timedOut) {
    tooSlow.add(c.name);
    console.log(`bench: ${c.name} took over ${timeout} s in the warm-up: left out of the rounds`);
    continue;
  }
  if (r.status !== 0 && !c.name.startsWith("crifs doctor") && !c.name.startsWith("find"))
    console.log(`bench: ${c.name} exited ${r.status}: ${r.stderr.slice(-2).join(" | ")}`);
}

for (let round = 0; round < rounds; round++) {
  const order = units.map((_, i) => units[(i + round) % units.length]);
  const base = [];
  const pending = [];
  const baseline = async () => {
    const du = await run(baselines.du);
    const find = await run(baselines.find);
    results.get(baselines.du.name).push({ ...du, vsDu: null, vsFind: null });
    results.get(baselines.find.name).push({ ...find, vsDu: null, vsFind: null });
    base.push({ du: du.wall, duCpu: du.cpu, find: find.wall, at: pending.length });
  };
  await baseline();
  let sinceBaseline = 0;
  for (const unit of order) {
    for (const c of unit) {
      if (tooSlow.has(c.name)) continue;
      const r = await run(c);
      pending.push({ name: c.name, r, before: base.length - 1 });
    }
    if (++sinceBaseline >= 2) {
      await baseline();
      sinceBaseline = 0;
    }
  }
  if (sinceBaseline > 0) await baseline();
  for (const p of pending) {
    const b = base[p.before];
    const a = base[p.before + 1] ?? b;
    const du = (b.du + a.du) / 2;
    const find = (b.find + a.find) / 2;
    const duCpu = (b.duCpu + a.duCpu) / 2;
    results.get(p.name).push({
      ...p.r,
      vsDu: p.r.wall / du,
      vsFind: p.r.wall / find,
      cpuVsDu: p.r.cpu === null || !duCpu ? null : p.r.cpu / duCpu,
    });
  }
  console.log(`bench: round ${round + 1}/${rounds} done`);
}

// ---------- report ----------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (xs, digits = 2) =>
  xs.length === 0
    ? "—"
    : `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
const rows = [["command", "runs", "wall s", "× du -s", "× find -xtype l", "CPU × du", "peak RSS MB"]];
const summary = {};
for (const [name, rs] of results) {
  const vsDu = rs.filter((r) => r.vsDu !== null).map((r) => r.vsDu);
  const vsFind = rs.filter((r) => r.vsFind !== null).map((r) => r.vsFind);
  const cpuVsDu = rs.filter((r) => r.cpuVsDu !== null && r.cpuVsDu !== undefined).map((r) => r.cpuVsDu);
  const timeouts = rs.filter((r) => r.timedOut).length;
  rows.push([
    name,
    String(rs.length),
    tooSlow.has(name)
      ? `> ${timeout} (warm-up)`
      : timeouts > 0
        ? `> ${timeout} in ${timeouts} run(s)`
        : fmt(rs.map((r) => r.wall)),
    name === baselines.du.name ? "1" : fmt(vsDu),
    name === baselines.find.name ? "1" : fmt(vsFind),
    name === baselines.du.name ? "1" : fmt(cpuVsDu),
    rs.length > 0 ? median(rs.map((r) => r.rss)).toFixed(0) : "—",
  ]);
  summary[name] = {
    runs: rs.length,
    timeouts,
    wall: rs.map((r) => r.wall),
    vsDu,
    vsFind,
    cpuVsDu,
    cpu: rs.map((r) => r.cpu),
    rssMB: rs.map((r) => r.rss),
  };
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const [i, r] of rows.entries()) {
  console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  "));
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
for (const s of skipped) console.log(s);
const file = join(benchDir, `results-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify({ stamp, rounds, skipped, summary }, null, 1)}\n`);
console.log(`bench: raw numbers in ${file}`);
