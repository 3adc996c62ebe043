// test/integration/hostroot.suite.ts — one host with all three runtimes: crifs with no store flags finds and
// checks every one. The host is a dir standing for / (--host-root): its etc/ holds each runtime's config, and
// the paths those configs name lead (by absolute symlinks) to the real stores of the three beds, which all
// run at once here.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { type DockerBed, startDockerBed } from "../bed/docker-bed.js";
import { type PodmanBed, startPodmanBed } from "../bed/podman.js";
import { crifs } from "./cli.js";

interface Finding {
  check: string;
  path: string;
  subject: string;
}

export function hostRootSuite(getBed: () => Bed) {
  describe("a host with containerd, podman and docker", () => {
    let pb: PodmanBed | undefined;
    let db: DockerBed | undefined;
    let host = "";

    before(async () => {
      const bed = getBed();
      [pb, db] = await Promise.all([startPodmanBed(bed.ociArchive), startDockerBed(bed.ociArchive)]);
      await db.stopDockerd();
      await bed.stopContainerd();
      host = mkdtempSync("/var/tmp/crifs-host-");
      const link = (name: string, target: string) => symlinkSync(target, join(host, name));
      mkdirSync(join(host, "etc", "containerd"), { recursive: true });
      mkdirSync(join(host, "etc", "containers"), { recursive: true });
      mkdirSync(join(host, "etc", "docker"), { recursive: true });
      writeFileSync(
        join(host, "etc/containerd/config.toml"),
        'version = 2\nroot = "/ctd-root"\nstate = "/ctd-state"\n',
      );
      writeFileSync(
        join(host, "etc/containers/storage.conf"),
        '[storage]\ndriver = "overlay"\ngraphroot = "/pm-root"\nrunroot = "/pm-run"\n',
      );
      writeFileSync(
        join(host, "etc/docker/daemon.json"),
        '{"data-root": "/dk-root", "exec-root": "/dk-exec"}\n',
      );
      link("ctd-root", bed.root);
      link("ctd-state", bed.state);
      link("pm-root", pb.root);
      link("pm-run", pb.runroot);
      link("dk-root", db.root);
      link("dk-exec", db.execRoot);
    });
    after(async () => {
      if (host !== "") rmSync(host, { recursive: true, force: true });
      await Promise.all([pb?.teardown(), db?.teardown()]);
    });

    test("info with no store flags lists all three runtimes, each with its root", () => {
      const r = crifs(["--host-root", host, "info", "-o", "json"]);
      assert.equal(r.status, 0, r.stderr);
      const stores = JSON.parse(r.stdout) as { runtime: string; root: string }[];
      assert.deepEqual(stores.map((s) => `${s.runtime} ${s.root}`).sort(), [
        `containerd ${host}/ctd-root`,
        `docker ${host}/dk-root`,
        `podman ${host}/pm-root`,
      ]);
    });

    test("doctor with no store flags checks all three: each store's planted host-only link is found", () => {
      const r = crifs(["--host-root", host, "doctor", "-o", "json"]);
      assert.ok(r.status === 1, `exit ${r.status}: ${r.stderr}`);
      const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
      for (const runtime of ["ctd-root", "pm-root", "dk-root"]) {
        const here = findings.filter((f) => f.path.startsWith(`${host}/${runtime}/`));
        assert.ok(here.length > 0, `no finding under ${runtime}: doctor did not check that store`);
        assert.ok(
          here.every((f) => f.check === "broken-symlink" && f.subject.endsWith(": /data/host-only-link")),
          `unexpected findings in a healthy ${runtime}: ${here.map((f) => `${f.check} ${f.subject}`).join("; ")}`,
        );
      }
    });

    test("audit with no store flags shows all three, each section labelled with runtime, root and state", () => {
      const r = crifs(["--host-root", host, "audit"]);
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      for (const [runtime, dir, state] of [
        ["containerd", "ctd-root", "ctd-state"],
        ["podman", "pm-root", "pm-run"],
        ["docker", "dk-root", "dk-exec"],
      ]) {
        assert.ok(
          r.stdout.includes(`== ${runtime} root ${host}/${dir} state ${host}/${state}`),
          `no ${runtime} section in:\n${r.stdout.slice(0, 2000)}`,
        );
      }
    });
  });
}
