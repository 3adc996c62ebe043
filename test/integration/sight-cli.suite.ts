// test/integration/sight-cli.suite.ts — the crictl/kubectl habits and the shell around crifs, on the main bed
// (issue 20 parts 2, 4, 5): every list command's -q equals its JSON ids, --no-headers drops just the header,
// the --name/--label/--pod filters, CONTAINERD_NAMESPACE, doctor --list-checks; then a real bash and a real zsh
// under tmux load `crifs completion` and complete a container id of the bed from its first characters; and
// du's progress line under tmux (redrawn, then cleared) on a store of its own, absent when piped; and `crifs
// links` writing its rows as it finds them (links-stream.ts).
// Runs once (it reads crifs's listings, not containerd's formats), read-only on the bed but for the two
// containers links-stream.ts makes and removes.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { bedFlags, CRIFS, contractErrors, crifs, json, REPO } from "./cli.js";
import { linksStreamTests } from "./links-stream.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** crifs with extra environment variables. */
function crifsEnv(args: readonly string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CRIFS, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A shell in a detached tmux session (a real TTY), with crifs on its PATH. */
class TmuxShell {
  readonly #name: string;
  constructor(shell: readonly string[], binDir: string) {
    this.#name = `crifs-sight-${process.pid}-${shell[0]}`;
    const env = `env -i HOME=/tmp TERM=xterm PATH=${binDir}:/usr/bin:/bin`;
    execFileSync("tmux", [
      "new-session",
      "-d",
      "-s",
      this.#name,
      "-x",
      "400",
      "-y",
      "50",
      `${env} ${shell.join(" ")}`,
    ]);
  }
  keys(...keys: string[]): void {
    execFileSync("tmux", ["send-keys", "-t", this.#name, ...keys]);
  }
  screen(): string {
    return execFileSync("tmux", ["capture-pane", "-p", "-t", this.#name], { encoding: "utf8" });
  }
  async until(what: string, ok: (screen: string) => boolean, ms = 15_000): Promise<string> {
    let s = "";
    for (let t = 0; t < ms; t += 100) {
      s = this.screen();
      if (ok(s)) return s;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}; the screen was:\n${s}`);
  }
  close(): void {
    spawnSync("tmux", ["kill-session", "-t", this.#name]);
  }
}

export function sightCliSuite(getBed: () => Bed): void {
  describe("crictl and kubectl habits: -q, --no-headers, filters, environment, --list-checks", () => {
    const flags = () => bedFlags(getBed());
    const lists: [string[], (row: Record<string, unknown>) => unknown][] = [
      [["images"], (r) => r.name],
      [["snapshots"], (r) => r.key],
      [["containers"], (r) => r.id],
      [["ps"], (r) => r.id],
      [["pods"], (r) => r.id],
      [["doctor", "--list-checks"], (r) => r.id],
    ];

    test("every list command's -q prints exactly the ids of its JSON rows, in order", () => {
      for (const [cmd, id] of lists) {
        const rows = json<Record<string, unknown>[]>(crifs([...flags(), ...cmd, "-o", "json"]));
        const q = crifs([...flags(), ...cmd, "-q"]);
        assert.equal(q.status, 0, q.stderr);
        assert.equal(q.stdout, rows.map((r) => `${id(r)}\n`).join(""), cmd.join(" "));
        // the main bed has no pods (the CRI bed of logs.suite.ts does): ps and pods may be empty here
        if (cmd[0] !== "pods" && cmd[0] !== "ps")
          assert.ok(rows.length > 0, `${cmd.join(" ")} lists something on the bed`);
      }
    });

    test("--no-headers is the table without its first line", () => {
      for (const [cmd] of lists) {
        const table = crifs([...flags(), ...cmd]);
        const bare = crifs([...flags(), ...cmd, "--no-headers"]);
        assert.equal(bare.status, 0, bare.stderr);
        assert.equal(bare.stdout, table.stdout.slice(table.stdout.indexOf("\n") + 1), cmd.join(" "));
      }
    });

    test("--name, --label and --pod keep just the matching containers; CONTAINERD_NAMESPACE stands for -n", () => {
      const b = getBed();
      const ids = (args: string[], env: Record<string, string> = {}) => {
        const r = crifsEnv([...flags(), "containers", "-q", ...args], env);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.split("\n").filter((l) => l !== "");
      };
      const all = json<{ id: string; namespace: string; labels: Record<string, string> }[]>(
        crifs([...flags(), "containers", "-o", "json"]),
      );
      const k8s = all.find((c) => c.id === b.facts.containers.k8sRunning);
      assert.ok(k8s !== undefined);
      // a label the bed set, as key=value and as key alone
      const [key, value] = Object.entries(k8s.labels)[0] ?? ["", ""];
      assert.notEqual(key, "");
      const withLabel = all.filter((c) => c.labels[key] === value).map((c) => c.id);
      assert.deepEqual(ids(["--label", `${key}=${value}`]), withLabel);
      assert.deepEqual(
        ids(["--label", key]),
        all.filter((c) => key in c.labels).map((c) => c.id),
      );
      assert.deepEqual(ids(["--label", `${key}=${value}`, "--label", "crifs-no-such-label"]), []);
      assert.deepEqual(ids(["--name", "^no such name$"]), []);
      // the namespace from ctr's variable; -n wins over it
      const k8sIds = all.filter((c) => c.namespace === "k8s.io").map((c) => c.id);
      assert.deepEqual(ids([], { CONTAINERD_NAMESPACE: "k8s.io" }), k8sIds);
      assert.deepEqual(
        ids(["-n", "default"], { CONTAINERD_NAMESPACE: "k8s.io" }),
        all.filter((c) => c.namespace === "default").map((c) => c.id),
      );
      // an unusable filter is one line and the usage status
      const bad = crifs([...flags(), "ps", "--name", "("]);
      assert.equal(bad.status, 64);
      assert.match(
        bad.stderr,
        /^crifs: cannot use name filter "\(": not a regular expression \(hint: .*\)\n$/,
      );
    });

    test("doctor --list-checks names each check with its summary and runtimes, without a store", () => {
      const rows = json<{ id: string; summary: string; runtimes: string[] }[]>(
        crifs(["doctor", "--list-checks", "-o", "json"]),
      );
      assert.equal(contractErrors("doctorChecks", rows), null);
      assert.ok(rows.some((r) => r.id === "orphan-snapshot-dir" && r.runtimes.join() === "containerd"));
      for (const r of rows) assert.ok(r.summary.length > 10 && r.runtimes.length > 0, r.id);
    });
  });

  describe("progress under tmux: du's line updates on a terminal and leaves nothing; piped, no line at all", () => {
    let dir = "";
    let root = "";
    before(() => {
      // a store of its own: the bundled sample (a real containerd root), one of its layers given 150,000
      // empty files so that the walk lasts long enough to be seen redrawn
      dir = mkdtempSync(join(tmpdir(), "crifs-sight-store-"));
      execFileSync("tar", ["-xzf", join(REPO, "sample", "containerd-root.tar.gz"), "-C", dir]);
      root = join(dir, "root");
      const snapshots = join(root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
      const layer = readdirSync(snapshots).sort()[0] ?? "";
      const bulk = join(snapshots, layer, "fs", "bulk");
      execFileSync("sh", [
        "-c",
        `mkdir -p "$1" && cd "$1" && for d in $(seq 150); do mkdir $d && (cd $d && touch $(seq 1000)); done`,
        "sh",
        bulk,
      ]);
    });
    after(() => {
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    });
    const duArgs = () => ["--runtime", "containerd", "--root", root, "du", "--no-cache"];

    test("on a terminal the line is redrawn as the walk goes, and cleared at the end", async () => {
      const binDir = mkdtempSync(join(tmpdir(), "crifs-sight-bin-"));
      symlinkSync(CRIFS, join(binDir, "crifs"));
      // du runs in a cgroup held to 10 % of a CPU: a fast machine walks the 150,000 files between two redraws
      // (100 ms apart), which would show the line once however right it is (seen on a fresh CI machine)
      const slow = slowCgroup();
      const sh = new TmuxShell(["bash", "--norc", "--noprofile"], binDir);
      try {
        sh.keys(
          `(echo $BASHPID > ${slow.procs} && exec crifs ${duArgs().join(" ")} > ${join(dir, "tty.out")}); echo END-$((6*7))`,
          "Enter",
        );
        const seen = new Set<string>();
        let screen = "";
        for (let t = 0; t < 60_000 && !screen.includes("END-42"); t += 30) {
          screen = sh.screen();
          for (const l of screen.split("\n")) if (/^du .*entries\/s/.test(l)) seen.add(l.trimEnd());
          await sleep(30);
        }
        assert.ok(screen.includes("END-42"), `du did not end; the screen was:\n${screen}`);
        assert.ok(seen.size >= 2, `the line was drawn ${seen.size} time(s): ${[...seen].join(" | ")}`);
        // no residue: nothing of the line stays on the screen
        assert.ok(!/entries\/s/.test(screen), `the line was left on the screen:\n${screen}`);
        assert.match(readFileSync(join(dir, "tty.out"), "utf8"), /^# .*allocated/);
      } finally {
        sh.close();
        try {
          slow.remove();
        } catch {
          // still busy (the test failed with du running): the kernel keeps an empty group, harmless
        }
        rmSync(binDir, { recursive: true, force: true });
      }
    });

    test("piped, stdout and stderr are byte-identical with and without --no-progress", () => {
      const a = crifs(duArgs());
      const b = crifs([...duArgs(), "--no-progress"]);
      assert.equal(a.status, 0, a.stderr);
      assert.equal(a.stdout, b.stdout);
      assert.equal(a.stderr, b.stderr);
      assert.equal(a.stderr, "");
    });
  });

  linksStreamTests(getBed);

  describe("shell completion under tmux: a real bash and a real zsh complete a container id of the bed", () => {
    let binDir = "";
    before(() => {
      binDir = mkdtempSync(join(tmpdir(), "crifs-sight-bin-"));
      symlinkSync(CRIFS, join(binDir, "crifs"));
    });
    after(() => {
      rmSync(binDir, { recursive: true, force: true });
    });

    const shells: [string, string[], string][] = [
      ["bash", ["bash", "--norc", "--noprofile"], "source <(crifs completion bash)"],
      ["zsh", ["zsh", "-f"], "autoload -U compinit && compinit -u && source <(crifs completion zsh)"],
    ];
    for (const [name, argv, load] of shells) {
      test(`${name} loads the script and completes "crifs inspect <first chars>" to the full id`, async () => {
        const id = getBed().facts.containers.running;
        const typed = id.slice(0, "crifs-run-".length + 4);
        const sh = new TmuxShell(argv, binDir);
        try {
          sh.keys(`${load}; echo loaded-$((6*7))`, "Enter");
          await sh.until("the script to load", (s) => s.includes("loaded-42"));
          sh.keys(`crifs ${bedFlags(getBed()).join(" ")} inspect ${typed}`, "Tab");
          await sh.until("the completed id", (s) => s.includes(`inspect ${id}`));
          // a subcommand and a choice come from the definitions alone
          sh.keys("C-u", "crifs snapshots tr", "Tab");
          await sh.until("snapshots tree", (s) => s.includes("crifs snapshots tree"));
        } finally {
          sh.close();
        }
      });
    }
  });
}

/**
 * A cgroup that holds its processes to 10 % of one CPU (cgroup v2's cpu.max, or v1's cpu controller), and
 * the file to write a pid into to put it there. Throws (the test fails, loudly) where neither exists.
 */
function slowCgroup(): { procs: string; remove: () => void } {
  const name = `crifs-sight-${process.pid}`;
  const v2 = "/sys/fs/cgroup";
  if (existsSync(join(v2, "cgroup.controllers"))) {
    if (!readFileSync(join(v2, "cgroup.subtree_control"), "utf8").includes("cpu"))
      writeFileSync(join(v2, "cgroup.subtree_control"), "+cpu");
    const g = join(v2, name);
    mkdirSync(g);
    writeFileSync(join(g, "cpu.max"), "10000 100000");
    return { procs: join(g, "cgroup.procs"), remove: () => rmdirSync(g) };
  }
  const v1 = ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"].find((d) =>
    existsSync(join(d, "cpu.cfs_quota_us")),
  );
  if (v1 === undefined) throw new Error("no cgroup cpu controller (v2 cpu.max or v1 cpu) to slow du down");
  const g = join(v1, name);
  mkdirSync(g);
  writeFileSync(join(g, "cpu.cfs_period_us"), "100000");
  writeFileSync(join(g, "cpu.cfs_quota_us"), "10000");
  return { procs: join(g, "tasks"), remove: () => rmdirSync(g) };
}
