// test/integration/relocate.suite.ts — `crifs relocate` moves real stores to a filesystem the suite makes
// (a loop-mounted ext4: truncate + mkfs + mount -o loop, unmounted and removed after), and the runtime then
// starts with everything it had. Issue 18 asks, for every runtime and each method, that the daemon starts,
// lists every image and container as before, runs a container from a relocated image and the manifest is
// equal, and that a SIGKILL at every step boundary, then --resume or --rollback, leaves a runtime that starts
// with everything. Each runtime has its own bed and file:
//   podman (here; test/bed/podman.ts): the refusal while a container runs, bind and symlink happy paths, the
//     kills taken up by --resume and by --rollback, the same-filesystem rename, and the quarantined old root
//     purged by `crifs repair --purge`
//   Docker (relocate-docker.ts; its own dockerd bed): the refusal while dockerd runs, bind and symlink, the
//     kills taken up by --rollback and by --resume
//   containerd (relocate-containerd.ts; a second small containerd of the bed's binaries on a root of its own,
//     so the main bed is untouched): the same as Docker
// The fault drivers and checks they share are in relocate-steps.ts. Each runtime's last test leaves its store
// relocated (the bed's teardown unmounts it); every other test puts the store back at its old root first.

import assert from "node:assert/strict";
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { compareManifests } from "../../src/copy/manifest.js";
import type { Bed } from "../bed/bed.js";
import { type PodmanBed, podmanFlags, startPodmanBed } from "../bed/podman.js";
import { contractErrors, crifs, isOneLineError } from "./cli.js";
import { relocateContainerdSuite } from "./relocate-containerd.js";
import { relocateDockerSuite } from "./relocate-docker.js";
import {
  assertRootBack,
  isMountPoint,
  killEachThenResume,
  killEachThenRollback,
  makeLoopFs,
  ok,
  STEPS,
  storeManifest,
  umountAll,
} from "./relocate-steps.js";

export function relocateSuite(getBed: () => Bed) {
  describe("relocate (issue 18) moves a podman graphroot to another filesystem", () => {
    let pb: PodmanBed | undefined;
    let mnt = "";
    const bed = (): PodmanBed => {
      if (pb === undefined) throw new Error("the podman bed is not running (did before() fail?)");
      return pb;
    };
    const fstab = () => join(bed().work, "fstab");
    const rl = (...args: string[]) => [...podmanFlags(bed()), "relocate", ...args, "--fstab", fstab()];
    const U = ["--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];
    /** What podman lists: every image and container (ids, names, state), sorted. */
    const listing = () => ({
      images: bed().pm(["images", "-a", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"]).split("\n").sort(),
      // JSON: the table's STATUS says "Exited (0) 4 seconds ago", which changes by itself
      containers: (
        JSON.parse(bed().pm(["ps", "-a", "--format", "json"])) as {
          Id: string;
          Image: string;
          Names: string[];
          State: string;
          ExitCode: number;
        }[]
      )
        .map((c) => `${c.Id} ${c.Image} ${c.Names.join(",")} ${c.State} ${c.ExitCode}`)
        .sort(),
    });
    let before0: ReturnType<typeof listing> | undefined;

    /** The store is back at its old root: a real dir, nothing mounted on it, no fstab line, podman as before. */
    const assertBack = (why: string, old?: ReturnType<typeof storeManifest>) => {
      assertRootBack(bed().root, fstab(), why, old);
      assert.deepEqual(listing(), before0, `${why}: podman lists what it listed before`);
    };

    before(async () => {
      const t0 = Date.now();
      pb = await startPodmanBed(getBed().ociArchive);
      mnt = makeLoopFs(pb.work, 768);
      console.log(`relocate: podman bed ${pb.work} and its ext4 up in ${Date.now() - t0} ms`);
    });
    after(async () => {
      if (pb === undefined) return;
      umountAll([pb.root, mnt]);
      await pb.teardown();
    });

    test("relocate refuses while a container runs and names podman stop -a; the plan JSON is docs/json.md's", () => {
      const plan = crifs(["-o", "json", ...rl(join(mnt, "refused"))]);
      assert.equal(plan.status, 1, plan.stderr);
      const p = JSON.parse(plan.stdout) as {
        problems: string[];
        steps: string[];
        target: { fsType: string };
      };
      assert.equal(contractErrors("relocatePlan", p), null);
      assert.equal(p.target.fsType, "ext4");
      assert.deepEqual(p.steps, [...STEPS]);
      assert.ok(
        p.problems.some((x) => x.includes("podman stop -a")),
        p.problems.join("\n"),
      );
      const r = crifs(rl(join(mnt, "refused"), "--apply"));
      assert.equal(r.status, 75, r.stderr);
      assert.ok(isOneLineError(r) && r.stderr.includes("podman stop -a"), r.stderr);
      assert.ok(!existsSync(join(mnt, "refused")), "nothing was written to the target");
      bed().pm(["stop", "-a", "-t", "1"]);
      before0 = listing();
    });

    for (const method of ["bind", "symlink"] as const) {
      test(`--method ${method}: podman lists every image and container as before, runs a relocated image, the manifest is equal; --rollback puts the old root back`, () => {
        const newDir = join(mnt, `happy-${method}`);
        const oldManifest = storeManifest(bed().root);
        const r = crifs(["-o", "json", ...rl(newDir, "--method", method, "--apply")]);
        ok(r, "relocate --apply");
        const res = JSON.parse(r.stdout) as { state: string; plan: { quarantineItem: string } };
        assert.equal(res.state, "finished");
        // the manifest before podman touches the store again: the old tree (now quarantined) against the new
        assert.deepEqual(
          compareManifests(storeManifest(res.plan.quarantineItem), storeManifest(newDir), 5),
          [],
        );
        assert.deepEqual(compareManifests(oldManifest, storeManifest(newDir), 5), []);
        if (method === "bind") {
          assert.ok(isMountPoint(bed().root), "the root is a bind mount");
          assert.match(
            readFileSync(fstab(), "utf8"),
            new RegExp(`^${newDir} ${bed().root} none bind 0 0 # crifs`, "m"),
          );
        } else {
          assert.equal(readlinkSync(bed().root), newDir);
          assert.equal(lstatSync(bed().root).uid, 0);
        }
        assert.deepEqual(listing(), before0);
        assert.equal(
          bed()
            .pm(["run", "--rm", ...U, "localhost/bb:small", "/bin/echo", "relocated"])
            .trim(),
          "relocated",
        );
        const back = crifs(rl("--rollback"));
        ok(back, "relocate --rollback");
        assertBack(`rollback of ${method}`, oldManifest);
        rmSync(newDir, { recursive: true, force: true }); // the copy a rollback leaves
      });
    }

    test("a SIGKILL at every step boundary, then --resume, finishes the move: the manifest is equal, podman has everything", () => {
      const newDir = join(mnt, "fault-resume");
      const oldManifest = storeManifest(bed().root);
      killEachThenResume(rl, newDir);
      assert.ok(isMountPoint(bed().root), "the root is bind-mounted");
      assert.deepEqual(compareManifests(oldManifest, storeManifest(newDir), 5), []);
      assert.deepEqual(listing(), before0, "podman lists what it did");
      assert.equal(
        bed()
          .pm(["run", "--rm", ...U, "localhost/bb:small", "/bin/echo", "resumed"])
          .trim(),
        "resumed",
      );
      ok(crifs(rl("--rollback")), "rollback of the resumed run");
      assertBack("rollback after the resumes", oldManifest);
      rmSync(newDir, { recursive: true, force: true });
    });

    test("a SIGKILL at every step boundary, then --rollback, leaves the old root intact each time; podman then has everything", () => {
      // the manifest after each rollback, podman only at the end: its listing rewrites its lock files in the store
      const oldManifest = storeManifest(bed().root);
      killEachThenRollback(rl, mnt, "fault", (point) =>
        assertRootBack(bed().root, fstab(), `--rollback after a kill at ${point}`, oldManifest),
      );
      assert.deepEqual(listing(), before0, "podman lists what it did");
      assert.equal(
        bed()
          .pm(["run", "--rm", ...U, "localhost/bb:small", "/bin/echo", "rolled-back"])
          .trim(),
        "rolled-back",
      );
    });

    test("same filesystem: the root is renamed to NEWDIR (no copy), bind-switched, and --rollback renames it back", () => {
      const newDir = join(bed().work, "moved");
      const ino = lstatSync(bed().root).ino;
      const r = crifs(["-o", "json", ...rl(newDir, "--apply")]);
      ok(r, "relocate --apply");
      const res = JSON.parse(r.stdout) as { steps: string[] };
      assert.deepEqual(res.steps, ["rename", "switch", "persist"]);
      assert.equal(lstatSync(newDir).ino, ino, "the same inode: renamed, not copied");
      assert.ok(isMountPoint(bed().root));
      assert.deepEqual(listing(), before0);
      ok(crifs(rl("--rollback")), "relocate --rollback");
      assertBack("rollback of a rename");
      assert.equal(lstatSync(bed().root).ino, ino);
    });

    test("crifs repair --purge deletes the old root relocate quarantined (last: the store stays relocated)", () => {
      const newDir = join(mnt, "purged");
      const r = crifs(["-o", "json", ...rl(newDir, "--apply")]);
      ok(r, "relocate --apply");
      const item = (JSON.parse(r.stdout) as { plan: { quarantineItem: string } }).plan.quarantineItem;
      assert.ok(existsSync(item));
      const list = crifs(["-o", "json", ...podmanFlags(bed()), "repair", "--list"]);
      ok(list, "repair --list");
      const runs = (JSON.parse(list.stdout) as { runs: { state: string; items: number }[] }).runs;
      assert.deepEqual(
        runs.map((x) => [x.state, x.items]),
        [["done", 1]],
      );
      ok(crifs([...podmanFlags(bed()), "repair", "--purge"]), "repair --purge");
      assert.ok(!existsSync(item), "the old root is deleted");
      const back = crifs(rl("--rollback"));
      assert.equal(back.status, 66, `nothing to roll back to: ${back.stderr}`);
      assert.ok(isOneLineError(back) && isMountPoint(bed().root), back.stderr);
      assert.deepEqual(listing(), before0);
    });
  });

  relocateDockerSuite(getBed);
  relocateContainerdSuite(getBed);
}
