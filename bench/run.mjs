#!/usr/bin/env node
// bench/run.mjs — `npm run bench`: crifs next to GNU du, find and jdupes on real containerd stores of several
// shapes (bench/shapes.mjs; bench/make-store.mjs makes each once, then re-uses it). Not a test: it prints ratios.
//
// Method (as for the measurements in docs/performance.md), per shape: correctness first, untimed (scan totals
// against `du -s -B1 -x` and `du --inodes -x` over the same snapshot dirs, the symlink count against
// `find -type l`); warm page cache; one untimed warm-up pass over every command; then BENCH_ROUNDS rounds
// (default 3). Each round runs the commands in a rotated order, with `du -s -B1 <root>` and
// `find <root> -xtype l` again after every 2 units. A run's ratio is its wall time over the mean of the
// nearest baseline run before and after it; the table gives the median and the range. `jdupes -r` over the
// snapshot dirs runs in the same unit as, and just before, `crifs links --shared`, whose × jdupes ratio is
// against that run. Peak RSS comes from GNU time (%M), else from polling /proc/<pid>/status (VmHWM).
//
//   npm run build && npm run bench                           the `mixed` shape, as before
//   node bench/run.mjs --shape big-layers,tiny-layers        or BENCH_SHAPES=big-layers,tiny-layers; `all`
//   node bench/run.mjs --report <results.json>               the markdown tables of a run, for bench/README
//   BENCH_ROUNDS=5  BENCH_TIMEOUT=60 (s per command)  BENCH_ONLY='crifs du' (a regexp on the names)
//   BENCH_DIR (with one shape: its dir)  BENCH_RESULTS=/var/tmp/crifs-bench-results (where the JSON goes)
// The CPU column (user + system, from GNU time) against du's is steadier than wall time on a shared machine.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { shapes } from "./shapes.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const arg = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const timeout = Number(process.env.BENCH_TIMEOUT ?? 60); // seconds; a command past it is killed and shown so
const crifs = join(repo, "bin", "crifs");
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const jdupes = spawnSync("jdupes", ["-v"], { encoding: "utf8" });
const jdupesVersion = jdupes.status === 0 ? jdupes.stdout.split("\n")[0] : null;
const resultsDir = process.env.BENCH_RESULTS ?? "/var/tmp/crifs-bench-results";

// ---------- the report of a run (also printed at the end of one) ----------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (xs, digits = 2) =>
  xs.length === 0
    ? "—"
    : `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
const columns = [
  "command",
  "runs",
  "wall s",
  "× du -s",
  "× find -xtype l",
  "× jdupes -r",
  "CPU × du",
  "peak RSS MB",
];
/** One row per command of a shape's summary, as text cells. */
function rowsOf(shape) {
  const rows = [];
  for (const [name, s] of Object.entries(shape.summary)) {
    const isDu = name === shape.baselines.du;
    rows.push([
      name,
      String(s.runs),
      s.tooSlow
        ? `> ${shape.timeout} (warm-up)`
        : s.timeouts > 0
          ? `${s.wall.length > 0 ? `${fmt(s.wall)}; ` : ""}> ${shape.timeout} in ${s.timeouts} run(s)`
          : fmt(s.wall),
      isDu ? "1" : fmt(s.vsDu),
      name === shape.baselines.find ? "1" : fmt(s.vsFind),
      name === shape.baselines.jdupes ? "1" : fmt(s.vsJdupes ?? []),
      isDu ? "1" : fmt(s.cpuVsDu),
      s.rssMB.length > 0 ? median(s.rssMB).toFixed(0) : "—",
    ]);
  }
  return rows;
}
function printTable(rows, { markdown }) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const cells = (r) => r.map((c, j) => (j === 0 || markdown ? c.padEnd(widths[j]) : c.padStart(widths[j])));
  const lines = [];
  for (const [i, r] of rows.entries()) {
    lines.push(markdown ? `| ${cells(r).join(" | ")} |` : cells(r).join("  "));
    if (i === 0)
      lines.push(
        markdown
          ? `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`
          : widths.map((w) => "-".repeat(w)).join("  "),
      );
  }
  return lines.join("\n");
}
/** The ratio the issue's target is about, per command: what a cell of the all-shapes table shows. */
function headline(name, s) {
  if (s.vsDu.length === 0 && s.vsFind.length === 0 && s.wall.length > 0)
    return `${median(s.wall).toFixed(2)} s, ${median(s.rssMB).toFixed(0)} MB`; // a baseline: its own time
  const pick = /links --shared/.test(name)
    ? ["vsJdupes", "× jdupes"]
    : /^crifs links|^find/.test(name)
      ? ["vsFind", "× find"]
      : ["vsDu", "× du"];
  const xs = s[pick[0]] ?? [];
  const rss = s.rssMB.length > 0 ? `, ${median(s.rssMB).toFixed(0)} MB` : "";
  if (s.tooSlow) return `> ${s.timeout} s (warm-up)`;
  return xs.length === 0 ? `—${rss}` : `${median(xs).toFixed(2)} ${pick[1]}${rss}`;
}
function markdownOf(results) {
  const out = [];
  const names = Object.keys(results.shapes);
  const commands = [...new Set(names.flatMap((n) => Object.keys(results.shapes[n].summary)))];
  out.push(
    `All shapes, ${results.rounds} round(s), ${results.startedAt} (median ratio against the baseline of the issue's target, peak RSS):`,
    "",
    printTable(
      [
        ["command", ...names],
        ...commands.map((c) => [
          c,
          ...names.map((n) => {
            const s = results.shapes[n].summary[c];
            return s ? headline(c, { ...s, timeout: results.shapes[n].timeout }) : "—";
          }),
        ]),
      ],
      { markdown: true },
    ),
  );
  for (const n of names) {
    const shape = results.shapes[n];
    const st = shape.stamp;
    out.push(
      "",
      `**${n}**: ${st.entries.toLocaleString("en")} entries, ${st.snapshots} snapshots, ${st.images} images, ` +
        `${st.containers} containers${st.symlinks === undefined ? "" : `, ${st.symlinks.toLocaleString("en")} symlinks`}` +
        `; checks: ${shape.checks.map((c) => `${c.engine} ${c.ok ? "EQUAL" : "DIFFERENT"}`).join(", ")}`,
      "",
      printTable([columns, ...rowsOf(shape)], { markdown: true }),
    );
    for (const s of shape.skipped) out.push("", `- ${s}`);
  }
  return out.join("\n");
}
const reportFile = arg("report");
if (reportFile) {
  console.log(markdownOf(JSON.parse(readFileSync(reportFile, "utf8"))));
  process.exit(0);
}

// ---------- the build and the shapes ----------
if (!existsSync(join(repo, "dist", "src", "fs", "walk.js"))) {
  console.error("bench: not built: run `npm run build` first");
  process.exit(70);
}
const wanted = (arg("shape") ?? process.env.BENCH_SHAPES ?? "mixed").split(",").filter((s) => s !== "");
const shapeNames = wanted.includes("all") ? Object.keys(shapes) : wanted;
for (const n of shapeNames)
  if (!shapes[n]) {
    console.error(`bench: no shape "${n}" (known: ${Object.keys(shapes).join(", ")}, all)`);
    process.exit(64);
  }
if (process.env.BENCH_DIR && shapeNames.length > 1) {
  console.error("bench: BENCH_DIR names the dir of one shape: pass one --shape with it");
  process.exit(64);
}
const native = existsSync(join(repo, "build", "Release", "crifs_scan.node"));
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
if (!jdupesVersion)
  console.log(
    "bench: jdupes is not installed (Debian package jdupes: apt-get install jdupes): no × jdupes column",
  );

// ---------- running one command ----------
/** Runs one command; resolves to { wall (s), cpu (s), rss (MB), status }. */
function run(c, benchDir) {
  c.before?.();
  const env = { ...process.env, ...(c.env ?? {}) };
  const rssFile = join(benchDir, "rss.txt");
  const [cmd, ...args] = gnuTime ? [gnuTime, "-f", "%M %U %S", "-o", rssFile, ...c.cmd] : c.cmd;
  return new Promise((resolve) => {
    const t0 = performance.now();
    // own process group: a timeout kills GNU time and the command under it
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env, detached: true });
    let timedOut = false;
    // baselines have no limit: a ratio against a killed du would be a ratio against the limit
    const timer = c.isBaseline
      ? null
      : setTimeout(() => {
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
function out(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, env });
  return r.stdout;
}

// ---------- one shape ----------
async function benchShape(shapeName) {
  const benchDir = process.env.BENCH_DIR ?? shapes[shapeName].dir;
  const root = join(benchDir, "root");
  const made = spawnSync(process.execPath, [join(repo, "bench", "make-store.mjs"), "--shape", shapeName], {
    stdio: "inherit",
  });
  if (made.status !== 0) process.exit(made.status ?? 1);
  const stamp = JSON.parse(readFileSync(join(benchDir, "stamp.json"), "utf8"));
  const snapshots = join(root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
  const fsDirs = readdirSync(snapshots).map((id) => join(snapshots, id, "fs"));
  console.log(
    `bench: ${shapeName}: ${stamp.entries} entries, ${stamp.inodes} inodes, ${stamp.snapshots} snapshots in ${root}; ` +
      `node ${process.version}, kernel ${release()}, ${spawnSync("nproc", { encoding: "utf8" }).stdout.trim()} CPUs; ` +
      `native scanner ${native ? "built" : "NOT built (npm run install)"}; ${jdupesVersion ?? "no jdupes"}`,
  );

  // correctness, once
  const duSum = (args) =>
    out("du", [...args, ...fsDirs])
      .trim()
      .split("\n")
      .reduce((s, l) => s + Number(l.split("\t")[0]), 0);
  const expectBytes = duSum(["-s", "-B1", "-x"]);
  const expectInodes = duSum(["-s", "--inodes", "-x"]);
  const expectLinks = out("find", [...fsDirs, "-type", "l"]).split("\n").length - 1;
  const checks = [];
  for (const engine of native ? ["native", "js"] : ["js"]) {
    const r = JSON.parse(
      out(process.execPath, [join(repo, "bench", "scan.mjs"), root, "--engine", engine, "--symlinks"]),
    );
    const ok =
      r.total.allocatedBytes === expectBytes && r.total.inodes === expectInodes && r.symlinks === expectLinks;
    checks.push({
      engine,
      ok,
      bytes: r.total.allocatedBytes,
      duBytes: expectBytes,
      inodes: r.total.inodes,
      duInodes: expectInodes,
      symlinks: r.symlinks,
      findSymlinks: expectLinks,
      errors: r.errors,
    });
    console.log(
      `bench: ${shapeName}: check ${engine}: ${r.total.allocatedBytes} bytes (du -x: ${expectBytes}), ${r.total.inodes} inodes ` +
        `(du: ${expectInodes}), ${r.symlinks} symlinks (find -type l: ${expectLinks}), ${r.errors} errors: ${ok ? "EQUAL" : "DIFFERENT"}`,
    );
  }

  // the commands
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
    du: { name: "du -s -B1 <root>", cmd: ["du", "-s", "-B1", root], isBaseline: true },
    find: { name: "find <root> -xtype l", cmd: ["find", root, "-xtype", "l"], isBaseline: true },
  };
  const jdupesName = "jdupes -r <snapshot dirs>";
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
    const unit = [
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
    ];
    // jdupes reads the same files as --shared: it goes first in the same unit, so the two meet the same cache
    if (flags.includes("--shared") && jdupesVersion)
      unit.unshift({ name: jdupesName, cmd: ["jdupes", "-r", "-q", ...fsDirs] });
    units.push(unit);
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
  for (const s of skipped) console.log(`bench: ${shapeName}: ${s}`);

  mkdirSync(benchDir, { recursive: true });
  const results = new Map(); // name → [{ wall, rss, vsDu, vsFind, vsJdupes }]
  if (only) {
    const kept = units.filter((u) => u.some((c) => only.test(c.name)));
    units.splice(0, units.length, ...kept);
  }
  const all = [baselines.du, baselines.find, ...units.flat()];
  for (const c of all) results.set(c.name, []);

  console.log(`bench: ${shapeName}: warm-up pass over ${all.length} commands`);
  const tooSlow = new Set();
  for (const c of all) {
    const r = await run(c, benchDir);
    if (r.timedOut) {
      tooSlow.add(c.name);
      console.log(
        `bench: ${shapeName}: ${c.name} took over ${timeout} s in the warm-up: left out of the rounds`,
      );
      continue;
    }
    if (
      r.status !== 0 &&
      !c.name.startsWith("crifs doctor") &&
      !c.name.startsWith("find") &&
      !c.name.startsWith("jdupes")
    )
      console.log(`bench: ${shapeName}: ${c.name} exited ${r.status}: ${r.stderr.slice(-2).join(" | ")}`);
  }

  for (let round = 0; round < rounds; round++) {
    const order = units.map((_, i) => units[(i + round) % units.length]);
    const base = [];
    const pending = [];
    const baseline = async () => {
      const du = await run(baselines.du, benchDir);
      const find = await run(baselines.find, benchDir);
      results.get(baselines.du.name).push({ ...du, vsDu: null, vsFind: null });
      results.get(baselines.find.name).push({ ...find, vsDu: null, vsFind: null });
      base.push({ du: du.wall, duCpu: du.cpu, find: find.wall, at: pending.length });
    };
    await baseline();
    let sinceBaseline = 0;
    for (const unit of order) {
      let jdupesWall = null;
      for (const c of unit) {
        if (tooSlow.has(c.name)) continue;
        const r = await run(c, benchDir);
        if (c.name === jdupesName && !r.timedOut) jdupesWall = r.wall;
        const vsJdupes =
          c.name !== jdupesName && jdupesWall !== null && !r.timedOut ? r.wall / jdupesWall : null;
        pending.push({ name: c.name, r, before: base.length - 1, vsJdupes });
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
        vsJdupes: p.vsJdupes,
        cpuVsDu: p.r.cpu === null || !duCpu ? null : p.r.cpu / duCpu,
      });
    }
    console.log(`bench: ${shapeName}: round ${round + 1}/${rounds} done`);
  }

  const summary = {};
  for (const [name, rs] of results) {
    const ok = rs.filter((r) => !r.timedOut);
    const pick = (key) => ok.filter((r) => r[key] !== null && r[key] !== undefined).map((r) => r[key]);
    summary[name] = {
      runs: rs.length,
      timeouts: rs.filter((r) => r.timedOut).length,
      tooSlow: tooSlow.has(name),
      wall: ok.map((r) => r.wall),
      vsDu: pick("vsDu"),
      vsFind: pick("vsFind"),
      vsJdupes: pick("vsJdupes"),
      cpuVsDu: pick("cpuVsDu"),
      cpu: ok.map((r) => r.cpu),
      rssMB: ok.map((r) => r.rss),
    };
  }
  return {
    dir: benchDir,
    about: shapes[shapeName].about,
    stamp,
    checks,
    skipped,
    timeout,
    baselines: { du: baselines.du.name, find: baselines.find.name, jdupes: jdupesName },
    summary,
  };
}

const startedAt = new Date().toISOString();
const results = {
  startedAt,
  node: process.version,
  kernel: release(),
  jdupes: jdupesVersion,
  rounds,
  only: process.env.BENCH_ONLY ?? null,
  shapes: {},
};
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `results-${startedAt.replace(/[:.]/g, "-")}.json`);
for (const name of shapeNames) {
  results.shapes[name] = await benchShape(name);
  const shape = results.shapes[name];
  console.log(`\nbench: ${name} (${shape.stamp.entries} entries)`);
  console.log(printTable([columns, ...rowsOf(shape)], { markdown: false }));
  for (const s of shape.skipped) console.log(s);
  console.log("");
  writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`); // after each shape: a long run keeps what it did
}
console.log(markdownOf(results));
console.log(
  `\nbench: raw numbers in ${file}; \`node bench/run.mjs --report ${file}\` prints the markdown again`,
);
