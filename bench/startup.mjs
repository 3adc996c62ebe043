#!/usr/bin/env node
// bench/startup.mjs — start-up of the metadata commands against a bare Node (issue 15 item 4: `crifs images`,
// `snapshots` and `info` on the sample store within 1.3× `node -e 0`).
//
// The bundled sample (a real containerd root) is unpacked into BENCH_DIR (default /var/tmp/crifs-bench-startup).
// Each round runs, in an order rotated by one per round, `node -e 0`, `crifs --version` and the three metadata
// commands (stdout to /dev/null), and reports per command the median wall time and user + system CPU time (of
// the child, from getrusage) over the rounds, and each against `node -e 0` of the same rounds. Wall time on a
// shared machine moves with the load; so, with valgrind installed, each command is also run once under
// callgrind, whose instruction count does not (the same binary and input give the same count, whatever else
// runs): the `Ir × node` column is the steadiest ratio of the three.
//
// Node's own start depends on its environment: NODE_EXTRA_CA_CERTS makes every Node process parse that file's
// certificates before any JS runs (a distribution's whole CA bundle: ~400 M instructions, more than the rest
// of Node's start), so the floor is measured as the caller's environment has it and, when the variable is set,
// again without it (`--without-extra-ca`, or both with `--both`).
//
//   node bench/startup.mjs [--both]      BENCH_ROUNDS (default 15), BENCH_DIR, BENCH_CRIFS

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const crifs = process.env.BENCH_CRIFS ?? join(repo, "bin", "crifs");
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const base = process.env.BENCH_DIR ?? "/var/tmp/crifs-bench-startup";
const { values } = parseArgs({
  options: {
    both: { type: "boolean", default: false },
    "without-extra-ca": { type: "boolean", default: false },
  },
});

rmSync(base, { recursive: true, force: true });
mkdirSync(base, { recursive: true });
const untar = spawnSync(
  "tar",
  ["--numeric-owner", "-xpzf", join(repo, "sample", "containerd-root.tar.gz"), "-C", base],
  { stdio: "inherit" },
);
if (untar.status !== 0) process.exit(1);
const root = join(base, "root");

const commands = [
  { name: "node -e 0", argv: [process.execPath, "-e", "0"] },
  { name: "crifs --version", argv: [process.execPath, crifs, "--version"] },
  { name: "crifs images", argv: [process.execPath, crifs, "--root", root, "images"] },
  { name: "crifs snapshots", argv: [process.execPath, crifs, "--root", root, "snapshots"] },
  { name: "crifs info", argv: [process.execPath, crifs, "--root", root, "info"] },
];

/** Wall and CPU seconds of one run of argv (the child's rusage, read by /usr/bin/time when present). */
function timed(argv, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S", ...argv], { env, encoding: "utf8", stdio: "pipe" });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: exit ${r.status}: ${r.stderr.trim()}`);
  const [u, s] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { wall, cpu: u + s };
}

/** Instructions of one run under callgrind, or null without valgrind. */
function instructions(argv, env) {
  const r = spawnSync("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", ...argv], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
  });
  const m = /Collected : (\d+)/.exec(r.stderr ?? "");
  return m === null ? null : Number(m[1]);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function measure(label, env) {
  const runs = new Map(commands.map((c) => [c.name, []]));
  for (const c of commands) timed(c.argv, env); // warm-up: page cache, nothing timed
  for (let round = 0; round < rounds; round++)
    for (let k = 0; k < commands.length; k++) {
      const c = commands[(k + round) % commands.length];
      runs.get(c.name).push(timed(c.argv, env));
    }
  const floor = runs.get("node -e 0");
  const hasValgrind = spawnSync("valgrind", ["--version"]).status === 0;
  const ir = new Map(commands.map((c) => [c.name, hasValgrind ? instructions(c.argv, env) : null]));
  const floorIr = ir.get("node -e 0");
  console.log(`\n${label} (${rounds} rounds, medians; load average ${readLoad()})`);
  console.log("| command | wall ms | × node (wall) | CPU ms | × node (CPU) | instructions (M) | Ir × node |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const c of commands) {
    const rs = runs.get(c.name);
    // each run against the floor run of its own round, then the median of those ratios
    const wallX = median(rs.map((r, i) => r.wall / floor[i].wall));
    const cpuX = median(rs.map((r, i) => r.cpu / floor[i].cpu));
    const i = ir.get(c.name);
    console.log(
      `| ${c.name} | ${(median(rs.map((r) => r.wall)) * 1000).toFixed(0)} | ${wallX.toFixed(2)} | ${(
        median(rs.map((r) => r.cpu)) * 1000
      ).toFixed(0)} | ${cpuX.toFixed(2)} | ${i === null ? "—" : (i / 1e6).toFixed(0)} | ${
        i === null || floorIr === null ? "—" : (i / floorIr).toFixed(2)
      } |`,
    );
  }
}

function readLoad() {
  const r = spawnSync("cat", ["/proc/loadavg"], { encoding: "utf8" });
  return (r.stdout ?? "").split(" ").slice(0, 3).join(" ");
}

if (!existsSync("/usr/bin/time")) {
  console.error("startup: GNU time (/usr/bin/time, Debian package time) is needed for the CPU column");
  process.exit(1);
}
const { NODE_EXTRA_CA_CERTS: extra, ...withoutExtra } = process.env;
if (!values["without-extra-ca"])
  measure(`as called (NODE_EXTRA_CA_CERTS ${extra ? "set" : "unset"})`, process.env);
if (extra !== undefined && (values.both || values["without-extra-ca"]))
  measure("without NODE_EXTRA_CA_CERTS", withoutExtra);
rmSync(base, { recursive: true, force: true });
