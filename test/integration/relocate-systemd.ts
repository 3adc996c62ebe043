// test/integration/relocate-systemd.ts — `crifs relocate --systemd` against a real systemd (issue 18): Debian's
// systemd booted as PID 1 of a namespace of its own (systemd-ns.ts), running a containerd.service of the bed's
// containerd on a small root of its own (the relocate-containerd.ts setup: the CRI plugin off, the bed's image
// imported, one container created). crifs, systemctl and ctr run inside that namespace (nsenter). The tests:
//   - while systemd knows no containerd.service, --systemd --apply is refused with the plan's one line and
//     writes nothing
//   - bind: a run SIGKILLed before its stop leaves the unit active; its --resume, SIGKILLed once the copy is
//     made, finds containerd.service inactive (stop came first); the next --resume finishes the run, starts the
//     unit again, writes the .mount unit where the plan said, and systemd reports that unit loaded, enabled and
//     active while findmnt shows the bind; containerd lists everything as before and runs a relocated image;
//     --rollback stops and starts the unit again around its undo
//   - symlink: afterwards systemd runs a new invocation of the unit (the old main process is gone), which
//     entered active after the switch by systemd's own timestamp
// Cost: 9 to 13 s in all on a loaded 2-CPU machine (systemd boots in about 1 s; each run copies a few MiB).

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { compareManifests } from "../../src/copy/manifest.js";
import type { Bed } from "../bed/bed.js";
import { CRIFS, isOneLineError } from "./cli.js";
import { assertRootBack, makeLoopFs, ok, storeManifest, umountAll } from "./relocate-steps.js";
import { bootSystemd, type Run, type SystemdNs } from "./systemd-ns.js";

const UNIT = "containerd.service";

interface JournalLine {
  readonly type: string;
  readonly step?: string;
  readonly at: string;
}

/** systemctl show's `--timestamp=us+utc` form ("Mon 2026-12-07 14:56:01.123456 UTC") as ms since the epoch. */
function showTime(text: string, key: string): number {
  const m = new RegExp(`^${key}=\\S+ (\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d\\.\\d+) UTC$`, "m").exec(
    text,
  );
  if (m === null) throw new Error(`systemctl show: no ${key} in:\n${text}`);
  return Date.parse(`${m[1]}T${m[2]?.slice(0, 12)}Z`);
}

export function relocateSystemdSuite(getBed: () => Bed) {
  describe("relocate --systemd (issue 18) against a real systemd in a namespace of its own", () => {
    let work = "";
    let mnt = "";
    let sd: SystemdNs | undefined;
    let before0: { images: string[]; containers: string[]; snapshots: string[] } | undefined;
    const root = () => join(work, "root");
    const sock = () => join(work, "containerd.sock");
    const cfg = () => join(work, "config.toml");
    const fstab = () => join(work, "fstab");
    const ns = (): SystemdNs => {
      if (sd === undefined) throw new Error("systemd is not running (did before() fail?)");
      return sd;
    };
    const rl = (...args: string[]) => [
      ...["--runtime", "containerd", "--root", root(), "--config", cfg()],
      ...["relocate", ...args, "--fstab", fstab()],
    ];
    /** crifs inside the namespace, with extra environment (the fault hook). */
    const crifsNs = (args: readonly string[], env: Record<string, string> = {}): Run =>
      ns().run(process.execPath, [CRIFS, ...args], 120_000, env);
    const ctr = (args: readonly string[]): string => {
      const r = ns().run(join(getBed().binDir, "ctr"), ["-a", sock(), "-n", "default", ...args]);
      if (r.status !== 0) throw new Error(`ctr ${args.join(" ")}: exit ${r.status}: ${r.stderr.trim()}`);
      return r.stdout;
    };
    const listing = () => ({
      images: ctr(["images", "ls", "-q"]).split("\n").sort(),
      containers: ctr(["containers", "ls", "-q"]).split("\n").sort(),
      snapshots: ctr(["snapshots", "ls"]).split("\n").sort(),
    });
    /** containerd (started by systemd) lists what it did before and runs a container from bb:small. */
    const assertContainerd = (why: string) => {
      assert.equal(ns().isActive(UNIT), "active", `${why}: systemd reports ${UNIT} active`);
      assert.deepEqual(listing(), before0, `${why}: containerd lists every image, container and snapshot`);
      assert.equal(
        // --cpu-shares 0: ctr's default (1024) makes runc write cpu.weight, and the namespace's cgroup2 has no cpu
        // controller where the host binds it to cgroup v1 (this machine's hybrid layout)
        ctr([
          "run",
          "--rm",
          "--cpu-shares",
          "0",
          "docker.io/library/bb:small",
          `rls-run-${why}`,
          "/bin/echo",
          why,
        ]).trim(),
        why,
      );
    };
    /** The mount at `path` inside the namespace as findmnt shows it ("" when nothing is mounted there). */
    const findmnt = (path: string) =>
      ns().run("findmnt", ["-n", "-o", "TARGET,SOURCE,FSTYPE", "--mountpoint", path]).stdout.trim();
    const journalOf = (dir: string): JournalLine[] =>
      readFileSync(join(dir, "journal.jsonl"), "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as JournalLine);
    const at = (lines: readonly JournalLine[], type: string, step: string): number => {
      const l = lines.find((x) => x.type === type && x.step === step);
      assert.ok(l !== undefined, `the journal has a ${type} of ${step}`);
      return Date.parse(l.at);
    };

    before(async () => {
      work = mkdtempSync("/var/tmp/crifs-rls.");
      writeFileSync(
        cfg(),
        `version = 2\nroot = "${root()}"\nstate = "${join(work, "state")}"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n\n[grpc]\n  address = "${sock()}"\n\n[plugins."io.containerd.internal.v1.opt"]\n  path = "${join(work, "opt")}"\n`,
      );
      // the store is filled by a containerd of the test's own, before systemd knows any containerd.service
      const log = openSync(join(work, "containerd.log"), "a");
      const proc: ChildProcess = spawn(join(getBed().binDir, "containerd"), ["--config", cfg()], {
        stdio: ["ignore", log, log],
      });
      closeSync(log);
      const hostCtr = (args: readonly string[]) =>
        execFileSync(join(getBed().binDir, "ctr"), ["-a", sock(), "-n", "default", ...args], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
      try {
        for (let i = 0; ; i++) {
          try {
            hostCtr(["version"]);
            break;
          } catch (err) {
            if (i === 200) throw err;
            await sleep(100);
          }
        }
        hostCtr(["images", "import", "--base-name", "docker.io/library/bb", getBed().ociArchive]);
        hostCtr(["containers", "create", "docker.io/library/bb:small", "rls-created", "/bin/sh"]);
      } finally {
        const gone = new Promise((done) => proc.once("exit", done));
        proc.kill("SIGTERM");
        await gone;
      }
      mnt = makeLoopFs(work, 512); // before the namespace: it gets a copy of the host's mounts
      const t0 = Date.now();
      sd = await bootSystemd(work);
      console.log(
        `relocate --systemd: systemd (pid ${sd.pid}) booted in its namespace in ${Date.now() - t0} ms`,
      );
    });
    after(async () => {
      if (work === "") return;
      await sd?.stop(); // containerd, its shims and the namespace's bind mounts go with it
      umountAll([mnt]);
      rmSync(work, { recursive: true, force: true });
    });

    test("--systemd while systemd knows no containerd.service: refused with the plan's one line, nothing written", () => {
      assert.equal(
        ns().run("systemctl", ["show", "-p", "LoadState", UNIT]).stdout.trim(),
        "LoadState=not-found",
      );
      const newDir = join(mnt, "unknown");
      const r = crifsNs(rl(newDir, "--systemd", "--apply"));
      assert.equal(r.status, 69, r.stderr);
      assert.ok(isOneLineError({ ...r, status: r.status ?? -1 }), r.stderr);
      assert.match(r.stderr, /--systemd: .*containerd\.service/);
      assert.match(r.stderr, /without --apply and --systemd/, "a hint that can be followed");
      assert.ok(!existsSync(newDir), "nothing was written to the target");
      assert.ok(!existsSync(join(work, ".crifs-quarantine")), "no run was opened");
      assert.ok(lstatSync(root()).isDirectory());
    });

    test("--method bind: containerd.service is inactive during the copy, active after; the .mount unit is where the plan said, enabled and active, findmnt shows the bind; --rollback undoes it", () => {
      writeFileSync(
        ns().at(`${ns().unitDir}/${UNIT}`),
        // Debian's containerd.service, with the bed's binary and this store's config
        `[Unit]\nDescription=containerd of the crifs relocate --systemd test\n\n[Service]\nExecStart=${join(getBed().binDir, "containerd")} --config ${cfg()}\nEnvironment=PATH=${getBed().binDir}:/usr/sbin:/usr/bin:/sbin:/bin\nType=notify\nDelegate=yes\nKillMode=process\nLimitNOFILE=infinity\n`,
      );
      ns().systemctl(["daemon-reload"]);
      ns().systemctl(["start", UNIT]);
      assert.equal(ns().isActive(UNIT), "active");
      before0 = listing();
      const newDir = join(mnt, "bind");

      // killed before it stopped anything: the unit runs on, holding the root, and --resume stops it first
      const k0 = crifsNs(rl(newDir, "--systemd", "--apply"), { CRIFS_RELOCATE_FAULT: "stop:intent" });
      assert.equal(k0.signal, "SIGKILL", `killed before the stop: ${k0.stderr}`);
      assert.equal(ns().isActive(UNIT), "active", "nothing was stopped yet");
      // killed by that --resume once the copy is made: systemd says the unit is stopped while the copy exists
      const k = crifsNs(rl("--resume"), { CRIFS_RELOCATE_FAULT: "copy" });
      assert.equal(k.signal, "SIGKILL", `killed after the copy: ${k.stderr}`);
      assert.equal(ns().isActive(UNIT), "inactive", "containerd.service is stopped during the copy");
      // the copy equals the root here, both still as the stopped containerd left them (from the unit's start on,
      // containerd writes its meta.db again: later trees are its, not the copy's)
      assert.deepEqual(
        compareManifests(storeManifest(root()), storeManifest(join(newDir, ".crifs-relocate-partial")), 5),
        [],
        "the copy made while the unit was stopped equals the root",
      );
      const runs = readdirSync(join(work, ".crifs-quarantine"));
      assert.equal(runs.length, 1);
      const runDir = join(work, ".crifs-quarantine", runs[0] as string);
      const killed = journalOf(runDir);
      assert.ok(
        at(killed, "done", "stop") <= at(killed, "intent", "copy"),
        "stop was done before the copy began",
      );

      const r = crifsNs(["-o", "json", ...rl("--resume")]);
      ok(r, "relocate --resume");
      const res = JSON.parse(r.stdout) as { state: string; steps: string[]; plan: { unitPath: string } };
      assert.equal(res.state, "finished");
      assert.deepEqual(res.steps, [
        "copy",
        "verify",
        "promote",
        "rename-old",
        "switch",
        "persist",
        "remove",
        "start",
      ]);

      // the unit: the path systemd-escape gives, the text binding NEWDIR on the root, loaded, enabled, active
      const unitName = execFileSync("systemd-escape", ["--path", "--suffix=mount", root()], {
        encoding: "utf8",
      }).trim();
      assert.equal(res.plan.unitPath, `/etc/systemd/system/${unitName}`);
      const text = readFileSync(ns().at(res.plan.unitPath), "utf8");
      assert.match(text, new RegExp(`^What=${newDir}$`, "m"));
      assert.match(text, new RegExp(`^Where=${root()}$`, "m"));
      const show = ns().systemctl([
        "show",
        "-p",
        "LoadState,ActiveState,SubState,What,Where,FragmentPath",
        unitName,
      ]);
      for (const kv of [
        "LoadState=loaded",
        "ActiveState=active",
        "SubState=mounted",
        `Where=${root()}`,
        `FragmentPath=${res.plan.unitPath}`,
      ])
        assert.ok(show.split("\n").includes(kv), `systemctl show ${unitName}: ${kv} in\n${show}`);
      assert.equal(ns().systemctl(["is-enabled", unitName]), "enabled");
      const m = findmnt(root()).split(/\s+/);
      assert.equal(m[0], root(), `findmnt: ${m.join(" ")}`);
      assert.ok(m[1]?.endsWith(`[/${basename(newDir)}]`), `findmnt: the bind of ${newDir}: ${m.join(" ")}`);
      assert.equal(m[2], "ext4");
      assertContainerd("bind");

      const back = crifsNs(rl("--rollback"));
      ok(back, "relocate --rollback");
      assert.equal(ns().isActive(UNIT), "active", "started again after the rollback");
      assert.ok(!existsSync(ns().at(res.plan.unitPath)), "the .mount unit is removed");
      assert.equal(findmnt(root()), "", "nothing is mounted on the root in the namespace");
      assert.notEqual(ns().isActive(unitName), "active");
      assertRootBack(root(), fstab(), "rollback of bind");
      assertContainerd("rolled-back");
      rmSync(newDir, { recursive: true, force: true });
    });

    test("--method symlink: a new invocation of the unit, started by systemd after the switch; the old one is gone", () => {
      const newDir = join(mnt, "symlink");
      const props = "MainPID,InvocationID,ActiveEnterTimestamp";
      const show = () => ns().systemctl(["show", "--timestamp=us+utc", "-p", props, UNIT]);
      const value = (text: string, key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(text)?.[1] ?? "";
      const was = show();
      const r = crifsNs(["-o", "json", ...rl(newDir, "--systemd", "--apply", "--method", "symlink")]);
      ok(r, "relocate --systemd --apply --method symlink");
      const res = JSON.parse(r.stdout) as { state: string; dir: string; plan: { unitPath: string | null } };
      assert.equal(res.state, "finished");
      assert.equal(res.plan.unitPath, null);
      assert.equal(readlinkSync(root()), newDir);
      // systemd unloads a stopped unit nothing refers to, and with it the time it stopped: its stop shows as
      // another invocation (id and main pid) and the old main process gone; its start by its time
      const now = show();
      assert.notEqual(
        value(now, "InvocationID"),
        value(was, "InvocationID"),
        `a new invocation:\n${was}\n${now}`,
      );
      const oldPid = value(was, "MainPID");
      assert.notEqual(value(now, "MainPID"), oldPid);
      assert.notEqual(
        ns().run("kill", ["-0", oldPid]).status,
        0,
        `the old containerd (pid ${oldPid}) is gone`,
      );
      const lines = journalOf(res.dir);
      assert.ok(
        at(lines, "done", "stop") <= at(lines, "intent", "copy"),
        "the journal: stop done before the copy",
      );
      const started = showTime(now, "ActiveEnterTimestamp");
      assert.ok(started >= at(lines, "done", "switch"), `started after the switch\n${now}`);
      assert.ok(started >= at(lines, "intent", "start") - 1, `started in the start step\n${now}`);
      assertContainerd("symlink");
      // last: the store stays relocated; after() kills the namespace and removes the work dir
    });
  });
}
