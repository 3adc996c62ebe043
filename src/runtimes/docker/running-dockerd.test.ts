import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { dockerdDirs, flagValue, runningExecRoot } from "./running-dockerd.js";

describe("flagValue and dockerdDirs read dockerd's command line", () => {
  test("both spellings, the last one winning, an empty value as none", () => {
    assert.equal(flagValue(["--exec-root", "/a", "--exec-root=/b"], ["--exec-root"]), "/b");
    assert.equal(flagValue(["--exec-root="], ["--exec-root"]), undefined);
    assert.equal(flagValue(["--exec-root"], ["--exec-root"]), undefined);
    assert.equal(flagValue(["-g", "/old"], ["--data-root", "--graph", "-g"]), "/old");
  });
  test("flags win over the config file, which wins over dockerd's default data-root", () => {
    const none = () => null;
    assert.deepEqual(dockerdDirs(["--data-root=/d", "--exec-root=/e"], none), {
      dataRoot: "/d",
      execRoot: "/e",
    });
    assert.deepEqual(dockerdDirs([], none), { dataRoot: "/var/lib/docker", execRoot: undefined });
    const asked: string[] = [];
    const file = (p: string) => {
      asked.push(p);
      return { "data-root": "/fd", "exec-root": "/fe" };
    };
    assert.deepEqual(dockerdDirs(["--config-file", "/c.json"], file), { dataRoot: "/fd", execRoot: "/fe" });
    assert.deepEqual(asked, ["/c.json"]);
    assert.deepEqual(dockerdDirs(["--exec-root", "/e"], file), { dataRoot: "/fd", execRoot: "/e" });
  });
});

describe("runningExecRoot finds a running process called dockerd by its data-root", () => {
  let dir = "";
  const procs: ChildProcess[] = [];
  const asRoot = process.getuid?.() === 0;
  const start = (args: string[], uid?: number) => {
    const p = spawn(join(dir, "dockerd"), args, {
      stdio: "ignore",
      detached: true,
      ...(uid === undefined ? {} : { uid, gid: uid }),
    });
    procs.push(p);
    return p;
  };
  const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "crifs-dockerd-"));
    chmodSync(dir, 0o755); // nobody runs the script too
    // a script named dockerd: the kernel names the process after it (comm), as for dockerd itself
    writeFileSync(join(dir, "dockerd"), "#!/bin/sh\nsleep 60\nexit 0\n");
    chmodSync(join(dir, "dockerd"), 0o755);
    for (const d of ["root-a", "root-b", "root-c"]) mkdirSync(join(dir, d));
    writeFileSync(join(dir, "c.json"), JSON.stringify({ "exec-root": join(dir, "exec-c") }));
    const a = start(["--data-root", join(dir, "root-a"), `--exec-root=${join(dir, "exec-a")}`]);
    const c = start(["--data-root", join(dir, "root-c"), "--config-file", join(dir, "c.json")]);
    // as root: a dockerd of another user names root-b; anyone can call a process dockerd, so it is not believed
    const b = asRoot
      ? [start(["--data-root", join(dir, "root-b"), "--exec-root", join(dir, "exec-b")], 65534)]
      : [];
    // spawn returns before the child's execve: wait until both carry the script's name
    for (const p of [a, c, ...b])
      for (let i = 0; i < 200; i++) {
        try {
          if (comm(p.pid ?? 0) === "dockerd") break;
        } catch {}
        await new Promise((r) => setTimeout(r, 10));
      }
  });
  after(() => {
    for (const p of procs) if (p.pid !== undefined) process.kill(-p.pid, "SIGKILL"); // the script and its sleep
    rmSync(dir, { recursive: true, force: true });
  });
  test("the exec-root of the one whose data-root is the store's; none for a store no dockerd of root's serves", () => {
    assert.equal(runningExecRoot(join(dir, "root-a"), undefined), join(dir, "exec-a"));
    assert.equal(runningExecRoot(join(dir, "root-c"), undefined), join(dir, "exec-c"));
    assert.equal(runningExecRoot(join(dir, "root-b"), undefined), undefined);
  });
});
