// test/integration/systemd-ns.ts — a real systemd (Debian's /lib/systemd/systemd) booted as PID 1 of a new PID,
// mount, UTS and cgroup namespace, for the tests of `crifs relocate --systemd` (relocate-systemd.ts): PID 1 of
// the test machine is not systemd. Before it execs systemd, the namespace's first process mounts its own
// proc on /proc, a fresh tmpfs on /run (systemd's runtime dir, and /run/systemd/system as a unit dir), a tmpfs
// on /etc/systemd/system (what `systemctl enable` and relocate's .mount unit write land there, not in the
// host's /etc) and cgroup2 on /sys/fs/cgroup (a cgroup of its own, made below the host's v2 hierarchy, is the
// namespace's root). container=crifs-test makes systemd behave as in a container; SYSTEMD_UNIT_PATH limits its
// unit dirs to those two, so the host's units (and the containerd.service of Debian's package) are unknown to
// it; --unit names the empty target it boots to, so it starts nothing but what a test asks for (the few other
// targets the default dependencies of a service and a mount need are empty ones of the namespace's own).
// Commands run inside through nsenter (-m -p: systemctl talks to this systemd over /run/systemd/private).
// stop() SIGKILLs the namespace's PID 1 (the kernel kills every process of the namespace with it; its mounts
// go with the last of them) and removes the cgroup.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const SYSTEMD = "/lib/systemd/systemd";

export interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SystemdNs {
  /** The host pid of the namespace's systemd. */
  readonly pid: number;
  /** The dir holding the namespace's own units (its /run/systemd/system). */
  readonly unitDir: string;
  /** `path` as seen inside the namespace, opened from the host (/proc/<pid>/root/<path>). */
  at(path: string): string;
  /** Runs `cmd args` inside the namespace (mount and PID), within `timeoutMs`, with `env` added. */
  run(cmd: string, args: readonly string[], timeoutMs?: number, env?: Record<string, string>): Run;
  /** `systemctl args` inside; stdout trimmed when it exits 0, else throws with its stderr. */
  systemctl(args: readonly string[]): string;
  /** `systemctl is-active unit` inside: active, inactive, activating, failed, … */
  isActive(unit: string): string;
  /** Kills the namespace (every process in it) and removes its cgroup; safe to call twice. */
  stop(): Promise<void>;
}

/** The cgroup2 hierarchy the namespace's cgroup is made in: the host's own when it is pure v2, else the
 * unified one of a hybrid layout (Debian 12 on this kind of machine). */
function cgroup2Parent(): string {
  if (existsSync("/sys/fs/cgroup/cgroup.controllers")) return "/sys/fs/cgroup";
  if (existsSync("/sys/fs/cgroup/unified/cgroup.controllers")) return "/sys/fs/cgroup/unified";
  throw new Error("no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified: systemd cannot boot");
}

/** Removes a cgroup dir and the ones systemd made below it, deepest first (each empty of processes). */
function removeCgroup(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) removeCgroup(join(dir, e.name));
  rmdirSync(dir);
}

/** The child of `pid` that is systemd (unshare's child once it has exec'd it), or null. */
function systemdChild(pid: number): number | null {
  try {
    for (const kid of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)) {
      if (kid !== "" && readFileSync(`/proc/${kid}/comm`, "utf8").trim() === "systemd") return Number(kid);
    }
  } catch {
    // not there yet, or gone
  }
  return null;
}

/** Boots systemd in a new namespace; `work` holds its boot script and log. Waits (at most 30 s) until
 * systemctl is-system-running says running. */
export async function bootSystemd(work: string): Promise<SystemdNs> {
  const cg = join(cgroup2Parent(), `crifs-systemd-${process.pid}-${Date.now()}`);
  const boot = join(work, "boot-systemd.sh");
  writeFileSync(
    boot,
    [
      "#!/bin/sh",
      "set -e",
      "mount -t proc proc /proc",
      "mount -t tmpfs -o mode=0755 tmpfs /run",
      "mkdir -p /run/systemd/system",
      "mount -t tmpfs -o mode=0755 tmpfs /etc/systemd/system",
      "mount -t cgroup2 cgroup2 /sys/fs/cgroup",
      // the targets a service's and a mount's default dependencies name (Requires=sysinit.target), empty
      "for t in crifs-test sysinit basic local-fs local-fs-pre shutdown umount; do printf '[Unit]\\nDescription=%s (crifs test)\\n' $t > /run/systemd/system/$t.target; done",
      "export container=crifs-test SYSTEMD_UNIT_PATH=/etc/systemd/system:/run/systemd/system",
      `exec ${SYSTEMD} --unit=crifs-test.target --log-target=console`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const log = join(work, "systemd.log");
  // the cgroup first (the namespace's cgroup root is the one its first process is in), then the namespaces
  const sh: ChildProcess = spawn(
    "sh",
    [
      "-c",
      `mkdir '${cg}' && echo $$ > '${cg}/cgroup.procs' && exec unshare --kill-child --pid --fork --mount --uts --cgroup --propagation private '${boot}' >'${log}' 2>&1`,
    ],
    { stdio: "ignore" },
  );
  const unsharePid = sh.pid as number;
  const exited = new Promise<void>((done) => {
    if (sh.exitCode !== null) done();
    else sh.once("exit", () => done());
  });
  let pid: number | null = null;
  const ns: SystemdNs = {
    get pid() {
      return pid ?? -1;
    },
    unitDir: "/run/systemd/system",
    at: (path) => `/proc/${pid}/root${path}`,
    run(cmd, args, timeoutMs = 60_000, env = {}) {
      // nsenter re-raises the signal that ended its child (a SIGKILLed crifs is seen as one)
      const r = spawnSync("nsenter", ["-t", String(pid), "-m", "-p", "--", cmd, ...args], {
        encoding: "utf8",
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, ...env },
      });
      return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
    },
    systemctl(args) {
      const r = ns.run("systemctl", args, 60_000);
      if (r.status !== 0)
        throw new Error(`systemctl ${args.join(" ")}: exit ${r.status}: ${r.stderr.trim()}`);
      return r.stdout.trim();
    },
    isActive: (unit) => ns.run("systemctl", ["is-active", unit]).stdout.trim(),
    async stop() {
      pid ??= systemdChild(unsharePid);
      if (pid !== null) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
      try {
        process.kill(unsharePid, "SIGKILL");
      } catch {
        // gone already
      }
      await Promise.race([exited, sleep(10_000)]);
      // the kernel reaps the namespace's processes after its PID 1: wait until the cgroup is empty
      for (let i = 0; i < 100 && existsSync(cg); i++) {
        try {
          removeCgroup(cg);
        } catch {
          await sleep(100);
        }
      }
      if (existsSync(cg)) throw new Error(`cannot remove the namespace's cgroup ${cg}`);
    },
  };
  try {
    for (let i = 0; i < 300; i++) {
      if (sh.exitCode !== null) break;
      pid ??= systemdChild(unsharePid);
      if (pid !== null && ns.run("systemctl", ["is-system-running"], 5_000).stdout.trim() === "running")
        return ns;
      await sleep(100);
    }
    throw new Error(`systemd did not boot in its namespace within 30 s: see ${log}`);
  } catch (err) {
    await ns.stop();
    throw err;
  }
}
