// test/integration/repair.suite.ts — `crifs repair` on the real containerd bed (issue 17). Injected for real,
// with containerd stopped (its GC would remove an orphan snapshot dir if it ran): an orphan snapshot dir with a
// hard link, a symlink, an xattr, an owner and a mode to keep; an interrupted new-* dir; an unmounted tmpmount
// leftover; an ingest dir no record names. Then: the plan has one action per fault; --apply moves them
// into the quarantine and doctor finds none; ctr lists the same images and containers; --undo puts back an
// equal manifest; a SIGKILL at every step boundary leaves a run the next command reports and that both
// --apply and --undo finish; a mount appearing between plan and apply (daemon up) is skipped; a read-only
// quarantine gives one line and a consistent journal; --purge frees what the plan promised.
// Then, with containerd up and the bed's container running: an orphan dir that containerd makes a snapshot's
// dir between plan and apply is skipped, and the snapshot works; and on a copy of sample/ on a small tmpfs, a
// full filesystem gives one line and a journal that --apply or --undo finishes.
// Leaves the bed as it found it: the faults and the quarantine are removed at the end, containerd as it was.

import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { bedFlags, type CliResult, CRIFS, contractErrors, crifs, isOneLineError, REPO } from "./cli.js";
import { manifest } from "./manifest.js";

interface Action {
  seq: number;
  kind: string;
  check: string;
  path: string;
  bytes: number | null;
}
interface Plan {
  runtime: string;
  root: string;
  actions: Action[];
  unmended: { check: string; path: string; reason: string }[];
  bytes: number;
}
interface Run {
  id: string;
  dir: string;
  state: string;
  items: number;
  bytes: number;
}

const CHECKS = "orphan-snapshot-dir,tmpmount-leftover,stale-ingest";

function du(path: string): number {
  return Number(execFileSync("du", ["-s", "-B1", "-x", path], { encoding: "utf8" }).split("\t")[0]);
}

/** du -s -B1 -c of the dirs the faults lie in (meta.db, which a containerd start may grow, is not one). */
function duAreas(bed: Bed): number {
  const dirs = [
    bed.snapshotsDir,
    join(bed.root, "tmpmounts"),
    join(bed.root, "io.containerd.content.v1.content", "ingest"),
  ];
  const out = execFileSync("du", ["-s", "-B1", "-x", "-c", ...dirs], { encoding: "utf8" })
    .trim()
    .split("\n");
  return Number((out.at(-1) ?? "").split("\t")[0]);
}

function parse<T>(r: CliResult, status = 0): T {
  assert.equal(r.status, status, `crifs exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Every namespace's images and containers as ctr lists them (containerd must be up). */
function ctrListing(bed: Bed): string {
  const out: string[] = [];
  for (const ns of bed
    .ctr(["namespaces", "ls", "-q"])
    .split("\n")
    .filter((x) => x !== "")
    .sort()) {
    out.push(`# ${ns}`, bed.ctr(["images", "ls"], ns), bed.ctr(["containers", "ls"], ns));
  }
  return out.join("\n");
}

/** containerd's GC finishes what earlier suites may have cut short (see doctor.suite.ts's settle). */
function settle(bed: Bed): void {
  const ns = "crifs-repair-settle";
  bed.ctr(["leases", "create", "--id", "settle"], ns);
  bed.ctr(["leases", "rm", "--sync", "settle"], ns);
  bed.ctr(["namespaces", "rm", ns]);
}

export function repairSuite(getBed: () => Bed) {
  describe("repair on the bed with file-level leftovers injected", () => {
    let faults: string[] = [];
    let wasRunning = false;
    let listing = "";
    let duBefore = 0;
    const flags = () => [...bedFlags(getBed()), "repair", "--grace", "0", "--check", CHECKS];
    const quarantine = () => join(getBed().root, ".crifs-quarantine");
    const runs = () => parse<{ runs: Run[] }>(crifs([...flags(), "--list", "-o", "json"])).runs;

    before(async () => {
      const bed = getBed();
      wasRunning = bed.isContainerdRunning();
      await bed.startContainerd();
      settle(bed);
      listing = ctrListing(bed);
      await bed.stopContainerd();
      const sn = bed.snapshotsDir;
      const orphan = join(sn, "9990");
      mkdirSync(join(orphan, "fs", "etc"), { recursive: true });
      mkdirSync(join(orphan, "work"));
      writeFileSync(join(orphan, "fs", "etc", "data"), "x".repeat(20_000));
      execFileSync("ln", [join(orphan, "fs", "etc", "data"), join(orphan, "fs", "hard")]);
      symlinkSync("etc/data", join(orphan, "fs", "link"));
      execFileSync("setfattr", ["-n", "user.crifs", "-v", "kept", join(orphan, "fs", "etc", "data")]);
      execFileSync("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", join(orphan, "fs", "etc")]);
      execFileSync("chown", ["-h", "1234:4321", join(orphan, "fs", "link")]);
      execFileSync("chmod", ["0751", join(orphan, "fs", "etc")]);
      utimesSync(join(orphan, "fs", "etc", "data"), 1_000_000, 1_000_000);
      const fresh = join(sn, "new-4242");
      mkdirSync(join(fresh, "fs"), { recursive: true });
      writeFileSync(join(fresh, "fs", "half"), "half a prepare");
      const tmp = join(bed.root, "tmpmounts", "containerd-mount-crifs-repair");
      mkdirSync(tmp, { recursive: true });
      const ref = "default/99/crifs-repair-orphan";
      const ingest = join(
        bed.root,
        "io.containerd.content.v1.content",
        "ingest",
        createHash("sha256").update(ref).digest("hex"),
      );
      mkdirSync(ingest, { recursive: true });
      writeFileSync(join(ingest, "ref"), ref);
      writeFileSync(join(ingest, "total"), "9000");
      writeFileSync(join(ingest, "data"), "y".repeat(6000));
      faults = [orphan, fresh, tmp, ingest];
      duBefore = duAreas(bed);
    });

    after(async () => {
      const bed = getBed();
      for (const m of execFileSync("findmnt", ["-rn", "-o", "TARGET"], { encoding: "utf8" }).split("\n"))
        if (m.startsWith(`${quarantine()}/`) || faults.includes(m)) execFileSync("umount", [m]);
      for (const f of faults) rmSync(f, { recursive: true, force: true });
      rmSync(quarantine(), { recursive: true, force: true });
      if (wasRunning) await bed.startContainerd();
      else await bed.stopContainerd();
    });

    test("repair plans one quarantine action per fault, in the JSON of docs/json.md, and changes nothing", () => {
      const before = manifest(faults);
      const data = parse<{ plans: Plan[]; command: string }>(crifs([...flags(), "-o", "json"]));
      assert.equal(contractErrors("repairPlan", data), null);
      const plan = data.plans[0] as Plan;
      assert.deepEqual(
        plan.actions.map((a) => `${a.kind} ${a.check} ${a.path}`).sort(),
        [
          `quarantine orphan-snapshot-dir ${faults[0]}`,
          `quarantine orphan-snapshot-dir ${faults[1]}`,
          `quarantine tmpmount-leftover ${faults[2]}`,
          `quarantine stale-ingest ${faults[3]}`,
        ].sort(),
      );
      assert.deepEqual(
        plan.actions.map((a) => a.seq),
        [1, 2, 3, 4],
      );
      for (const a of plan.actions) assert.equal(a.bytes, du(a.path), a.path);
      assert.equal(
        plan.bytes,
        faults.reduce((n, f) => n + du(f), 0),
      );
      assert.match(data.command, /repair .*--apply --yes$/);
      const table = crifs(flags());
      assert.equal(table.status, 0, table.stderr);
      assert.match(table.stdout, /^4 action\(s\), .* to free; apply with: crifs .*repair .*--apply --yes$/m);
      assert.deepEqual(manifest(faults), before);
    });

    test("--apply without --yes and without a terminal refuses with exit 64 and one line", () => {
      const r = crifs([...flags(), "--apply"]);
      assert.equal(r.status, 64);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, /not a terminal.*--yes/);
      for (const f of faults) assert.ok(existsSync(f), f);
    });

    test("--apply --yes moves every fault into the quarantine, doctor then finds none, ctr lists the same, --undo puts back an equal manifest", async () => {
      const bed = getBed();
      const before = manifest(faults);
      const r = parse<{ runs: { runId: string; runDir: string; applied: number; skipped: unknown[] }[] }>(
        crifs([...flags(), "--apply", "--yes", "-o", "json"]),
      );
      assert.equal(contractErrors("repairApply", r), null);
      assert.equal(r.runs[0]?.applied, 4);
      assert.deepEqual(r.runs[0]?.skipped, []);
      for (const f of faults) assert.equal(existsSync(f), false, f);
      assert.equal(readdirSync(join(r.runs[0]?.runDir ?? "", "items")).length, 4);
      const doc = crifs([...bedFlags(bed), "doctor", "--grace", "0", "--check", CHECKS, "-o", "json"]);
      assert.deepEqual(
        (JSON.parse(doc.stdout) as { findings: { path: string }[] }).findings.map((f) => f.path),
        [],
      );
      const list = runs();
      assert.equal(contractErrors("repairList", { runs: list }), null);
      assert.deepEqual(
        list.map((x) => [x.state, x.items]),
        [["done", 4]],
      );
      const journal = execFileSync("cat", [join(r.runs[0]?.runDir ?? "", "journal.jsonl")], {
        encoding: "utf8",
      });
      for (const line of journal.split("\n").filter((l) => l !== ""))
        assert.equal(contractErrors("repairJournal", JSON.parse(line)), null, line.slice(0, 200));
      await bed.startContainerd();
      try {
        assert.equal(ctrListing(bed), listing);
      } finally {
        await bed.stopContainerd();
      }
      const u = parse<{ items: { outcome: string }[] }>(crifs([...flags(), "--undo", "-o", "json"]));
      assert.equal(contractErrors("repairUndo", u), null);
      assert.deepEqual(
        u.items.map((i) => i.outcome),
        ["restored", "restored", "restored", "restored"],
      );
      assert.deepEqual(manifest(faults), before);
      assert.deepEqual(
        runs().map((x) => x.state),
        ["undone"],
      );
    });

    test("killed by SIGKILL at every step boundary, the run is reported, and --apply or --undo finishes it with nothing lost", () => {
      // a plan of two: the orphan dir and the new-* dir (2 steps, 3 boundaries each)
      const two = [...flags().slice(0, -1), "orphan-snapshot-dir"];
      const before = manifest(faults);
      const boundaries = 6;
      for (let n = 1; n <= boundaries + 1; n++) {
        const killed = crifsEnv([...two, "--apply", "--yes"], { CRIFS_REPAIR_FAULT: String(n) });
        if (n > boundaries) {
          assert.equal(killed.status, 0, `fault ${n} is past the last boundary: ${killed.stderr}`);
          const u = crifs([...flags(), "--undo"]);
          assert.equal(u.status, 0, u.stderr);
          break;
        }
        assert.equal(killed.signal, "SIGKILL", `fault ${n}: ${killed.stderr}`);
        const plan = crifs([...two, "-o", "json"]);
        assert.match(
          plan.stderr,
          /repair run \S+ was interrupted .*crifs repair --apply finishes it, crifs repair --undo reverts it/,
        );
        assert.equal(runs().at(-1)?.state, "interrupted");
        if (n % 2 === 1) {
          const fin = crifs([...two, "--apply", "--yes", "-o", "json"]);
          assert.equal(fin.status, 0, `fault ${n}: ${fin.stderr}`);
          assert.equal(existsSync(faults[0] ?? ""), false, `fault ${n}: the orphan dir was moved`);
          assert.equal(existsSync(faults[1] ?? ""), false, `fault ${n}: the new-* dir was moved`);
          assert.equal(runs().at(-1)?.items, 2);
          assert.equal(runs().at(-1)?.state, "done");
        }
        const u = crifs([...flags(), "--undo", "-o", "json"]);
        assert.equal(u.status, 0, `fault ${n}: ${u.stderr}`);
        assert.equal(runs().at(-1)?.state, "undone", `fault ${n}`);
        assert.deepEqual(
          manifest(faults),
          before,
          `fault ${n}: the manifest after ${n % 2 === 1 ? "apply, then undo" : "undo"}`,
        );
      }
    });

    test("killed from outside while it moves (SIGKILL once its journal shows the k-th intent), each run is reported and --apply or --undo finishes it with nothing lost", async () => {
      const before = manifest(faults);
      let killedMidway = 0;
      for (let i = 0; i < 8; i++) {
        const known = new Set(runs().map((x) => x.id));
        const p = spawn(process.execPath, [CRIFS, ...flags(), "--apply", "--yes"], { stdio: "ignore" });
        const exited = new Promise<string | null>((done) => p.on("exit", (_code, signal) => done(signal)));
        const want = (i % 4) + 1;
        const deadline = Date.now() + 60_000;
        let journal: string | null = null;
        for (;;) {
          if (p.exitCode !== null || Date.now() > deadline) break;
          if (journal === null) {
            const dir = existsSync(quarantine())
              ? readdirSync(quarantine()).find((n) => !known.has(n))
              : undefined;
            if (dir !== undefined) journal = join(quarantine(), dir, "journal.jsonl");
          }
          const text = journal !== null && existsSync(journal) ? readFileSync(journal, "utf8") : "";
          if ((text.match(/"type":"intent"/g) ?? []).length >= want) {
            p.kill("SIGKILL");
            break;
          }
          await new Promise((r) => setImmediate(r));
        }
        const signal = await exited;
        // a batch's moves follow its intents within a millisecond: a kill that lands after the run's end
        // record did not interrupt it
        const ended = journal !== null && /"type":"end"/.test(readFileSync(journal, "utf8"));
        if (signal === "SIGKILL" && !ended) {
          killedMidway++;
          const r = crifs([...flags(), "-o", "json"]);
          assert.match(r.stderr, /was interrupted/, `kill ${i}`);
          if (i % 2 === 0) {
            const fin = crifs([...flags(), "--apply", "--yes"]);
            assert.equal(fin.status, 0, `kill ${i}: ${fin.stderr}`);
            for (const f of faults) assert.equal(existsSync(f), false, `kill ${i}: ${f}`);
          }
        }
        const u = crifs([...flags(), "--undo"]);
        assert.equal(u.status, 0, `kill ${i}: ${u.stderr}`);
        assert.deepEqual(manifest(faults), before, `kill ${i}`);
        assert.ok(
          runs().every((x) => x.state === "undone"),
          `kill ${i}`,
        );
      }
      // a batch's moves and its end follow its intents within milliseconds, so only some kills land before
      // the end (the fault-point test above kills at every boundary deterministically)
      assert.ok(killedMidway >= 2, `only ${killedMidway} of 8 runs were killed while moving`);
    });

    test("with containerd up, an orphan dir that a mount starts using between plan and apply is skipped, not moved", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const pause = join(bed.work, "repair-pause");
      writeFileSync(pause, "");
      const before = manifest(faults);
      try {
        const done = crifsAsyncEnv([...flags(), "--address", bed.socket, "--apply", "--yes", "-o", "json"], {
          CRIFS_REPAIR_PAUSE_FILE: pause,
        });
        const deadline = Date.now() + 60_000;
        while (runs().filter((x) => x.state === "planned").length === 0) {
          assert.ok(Date.now() < deadline, "the apply never reached its pause");
          await new Promise((r) => setTimeout(r, 100));
        }
        execFileSync("mount", ["-t", "tmpfs", "crifs-repair-guard", faults[0] ?? ""]);
        rmSync(pause);
        const r = await done;
        assert.equal(r.status, 1, r.stderr);
        const out = JSON.parse(r.stdout) as {
          runs: { applied: number; skipped: { seq: number; reason: string }[] }[];
        };
        assert.equal(out.runs[0]?.applied, 3);
        assert.equal(out.runs[0]?.skipped.length, 1);
        assert.match(out.runs[0]?.skipped[0]?.reason ?? "", /a mount uses it now/);
        assert.ok(existsSync(join(faults[0] ?? "", ".")), "the mounted orphan dir stayed");
      } finally {
        rmSync(pause, { force: true });
        if (
          execFileSync("findmnt", ["-rn", "-o", "TARGET"], { encoding: "utf8" })
            .split("\n")
            .includes(faults[0] ?? "")
        )
          execFileSync("umount", [faults[0] ?? ""]);
        await bed.stopContainerd();
      }
      const u = crifs([...flags(), "--undo"]);
      assert.equal(u.status, 0, u.stderr);
      assert.deepEqual(manifest(faults), before);
    });

    test("a read-only quarantine gives one line and no run; a mount on the run's items gives one line and a journal that --apply then finishes", async () => {
      const bed = getBed();
      const q = quarantine();
      const before = manifest(faults);
      const known = runs().length;
      execFileSync("mount", ["--bind", q, q]);
      try {
        execFileSync("mount", ["-o", "remount,ro,bind", q]);
        const r = crifs([...flags(), "--apply", "--yes"]);
        assert.equal(r.status, 77, r.stderr);
        assert.ok(isOneLineError(r), r.stderr);
        assert.match(r.stderr, /read-only file system/);
      } finally {
        execFileSync("umount", [q]);
      }
      assert.equal(runs().length, known);
      assert.deepEqual(manifest(faults), before);
      // the items dir made another mount after the journal's header: the first move fails with one line
      const pause = join(bed.work, "repair-pause");
      writeFileSync(pause, "");
      const done = crifsAsyncEnv([...flags(), "--apply", "--yes"], { CRIFS_REPAIR_PAUSE_FILE: pause });
      const deadline = Date.now() + 60_000;
      let run = runs().find((x) => x.state === "planned");
      while (run === undefined) {
        assert.ok(Date.now() < deadline, "the apply never reached its pause");
        await new Promise((r) => setTimeout(r, 100));
        run = runs().find((x) => x.state === "planned");
      }
      const items = join(run.dir, "items");
      execFileSync("mount", ["--bind", items, items]);
      let r: CliResult;
      try {
        rmSync(pause);
        r = await done;
      } finally {
        execFileSync("umount", [items]);
      }
      assert.equal(r.status, 69, r.stderr);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, /another filesystem or mount than the quarantine/);
      const lines = execFileSync("cat", [join(run.dir, "journal.jsonl")], { encoding: "utf8" })
        .trim()
        .split("\n");
      assert.deepEqual(
        lines.map((l) => (JSON.parse(l) as { type: string }).type),
        ["run", "intent", "fail"],
      );
      assert.deepEqual(manifest(faults), before);
      assert.equal(runs().at(-1)?.state, "interrupted");
      const fin = crifs([...flags(), "--apply", "--yes"]);
      assert.equal(fin.status, 0, fin.stderr);
      assert.match(fin.stderr, /finishing the interrupted run/);
      for (const f of faults) assert.equal(existsSync(f), false, f);
      const u = crifs([...flags(), "--undo"]);
      assert.equal(u.status, 0, u.stderr);
      assert.deepEqual(manifest(faults), before);
    });

    test("--purge deletes what a run quarantined: du of the dirs they lay in drops by the plan's bytes, one block per item either way", () => {
      const plan = parse<{ plans: Plan[] }>(crifs([...flags(), "-o", "json"])).plans[0] as Plan;
      assert.equal(plan.actions.length, 4);
      assert.equal(crifs([...flags(), "--apply", "--yes"]).status, 0);
      const p = parse<{ purged: Run[] }>(crifs([...flags(), "--purge", "-o", "json"]));
      assert.equal(contractErrors("repairPurge", p), null);
      assert.ok(p.purged.length >= 1);
      for (const f of faults) assert.equal(existsSync(f), false, f);
      const dropped = duBefore - duAreas(getBed());
      assert.ok(
        Math.abs(dropped - plan.bytes) <= 4096 * plan.actions.length,
        `dropped ${dropped}, planned ${plan.bytes}`,
      );
      assert.ok(runs().every((x) => x.state === "purged" || x.state === "undone" || x.state === "done"));
      assert.equal(runs().at(-1)?.state, "purged");
    });
  });
  repairSafety(getBed);
}

/** crifs with extra environment, and the signal that ended it. */
function crifsEnv(
  args: readonly string[],
  env: Record<string, string>,
): CliResult & { signal: string | null } {
  const r = spawnSync(process.execPath, [CRIFS, ...args], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

function crifsAsyncEnv(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CRIFS, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => {
      stdout += d;
    });
    p.stderr.on("data", (d) => {
      stderr += d;
    });
    p.on("close", (code) => done({ status: code ?? -1, stdout, stderr }));
  });
}

/**
 * With containerd up and the bed's container running: an orphan snapshot dir that a snapshot record names
 * between plan and apply is skipped, not moved; a store on a full filesystem gives one line and a journal that
 * --apply or --undo finishes.
 */
function repairSafety(getBed: () => Bed): void {
  describe("repair with containerd up: an orphan dir that becomes a snapshot's between plan and apply", () => {
    let wasRunning = false;
    let planted: string[] = [];
    const key = "crifs-repair-adopt";
    const quarantine = () => join(getBed().root, ".crifs-quarantine");

    before(async () => {
      const bed = getBed();
      wasRunning = bed.isContainerdRunning();
      if (!wasRunning) await bed.startContainerd();
    });

    after(async () => {
      const bed = getBed();
      try {
        bed.ctr(["snapshots", "rm", key], "default");
      } catch {
        // not made, or already removed
      }
      for (const p of planted) rmSync(p, { recursive: true, force: true });
      rmSync(quarantine(), { recursive: true, force: true });
      settle(bed);
      if (!wasRunning) await bed.stopContainerd();
    });

    test("the action is skipped with its reason, the dir stays the new snapshot's, which mounts and takes a write; the container runs throughout", async () => {
      const bed = getBed();
      const running = bed.facts.containers.running;
      const taskState = () =>
        bed
          .ctr(["tasks", "ls"], "default")
          .split("\n")
          .find((l) => l.startsWith(`${running} `))
          ?.trim()
          .split(/\s+/)[2];
      assert.equal(taskState(), "RUNNING");
      const parent = bed.facts.snapshots.topChainId;
      const idOf = (k: string) => {
        const m = /snapshots\/(\d+)\/fs/.exec(
          bed.ctr(["snapshots", "mounts", "/crifs-unused", k], "default"),
        );
        assert.ok(m !== null, `no overlay dir in the mounts of ${k}`);
        return Number(m[1]);
      };
      // the overlay snapshotter takes ids from its bolt bucket's sequence, which never goes back: a probe
      // snapshot shows the last, the next prepare gets the one after it
      bed.ctr(["snapshots", "prepare", `${key}-probe`, parent], "default");
      const next = idOf(`${key}-probe`) + 1;
      bed.ctr(["snapshots", "rm", `${key}-probe`], "default");
      settle(bed); // its dir goes now (GC), not while the apply waits
      const orphan = join(bed.snapshotsDir, String(next));
      const aside = `${orphan}.crifs-aside`;
      planted = [orphan, aside];
      assert.equal(existsSync(orphan), false, orphan);
      mkdirSync(join(orphan, "fs"), { recursive: true });
      mkdirSync(join(orphan, "work"));
      writeFileSync(join(orphan, "fs", "left"), "a leftover of an earlier prepare");
      const pause = join(bed.work, "repair-pause");
      writeFileSync(pause, "");
      const flags = [
        ...bedFlags(bed),
        "--address",
        bed.socket,
        "repair",
        "--grace",
        "0",
        "--check",
        "orphan-snapshot-dir",
      ];
      let r: CliResult;
      try {
        const done = crifsAsyncEnv([...flags, "--apply", "--yes", "-o", "json"], {
          CRIFS_REPAIR_PAUSE_FILE: pause,
        });
        const deadline = Date.now() + 60_000;
        let run: Run | undefined;
        while (run === undefined) {
          assert.ok(Date.now() < deadline, "the apply never reached its pause");
          await new Promise((w) => setTimeout(w, 100));
          run = parse<{ runs: Run[] }>(crifs([...flags, "--list", "-o", "json"])).runs.find(
            (x) => x.state === "planned",
          );
        }
        // the run's plan is in its plan.json (the journal's header names it)
        const header = JSON.parse(
          readFileSync(join(run.dir, "journal.jsonl"), "utf8").split("\n")[0] ?? "",
        ) as { planFile: string };
        const plan = JSON.parse(readFileSync(join(run.dir, header.planFile), "utf8")) as Plan;
        assert.deepEqual(
          plan.actions.map((a) => a.path),
          [orphan],
        );
        // containerd (Go's os.Rename) refuses to rename its new-* dir onto an existing dir, even an empty one
        // ("file exists", tried on the bed), and its GC then removes the orphan: so the test moves the orphan
        // aside and lets containerd's own API make the snapshot whose dir is the path the plan named
        execFileSync("mv", ["-T", orphan, aside]);
        bed.ctr(["snapshots", "prepare", key, parent], "default");
        assert.equal(idOf(key), next, "containerd gave the new snapshot another id than the planned dir's");
        rmSync(pause);
        r = await done;
      } finally {
        rmSync(pause, { force: true });
      }
      assert.equal(r.status, 1, r.stderr);
      const out = JSON.parse(r.stdout) as {
        runs: { applied: number; skipped: { seq: number; reason: string }[] }[];
      };
      assert.equal(out.runs[0]?.applied, 0);
      assert.deepEqual(
        out.runs[0]?.skipped.map((s) => s.seq),
        [1],
      );
      assert.match(
        out.runs[0]?.skipped[0]?.reason ?? "",
        /no longer finds it|a record names it now|another file stands at its path now/,
      );
      assert.match(r.stderr, new RegExp(`skipped 1 ${orphan}: `));
      assert.ok(existsSync(join(orphan, "fs")), "the new snapshot's dir stayed");
      assert.deepEqual(readdirSync(join(quarantine(), readdirSync(quarantine())[0] ?? "", "items")), []);
      // the snapshot works: mounted as containerd says, a file written lands in its upper dir
      const target = join(bed.work, "repair-adopt-mnt");
      mkdirSync(target, { recursive: true });
      execFileSync("sh", ["-c", bed.ctr(["snapshots", "mounts", target, key], "default")]);
      try {
        writeFileSync(join(target, "written"), "through the mount");
        assert.ok(existsSync(join(target, "bin")), "the image's layers are below it");
      } finally {
        execFileSync("umount", [target]);
        rmSync(target, { recursive: true, force: true });
      }
      assert.equal(readFileSync(join(orphan, "fs", "written"), "utf8"), "through the mount");
      assert.equal(taskState(), "RUNNING");
      assert.ok(bed.isContainerdRunning());
    });
  });

  describe("repair of a store on a full filesystem (a copy of sample/ on a small tmpfs)", () => {
    let dir = "";
    let mnt = "";
    let root = "";
    let orphans: string[] = [];
    let kept = manifest([]);
    const flags = () => [
      "--runtime",
      "containerd",
      "--root",
      root,
      "repair",
      "--grace",
      "0",
      "--check",
      "orphan-snapshot-dir",
    ];
    const runsOf = () => parse<{ runs: Run[] }>(crifs([...flags(), "--list", "-o", "json"])).runs;
    const filler = () => join(mnt, "filler");
    /** Writes a file until the filesystem says ENOSPC. */
    const fill = () => {
      const dd = spawnSync("dd", ["if=/dev/zero", `of=${filler()}`, "bs=4k"], { encoding: "utf8" });
      assert.match(dd.stderr, /No space left on device/);
    };
    const free = () => rmSync(filler(), { force: true });
    const lines = (run: string) =>
      readFileSync(join(run, "journal.jsonl"), "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as { type: string; path?: string });

    before(() => {
      dir = mkdtempSync("/var/tmp/crifs-repair-enospc.");
      mnt = join(dir, "mnt");
      mkdirSync(mnt);
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m,mode=0700", "crifs-repair-enospc", mnt]);
      execFileSync("tar", ["-xzf", join(REPO, "sample", "containerd-root.tar.gz"), "-C", mnt]);
      root = join(mnt, "root");
      // beside the sample's own two leftovers (dir 99 and a new-* dir), one with content of its own
      const orphan = join(root, "io.containerd.snapshotter.v1.overlayfs", "snapshots", "9990");
      mkdirSync(join(orphan, "fs", "etc"), { recursive: true });
      mkdirSync(join(orphan, "work"));
      writeFileSync(join(orphan, "fs", "etc", "data"), "z".repeat(50_000));
      // and 20 small ones: the run's first batch of intents must need more of the journal than the page its
      // one-line header leaves free (tmpfs gives a file space a page at a time), or the full filesystem would
      // take them all and refuse nothing
      for (let i = 0; i < 20; i++) mkdirSync(join(`${orphan}${i}`, "fs"), { recursive: true });
      const plan = parse<{ plans: Plan[] }>(crifs([...flags(), "-o", "json"])).plans[0] as Plan;
      orphans = plan.actions.map((a) => a.path).sort();
      assert.equal(orphans.length, 23);
      assert.ok(orphans.includes(orphan));
      kept = manifest(orphans);
    });

    after(() => {
      if (
        mnt !== "" &&
        execFileSync("findmnt", ["-rn", "-o", "TARGET"], { encoding: "utf8" }).split("\n").includes(mnt)
      )
        execFileSync("umount", [mnt]);
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    });

    test("full before it starts: exit 75 and one line naming the journal, no run left, nothing moved", () => {
      fill();
      let r: CliResult;
      try {
        r = crifs([...flags(), "--apply", "--yes"]);
      } finally {
        free();
      }
      assert.equal(r.status, 75, r.stderr);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^crifs: ${root}/\\.crifs-quarantine/\\S+: cannot .*: no space left on device \\(hint: free some space`,
        ),
      );
      assert.deepEqual(runsOf(), []);
      assert.deepEqual(
        readdirSync(join(root, ".crifs-quarantine")),
        [],
        "a run dir without its journal's header",
      );
      assert.deepEqual(manifest(orphans), kept);
    });

    test("full while it runs: one line, a journal of whole records that says what moved; once freed, --list shows it interrupted and --apply, then --undo, finish it with an equal manifest", async () => {
      const pause = join(dir, "pause");
      writeFileSync(pause, "");
      const done = crifsAsyncEnv([...flags(), "--apply", "--yes"], { CRIFS_REPAIR_PAUSE_FILE: pause });
      const deadline = Date.now() + 60_000;
      let run = runsOf().find((x) => x.state === "planned");
      while (run === undefined) {
        assert.ok(Date.now() < deadline, "the apply never reached its pause");
        await new Promise((w) => setTimeout(w, 100));
        run = runsOf().find((x) => x.state === "planned");
      }
      let r: CliResult;
      try {
        fill();
        rmSync(pause);
        r = await done;
      } finally {
        rmSync(pause, { force: true });
        free();
      }
      assert.equal(r.status, 75, r.stderr);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`^crifs: ${run.dir}/\\S*: cannot .*: no space left on device \\(hint: `),
      );
      // whole records only, each of the journal's contract; an orphan is in place unless an intent names it,
      // and gone from its place when a done does
      const recs = lines(run.dir);
      for (const rec of recs) assert.equal(contractErrors("repairJournal", rec), null, JSON.stringify(rec));
      for (const o of orphans) {
        const named = (type: string) => recs.some((x) => x.type === type && x.path === o);
        if (!named("intent")) assert.ok(existsSync(o), `${o}: no intent, yet not in place`);
        if (named("done")) assert.equal(existsSync(o), false, `${o}: done, yet in place`);
      }
      assert.deepEqual(
        runsOf().map((x) => [x.id, x.state]),
        [[run.id, "interrupted"]],
      );
      const fin = crifs([...flags(), "--apply", "--yes"]);
      assert.equal(fin.status, 0, fin.stderr);
      assert.match(fin.stderr, /finishing the interrupted run/);
      for (const o of orphans) assert.equal(existsSync(o), false, o);
      assert.deepEqual(
        runsOf().map((x) => [x.id, x.state, x.items]),
        [[run.id, "done", orphans.length]],
      );
      for (const rec of lines(run.dir))
        assert.equal(contractErrors("repairJournal", rec), null, JSON.stringify(rec));
      const u = crifs([...flags(), "--undo"]);
      assert.equal(u.status, 0, u.stderr);
      assert.deepEqual(manifest(orphans), kept);
      assert.deepEqual(
        runsOf().map((x) => x.state),
        ["undone"],
      );
    });
  });
}
