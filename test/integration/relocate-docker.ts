// test/integration/relocate-docker.ts — `crifs relocate` of a real Docker data-root (its own dockerd bed,
// test/bed/docker-bed.ts) to a loop-mounted ext4: the refusal while dockerd runs, one happy path per method,
// and a SIGKILL at every step boundary taken up by --rollback (a run per boundary, dockerd stopped through all
// of them: each rollback's root is checked by its manifest at once, dockerd started once at the end) and by
// --resume (one run killed at each boundary in turn). Afterwards dockerd starts, lists every image and
// container as before and runs a container from a relocated image; the moved tree's manifest equals the old.

import assert from "node:assert/strict";
import { lstatSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { compareManifests } from "../../src/copy/manifest.js";
import type { Bed } from "../bed/bed.js";
import { type DockerBed, dockerBedUnavailable, startDockerBed } from "../bed/docker-bed.js";
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

export function relocateDockerSuite(getBed: () => Bed) {
  describe("relocate (issue 18) moves a Docker data-root to another filesystem", {
    skip: dockerBedUnavailable() ?? false,
  }, () => {
    let db: DockerBed | undefined;
    let mnt = "";
    let before0: { images: string[]; containers: string[] } | undefined;
    const bed = (): DockerBed => {
      if (db === undefined) throw new Error("the docker bed is not running (did before() fail?)");
      return db;
    };
    const flags = () => ["--runtime", "docker", "--root", bed().root];
    const fstab = () => join(bed().work, "fstab");
    const rl = (...args: string[]) => [...flags(), "relocate", ...args, "--fstab", fstab()];
    const listing = () => ({
      images: bed()
        .docker(["images", "-a", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"])
        .split("\n")
        .sort(),
      containers: bed()
        .docker(["ps", "-a", "--format", "{{.ID}} {{.Image}} {{.Names}} {{.State}}"])
        .split("\n")
        .sort(),
    });
    /** dockerd lists what it did before and runs a container from bb:small (its layers are in the store). */
    const assertDockerd = (why: string) => {
      assert.deepEqual(listing(), before0, `${why}: dockerd lists every image and container as before`);
      assert.equal(
        bed().docker(["run", "--rm", "--network", "none", bed().facts.images.small, "/bin/echo", why]).trim(),
        why,
      );
    };

    before(async () => {
      const t0 = Date.now();
      db = await startDockerBed(getBed().ociArchive);
      mnt = makeLoopFs(db.work, 512);
      db.docker(["stop", "-t", "1", db.facts.containers.running]);
      before0 = listing();
      console.log(`relocate: docker bed ${db.work} and its ext4 up in ${Date.now() - t0} ms`);
    });
    after(async () => {
      if (db === undefined) return;
      if (!db.isDockerdRunning()) await db.startDockerd();
      await db.teardown().finally(() => umountAll([db?.root ?? "", mnt]));
    });

    test("relocate refuses while dockerd answers for this data-root and names systemctl stop docker docker.socket", () => {
      const refused = crifs([
        ...rl(join(mnt, "refused"), "--apply"),
        "--docker-host",
        `unix://${bed().socket}`,
      ]);
      assert.equal(refused.status, 75, `dockerd runs: ${refused.stderr}`);
      assert.ok(
        isOneLineError(refused) && refused.stderr.includes("systemctl stop docker docker.socket"),
        refused.stderr,
      );
    });

    test("the plan names the exec-root dockerd runs with (--exec-root on its command line, daemon.json silent), not /var/run/docker", () => {
      const r = crifs(rl(join(mnt, "plan-only")));
      assert.equal(r.status, 1, `the plan, with dockerd running as its problem: ${r.stderr}`);
      assert.match(r.stdout, /dockerd/);
      assert.ok(r.stdout.includes(`${bed().execRoot}: the state dir`), r.stdout);
      assert.ok(!r.stdout.includes("/var/run/docker:"), r.stdout);
    });

    for (const method of ["bind", "symlink"] as const) {
      test(`--method ${method}: dockerd starts, lists every image and container as before, runs a relocated image, the manifest is equal; --rollback leaves the old root intact`, async () => {
        const newDir = join(mnt, `docker-${method}`);
        await bed().stopDockerd();
        const oldManifest = storeManifest(bed().root);
        const r = crifs(["-o", "json", ...rl(newDir, "--method", method, "--apply")]);
        ok(r, "relocate --apply");
        const res = JSON.parse(r.stdout) as { state: string };
        assert.equal(res.state, "finished");
        assert.deepEqual(compareManifests(oldManifest, storeManifest(newDir), 5), []);
        if (method === "bind") assert.ok(isMountPoint(bed().root), "the root is a bind mount");
        else assert.ok(lstatSync(bed().root).isSymbolicLink(), "the root is a symlink");
        await bed().startDockerd();
        assertDockerd(`relocated-${method}`);
        await bed().stopDockerd();
        ok(crifs(rl("--rollback")), "relocate --rollback");
        // checked with dockerd stopped: while it runs, dockerd binds its data-root on itself
        assertRootBack(bed().root, fstab(), `rollback of ${method}`, oldManifest);
        // equal to the manifest dockerd started from; it starts on this old root again after the rollback test
        rmSync(newDir, { recursive: true, force: true });
      });
    }

    test("a SIGKILL at every step boundary, then --rollback, leaves the old root intact each time; dockerd then starts with everything", async () => {
      await bed().stopDockerd();
      const oldManifest = storeManifest(bed().root);
      killEachThenRollback(rl, mnt, "docker-fault", (point) =>
        assertRootBack(bed().root, fstab(), `--rollback after a kill at ${point}`, oldManifest),
      );
      await bed().startDockerd();
      assertDockerd("rolled-back");
    });

    test("a SIGKILL at every step boundary, then --resume, finishes the move: the manifest is equal, dockerd has everything", async () => {
      await bed().stopDockerd();
      const newDir = join(mnt, "docker-resume");
      const oldManifest = storeManifest(bed().root);
      killEachThenResume(rl, newDir);
      assert.ok(isMountPoint(bed().root), "the root is bind-mounted");
      assert.deepEqual(compareManifests(oldManifest, storeManifest(newDir), 5), []);
      await bed().startDockerd();
      assertDockerd("resumed");
      // last: the store stays relocated; after() starts dockerd on it for the bed's teardown, which unmounts
    });
  });
}
