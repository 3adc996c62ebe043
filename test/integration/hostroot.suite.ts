// test/integration/hostroot.suite.ts — one host with all three runtimes: crifs with no store flags finds and
// checks every one. The host is a dir standing for / (--host-root), and it is a chroot, not a prefix: its
// etc/ holds each runtime's config, reached through the kinds of symlinks a real node has, each of which
// would lead out of the dir if followed as a prefix:
//   /var/lib/containerd -> /data/containerd                  (absolute; the real store bind-mounted there)
//   /etc/containerd/node.toml -> /etc/crifs-node-<id>/state.toml   (an import: absolute, to /etc/…)
//   /var/lib/containers/storage -> ../../../../../../../pm-root     (climbs past the host root: stops at it)
//   /etc/docker/daemon.json -> <outside>/daemon.json          (the outside file exists too, naming another root)
// The three beds' stores run at once and are bind-mounted (private, so nothing propagates back) at the paths
// the configs name. Also here, on those real root-only stores: crifs as nobody says "permission denied"
// (exit 77) naming the path, never "no store found" (issue 13, item 6).

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type NobodyPackage, stageForNobody } from "../../src/fs/testing-as-nobody.js";
import type { Bed } from "../bed/bed.js";
import { type DockerBed, startDockerBed } from "../bed/docker-bed.js";
import { type PodmanBed, startPodmanBed } from "../bed/podman.js";
import { type CliResult, CRIFS, crifs, isOneLineError, REPO } from "./cli.js";

interface Finding {
  check: string;
  path: string;
  subject: string;
}

interface InfoStore {
  runtime: string;
  root: string;
  state: string;
  config: string | null;
  rootLink?: string;
  counts: Record<string, number>;
}

/** Paths crifs must never touch with --host-root: the runtimes' places on this machine, and the targets of
 * the planted links as this machine would resolve them. */
function forbiddenPrefixes(nodeEtc: string, outside: string): string[] {
  return [
    "/etc/containerd",
    "/etc/containers",
    "/etc/docker",
    "/etc/crio",
    "/usr/share/containers",
    "/var/lib/containerd",
    "/var/lib/containers",
    "/var/lib/docker",
    "/run/containerd",
    "/run/containers",
    "/var/run/docker",
    "/run/docker",
    "/data",
    "/pm-root",
    "/pm-run",
    "/dk-root",
    "/dk-exec",
    nodeEtc,
    outside,
  ];
}

export function hostRootSuite(getBed: () => Bed) {
  describe("a host with containerd, podman and docker", () => {
    let pb: PodmanBed | undefined;
    let db: DockerBed | undefined;
    let host = "";
    let outside = "";
    let nodeEtc = "";
    let nobody: NobodyPackage | undefined;
    const mounted: string[] = [];

    /** Bind-mounts `source` at `path` under the host root, private so no mount event crosses back. */
    const bindAt = (source: string, path: string) => {
      const at = join(host, path);
      mkdirSync(at, { recursive: true });
      execFileSync("mount", ["--bind", source, at]);
      mounted.push(at);
      execFileSync("mount", ["--make-private", at]);
    };
    const put = (path: string, text: string) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    };
    const link = (path: string, target: string) => {
      mkdirSync(dirname(join(host, path)), { recursive: true });
      symlinkSync(target, join(host, path));
    };

    before(async () => {
      const bed = getBed();
      [pb, db] = await Promise.all([startPodmanBed(bed.ociArchive), startDockerBed(bed.ociArchive)]);
      await db.stopDockerd();
      await bed.stopContainerd();
      host = mkdtempSync("/var/tmp/crifs-host-");
      outside = mkdtempSync("/var/tmp/crifs-outside-");
      nodeEtc = `/etc/crifs-node-${host.slice(-6)}`;
      // containerd: the default root, an absolute link; state named by an import that is an absolute link
      put(join(host, "etc/containerd/config.toml"), 'version = 2\nimports = ["/etc/containerd/node.toml"]\n');
      link("etc/containerd/node.toml", `${nodeEtc}/state.toml`);
      put(join(host, nodeEtc, "state.toml"), 'state = "/run/containerd-node"\n');
      link("var/lib/containerd", "/data/containerd");
      bindAt(bed.root, "data/containerd");
      bindAt(bed.state, "run/containerd-node");
      // podman: the default graphroot, a relative link that climbs past the host root
      put(
        join(host, "etc/containers/storage.conf"),
        '[storage]\ndriver = "overlay"\ngraphroot = "/var/lib/containers/storage"\nrunroot = "/pm-run"\n',
      );
      link("var/lib/containers/storage", "../../../../../../../pm-root");
      bindAt(pb.root, "pm-root");
      bindAt(pb.runroot, "pm-run");
      // docker: daemon.json is a link to a file outside; the same path outside names another data-root
      put(join(outside, "daemon.json"), '{"data-root": "/outside-docker"}\n');
      put(join(host, outside, "daemon.json"), '{"data-root": "/dk-root", "exec-root": "/dk-exec"}\n');
      link("etc/docker/daemon.json", join(outside, "daemon.json"));
      bindAt(db.root, "dk-root");
      bindAt(db.execRoot, "dk-exec");
    });
    after(async () => {
      for (const at of mounted.reverse()) execFileSync("umount", [at]);
      nobody?.remove();
      if (host !== "") rmSync(host, { recursive: true, force: true });
      if (outside !== "") rmSync(outside, { recursive: true, force: true });
      await Promise.all([pb?.teardown(), db?.teardown()]);
    });

    test("info finds all three runtimes at the in-root targets of their configs' links, with the root links shown", () => {
      const r = crifs(["--host-root", host, "info", "-o", "json"]);
      assert.equal(r.status, 0, r.stderr);
      const stores = JSON.parse(r.stdout) as InfoStore[];
      assert.deepEqual(
        stores.map((s) => [s.runtime, s.root, s.state, s.config, s.rootLink ?? null]),
        [
          [
            "containerd",
            `${host}/data/containerd`,
            `${host}/run/containerd-node`,
            `${host}/etc/containerd/config.toml`,
            "/var/lib/containerd -> /data/containerd",
          ],
          [
            "podman",
            `${host}/pm-root`,
            `${host}/pm-run`,
            `${host}/etc/containers/storage.conf`,
            "/var/lib/containers/storage -> /pm-root",
          ],
          ["docker", `${host}/dk-root`, `${host}/dk-exec`, `${host}${outside}/daemon.json`, null],
        ],
      );
      // and what it read there is each bed's store: the same counts as naming the store directly
      const direct: [string, string[]][] = [
        ["containerd", ["--runtime", "containerd", "--root", getBed().root, "--state", getBed().state]],
        ["podman", ["--runtime", "podman", "--root", pb?.root ?? "", "--state", pb?.runroot ?? ""]],
        ["docker", ["--runtime", "docker", "--root", db?.root ?? "", "--state", db?.execRoot ?? ""]],
      ];
      for (const [runtime, flags] of direct) {
        const d = crifs([...flags, "--offline", "info", "-o", "json"]);
        assert.equal(d.status, 0, d.stderr);
        // tasksRunning aside: with --host-root a recorded pid is "unknown" (the node's processes are not here)
        const { tasksRunning: _, ...want } = (JSON.parse(d.stdout) as InfoStore[])[0]?.counts ?? {};
        const { tasksRunning: __, ...got } = stores.find((s) => s.runtime === runtime)?.counts ?? {};
        assert.deepEqual(got, want, runtime);
      }
    });

    test("with --host-root nothing outside the host root is opened or looked up (strace of info)", () => {
      const log = join(outside, "strace.log");
      const r = spawnSync(
        "strace",
        // %file and %desc: every syscall that names a path or uses an fd; -y prints the path the kernel
        // resolved behind each fd (so a symlink the kernel followed out would show in an open's result)
        [
          "-f",
          "-qq",
          "-y",
          "-e",
          "trace=%file,%desc",
          "-o",
          log,
          process.execPath,
          CRIFS,
          "--host-root",
          host,
          "info",
        ],
        { encoding: "utf8", cwd: REPO, env: { ...process.env, UV_USE_IO_URING: "0" } },
      );
      const forbidden = forbiddenPrefixes(nodeEtc, outside);
      const touched = readFileSync(log, "utf8")
        .split("\n")
        // the path a call names (its first string: later ones are outputs, such as readlink's target) and
        // the paths behind its fds
        .flatMap((line) =>
          [
            /^\d+\s+\w+\([^"]*"(\/[^"]*)"/.exec(line)?.[1],
            ...[...line.matchAll(/<(\/[^>]*)>/g)].map((m) => m[1]),
          ]
            .filter((p): p is string => p !== undefined)
            .map((path) => ({ path, line })),
        )
        .filter(({ path }) => forbidden.some((f) => path === f || path.startsWith(`${f}/`)));
      assert.deepEqual(
        touched.map((t) => t.line),
        [],
        "crifs touched paths outside the host root",
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /runtime: docker/);
      // the log is of the right process: it did read the node's files inside the host root
      assert.ok(readFileSync(log, "utf8").includes(`${host}${nodeEtc}/state.toml`));
    });

    test("doctor with no store flags checks all three: each store's planted host-only link is found", () => {
      const r = crifs(["--host-root", host, "doctor", "-o", "json"]);
      assert.ok(r.status === 1, `exit ${r.status}: ${r.stderr}`);
      const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
      for (const root of ["data/containerd", "pm-root", "dk-root"]) {
        const here = findings.filter((f) => f.path.startsWith(`${host}/${root}/`));
        assert.ok(here.length > 0, `no finding under ${root}: doctor did not check that store`);
        assert.ok(
          here.every((f) => f.check === "broken-symlink" && f.subject.endsWith(": /data/host-only-link")),
          `unexpected findings in a healthy ${root}: ${here.map((f) => `${f.check} ${f.subject}`).join("; ")}`,
        );
      }
    });

    test("logs and doctor read the node's pod logs under --host-root: kubelet's absolute links resolve there, never in this machine's /var/log", () => {
      const id = "c0ffee".repeat(11).slice(0, 64);
      const pod = `crifs-hostroot-${host.slice(-6)}_web-0_u1`;
      const line = (text: string) => `2026-12-07T01:00:00.000000000Z stdout F ${text}\n`;
      // the node's log, and kubelet's link to it by its node path
      put(join(host, "var/log/pods", pod, "app/0.log"), line("hello from the node"));
      link(`var/log/containers/web-0_${pod.split("_")[0]}_app-${id}.log`, `/var/log/pods/${pod}/app/0.log`);
      // a dangling link on the node whose target this machine has
      link(`var/log/containers/web-0_${pod.split("_")[0]}_gone-${"d".repeat(64)}.log`, "/etc/hostname");
      // the same path on this machine, with other words: read only if the link were followed here
      const here = join("/var/log/pods", pod);
      put(join(here, "app/0.log"), line("WRONG: this machine's log"));
      try {
        const r = crifs(["--host-root", host, "logs", id]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "hello from the node\n");
        const d = crifs([
          "--host-root",
          host,
          "doctor",
          "--check",
          "dangling-log-link",
          "--grace",
          "0",
          "-o",
          "json",
        ]);
        const findings = (JSON.parse(d.stdout) as { findings: Finding[] }).findings;
        assert.deepEqual(
          findings.map((f) => [f.check, f.path]),
          [
            [
              "dangling-log-link",
              join(host, `var/log/containers/web-0_${pod.split("_")[0]}_gone-${"d".repeat(64)}.log`),
            ],
          ],
        );
      } finally {
        rmSync(here, { recursive: true, force: true });
        rmSync(join(host, "var/log"), { recursive: true, force: true });
      }
    });

    test("audit with no store flags shows all three, each section labelled with runtime, root (and its link) and state", () => {
      const r = crifs(["--host-root", host, "audit"]);
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      for (const head of [
        `== containerd root ${host}/data/containerd (/var/lib/containerd -> /data/containerd) state ${host}/run/containerd-node`,
        `== podman root ${host}/pm-root (/var/lib/containers/storage -> /pm-root) state ${host}/pm-run`,
        `== docker root ${host}/dk-root state ${host}/dk-exec`,
      ]) {
        assert.ok(r.stdout.includes(head), `no "${head}" in:\n${r.stdout.slice(0, 2000)}`);
      }
    });

    test("--runtime with --host-root reads that runtime's store under the host root, not this machine's", () => {
      const r = crifs(["--host-root", host, "--runtime", "docker", "info", "-o", "json"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(
        (JSON.parse(r.stdout) as InfoStore[]).map((s) => s.root),
        [`${host}/dk-root`],
      );
    });

    /** Exit 77 and one stderr line: "permission denied" about a path under `under`, with the remedy. */
    const asCli = (r: { status: number | null; stdout: string; stderr: string }): CliResult => ({
      status: r.status ?? -1,
      stdout: r.stdout,
      stderr: r.stderr,
    });
    const assertPermission = (r: CliResult, under: string, what: string) => {
      assert.equal(r.status, 77, `${what}: exit ${r.status}: ${r.stderr}`);
      assert.ok(isOneLineError(r), `${what}: not one line: ${r.stderr}`);
      assert.match(r.stderr, /^crifs: (\/\S+): .*permission denied \(hint: run crifs as root/, what);
      assert.ok(r.stderr.startsWith(`crifs: ${under}`), `${what}: names no path under ${under}: ${r.stderr}`);
    };

    test("as nobody, every runtime's root-only store says permission denied (exit 77) naming the path, never not found", () => {
      nobody ??= stageForNobody({ dependencies: true });
      const bed = getBed();
      const stores: [string, string][] = [
        ["containerd", bed.root],
        ["podman", pb?.root ?? ""],
        ["docker", db?.root ?? ""],
      ];
      for (const [runtime, root] of stores) {
        for (const command of ["info", "images", "doctor", "du"]) {
          assertPermission(
            asCli(nobody.runCrifs(["--runtime", runtime, "--root", root, command])),
            dirname(root),
            `${runtime} ${command}`,
          );
        }
        // without --runtime, detection meets the same wall: not "no container runtime store found"
        assertPermission(
          asCli(nobody.runCrifs(["--root", root, "info"])),
          dirname(root),
          `${runtime} detect`,
        );
      }
      assertPermission(
        asCli(nobody.runCrifs(["--runtime", "containerd", "--config", bed.configPath, "info"])),
        dirname(bed.configPath),
        "--config",
      );
      assertPermission(asCli(nobody.runCrifs(["--host-root", host, "info"])), host, "--host-root");
    });

    test("as nobody, a state dir crifs may not list is permission denied, not a store without tasks", () => {
      nobody ??= stageForNobody({ dependencies: true });
      // a store nobody can read (the bundled sample), with a root-only state dir beside it
      const dir = mkdtempSync(join(outside, "sample-"));
      execFileSync("tar", ["-xzf", join(REPO, "sample", "containerd-root.tar.gz"), "-C", dir]);
      execFileSync("chmod", ["-R", "a+rX", outside]);
      const state = join(dir, "state");
      mkdirSync(join(state, "io.containerd.runtime.v2.task"), { recursive: true, mode: 0o700 });
      execFileSync("chmod", ["0700", state]);
      const r = asCli(
        nobody.runCrifs(["--runtime", "containerd", "--root", join(dir, "root"), "--state", state, "info"]),
      );
      assertPermission(r, state, "--state");
    });
  });
}
