// test/integration/relocate-containerd.ts — `crifs relocate` of a real containerd root to a loop-mounted ext4:
// a second small containerd of the bed's binaries on a root of its own (so the main bed is untouched; the CRI
// plugin off: it keeps images, snapshots and containers), loaded with the bed's image and one created
// container. The refusal while it answers, one happy path per method, and a SIGKILL at every step boundary
// taken up by --rollback (a run per boundary, containerd stopped through all of them: each rollback's root is
// checked by its manifest at once, containerd started once at the end) and by --resume (one run killed at
// each boundary in turn). Afterwards containerd starts, lists every image, container and snapshot as before
// and runs a container from a relocated image; the moved tree's manifest equals the old.

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, lstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { compareManifests } from "../../src/copy/manifest.js";
import type { Bed } from "../bed/bed.js";
import { crifs, isOneLineError } from "./cli.js";
import {
  assertRootBack,
  isMountPoint,
  killEachThenResume,
  killEachThenRollback,
  makeLoopFs,
  ok,
  storeManifest,
  umountAll,
} from "./relocate-steps.js";

export function relocateContainerdSuite(getBed: () => Bed) {
  describe("relocate (issue 18) moves a containerd root to another filesystem", () => {
    let work = "";
    let mnt = "";
    let proc: ChildProcess | undefined;
    let before0: { images: string[]; containers: string[]; snapshots: string[] } | undefined;
    const root = () => join(work, "root");
    const sock = () => join(work, "containerd.sock");
    const cfg = () => join(work, "config.toml");
    const fstab = () => join(work, "fstab");
    const flags = () => ["--runtime", "containerd", "--root", root(), "--config", cfg()];
    const rl = (...args: string[]) => [...flags(), "relocate", ...args, "--fstab", fstab()];
    const ctr = (args: readonly string[]) =>
      execFileSync(join(getBed().binDir, "ctr"), ["-a", sock(), "-n", "default", ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    const listing = () => ({
      images: ctr(["images", "ls", "-q"]).split("\n").sort(),
      containers: ctr(["containers", "ls", "-q"]).split("\n").sort(),
      snapshots: ctr(["snapshots", "ls"]).split("\n").sort(),
    });
    /** containerd lists what it did before and runs a container from bb:small (removed after: --rm). */
    const assertContainerd = (why: string) => {
      assert.deepEqual(listing(), before0, `${why}: containerd lists every image, container and snapshot`);
      assert.equal(
        ctr(["run", "--rm", "docker.io/library/bb:small", `rl-run-${why}`, "/bin/echo", why]).trim(),
        why,
      );
    };
    const start = async () => {
      const log = openSync(join(work, "containerd.log"), "a");
      proc = spawn(join(getBed().binDir, "containerd"), ["--config", cfg()], { stdio: ["ignore", log, log] });
      closeSync(log);
      for (let i = 0; i < 200; i++) {
        try {
          ctr(["version"]);
          return;
        } catch {
          await sleep(100);
        }
      }
      throw new Error(`containerd did not answer on ${sock()}: see ${work}/containerd.log`);
    };
    const stop = async () => {
      const p = proc;
      if (p === undefined || p.exitCode !== null) return;
      const gone = new Promise((done) => p.once("exit", done));
      p.kill("SIGTERM");
      await gone;
    };

    before(async () => {
      work = mkdtempSync("/var/tmp/crifs-rlc.");
      writeFileSync(
        cfg(),
        `version = 2\nroot = "${root()}"\nstate = "${join(work, "state")}"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n\n[grpc]\n  address = "${sock()}"\n\n[plugins."io.containerd.internal.v1.opt"]\n  path = "${join(work, "opt")}"\n`,
      );
      await start();
      ctr(["images", "import", "--base-name", "docker.io/library/bb", getBed().ociArchive]);
      ctr(["containers", "create", "docker.io/library/bb:small", "rl-created", "/bin/sh"]);
      mnt = makeLoopFs(work, 512);
    });
    after(async () => {
      if (work === "") return;
      await stop();
      umountAll([root(), mnt]);
      rmSync(work, { recursive: true, force: true });
    });

    test("relocate refuses while containerd answers on its socket and names systemctl stop containerd", () => {
      const r = crifs(rl(join(mnt, "refused"), "--apply"));
      assert.equal(r.status, 75, r.stderr);
      assert.ok(isOneLineError(r) && r.stderr.includes("systemctl stop containerd"), r.stderr);
      before0 = listing();
    });

    for (const method of ["bind", "symlink"] as const) {
      test(`--method ${method}: containerd starts, lists every image, container and snapshot as before, runs a relocated image, the manifest is equal; --rollback leaves the old root intact`, async () => {
        await stop();
        const newDir = join(mnt, `containerd-${method}`);
        const oldManifest = storeManifest(root());
        const r = crifs(["-o", "json", ...rl(newDir, "--method", method, "--apply")]);
        ok(r, "relocate --apply");
        const res = JSON.parse(r.stdout) as { state: string };
        assert.equal(res.state, "finished");
        assert.deepEqual(compareManifests(oldManifest, storeManifest(newDir), 5), []);
        if (method === "bind") assert.ok(isMountPoint(root()), "the root is a bind mount");
        else assert.ok(lstatSync(root()).isSymbolicLink(), "the root is a symlink");
        await start();
        assertContainerd(method);
        await stop();
        ok(crifs(rl("--rollback")), "relocate --rollback");
        assertRootBack(root(), fstab(), `rollback of ${method}`, oldManifest);
        // equal to the manifest containerd started from; it starts on this old root again after the rollback test
        rmSync(newDir, { recursive: true, force: true });
      });
    }

    test("a SIGKILL at every step boundary, then --rollback, leaves the old root intact each time; containerd then starts with everything", async () => {
      await stop();
      const oldManifest = storeManifest(root());
      killEachThenRollback(rl, mnt, "containerd-fault", (point) =>
        assertRootBack(root(), fstab(), `--rollback after a kill at ${point}`, oldManifest),
      );
      await start();
      assertContainerd("rolled-back");
    });

    test("a SIGKILL at every step boundary, then --resume, finishes the move: the manifest is equal, containerd has everything", async () => {
      await stop();
      const newDir = join(mnt, "containerd-resume");
      const oldManifest = storeManifest(root());
      killEachThenResume(rl, newDir);
      assert.ok(isMountPoint(root()), "the root is bind-mounted");
      assert.deepEqual(compareManifests(oldManifest, storeManifest(newDir), 5), []);
      await start();
      assertContainerd("resumed");
      // last: the store stays relocated; after() stops containerd and unmounts the root
    });
  });
}
