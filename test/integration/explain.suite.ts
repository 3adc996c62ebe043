// test/integration/explain.suite.ts — `crifs explain` on what the runtimes themselves print (issue 20, part 3).
// Each test makes a fault in a real store, makes the runtime fail on it (ctr, docker, podman), captures the
// runtime's own message from its CLI or its log, feeds it to `crifs explain` (as an argument, or on stdin with
// the rest of the log around it), and expects the message recognised and the check that finds the cause
// naming the faulty path. On the main containerd bed every fault is undone at once (files moved aside and
// back); the docker and podman beds are the suite's own (started together, a few seconds), faults left in.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { type DockerBed, startDockerBed } from "../bed/docker-bed.js";
import { type PodmanBed, podmanFlags, startPodmanBed } from "../bed/podman.js";
import { bedFlags, CRIFS, contractErrors, REPO } from "./cli.js";

interface ExplainedFinding {
  check: string;
  path: string;
  subject: string;
  message: string;
  runtime: string;
  isNamedByMessage: boolean;
}
interface ExplainOutput {
  lines: number;
  matches: {
    id: string;
    line: string;
    stores: string[];
    checksRun: string[];
    findings: ExplainedFinding[];
    repair: { runtime: string; checks: string[]; command: string }[];
  }[];
  doctor: unknown;
}

/** Runs `crifs <flags> -o json explain --grace 0` on `text` (an argument, or stdin); checks the contract. */
function explain(flags: readonly string[], text: string, options: { stdin?: boolean } = {}): ExplainOutput {
  const args = [...flags, "-o", "json", "explain", "--grace", "0"];
  const r = options.stdin
    ? spawnSync(process.execPath, [CRIFS, ...args], { input: text, encoding: "utf8", timeout: 120_000 })
    : spawnSync(process.execPath, [CRIFS, ...args, "--", text], { encoding: "utf8", timeout: 120_000 });
  assert.ok([0, 1, 2].includes(r.status ?? -1), `explain exited ${r.status}: ${r.stderr}`);
  const data = JSON.parse(r.stdout) as ExplainOutput;
  assert.equal(contractErrors("explain", data), null);
  return data;
}

/** The runtime's error text of a command expected to fail. */
function failure(r: { status: number | null; stderr: string; stdout?: string }, what: string): string {
  assert.notEqual(r.status, 0, `${what} should fail`);
  return `${r.stderr}${r.stdout ?? ""}`.trim();
}

/** A `ctr` call expected to fail: its stderr. */
function ctrFailure(bed: Bed, args: readonly string[], ns = "default"): string {
  const r = spawnSync(
    join(bed.binDir, "ctr"),
    ["-a", bed.socket, "--connect-timeout", "2s", "-n", ns, ...args],
    {
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  return failure(r, `ctr ${args.join(" ")}`);
}

/** The top layer of a podman bed's image, from images.json (podman 4.3's inspect has no TopLayer field). */
function topLayer(pb: PodmanBed, name: string): string {
  const images = JSON.parse(readFileSync(join(pb.root, "overlay-images", "images.json"), "utf8")) as {
    names?: string[];
    layer: string;
  }[];
  const layer = images.find((i) => i.names?.includes(name))?.layer;
  assert.ok(layer !== undefined, `no image ${name} in images.json`);
  return layer;
}

/** podman run's flags as the bed's (test/bed/podman/up.sh): no network, rlimits root may lack the right to raise. */
const PODMAN_RUN = ["--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];

/** The podman bed's podman (test/bed/podman/pm.sh), its status and both streams: warnings come on stderr. */
function podmanResult(pb: PodmanBed, args: readonly string[]) {
  return spawnSync("bash", [join(REPO, "test", "bed", "podman", "pm.sh"), ...args], {
    encoding: "utf8",
    env: { ...process.env, PODMAN_BED: pb.work, PODMAN_VERSION: pb.version },
    timeout: 60_000,
  });
}

export function explainSuite(getBed: () => Bed): void {
  describe("crifs explain names the check and the finding behind what the runtimes print (issue 20)", () => {
    /** Message ids a test saw explained by a finding at the faulty path, with the runtime that printed it. */
    const explained = new Map<string, string>();

    /** Expects message `id` in `out` with a `check` finding at `path` that the message names (or not). */
    function expectExplained(
      out: ExplainOutput,
      o: { id: string; check: string; path: string; runtime: string; isNamed?: boolean },
    ): void {
      const m = out.matches.find((x) => x.id === o.id);
      assert.ok(
        m !== undefined,
        `no ${o.id} among ${out.matches.map((x) => x.id).join(", ") || "nothing"} in ${out.lines} line(s)`,
      );
      const f = m.findings.find((x) => x.check === o.check && x.path === o.path);
      const seen = m.findings.map((x) => `${x.check} ${x.path}`).join("\n  ");
      assert.ok(f !== undefined, `${o.id}: no ${o.check} finding at ${o.path}; found:\n  ${seen}`);
      assert.equal(f.runtime, o.runtime);
      if (o.isNamed !== undefined)
        assert.equal(f.isNamedByMessage, o.isNamed, `${o.id}: named by the message`);
      explained.set(o.id, o.runtime);
    }

    describe("containerd (the main bed; each fault undone)", () => {
      const contentDir = () => join(getBed().root, "io.containerd.content.v1.content", "blobs", "sha256");

      test("a layer snapshot's dir moved away: ctr run fails to stat the parent, a container made before fails to mount its rootfs, and explain names the dir both times (missing-snapshot-dir)", () => {
        const bed = getBed();
        // bb:small's top layer (layer 2; nearest parent first in defaultLayers)
        const id = bed.facts.snapshotDirs.defaultLayers[2] ?? "";
        const dir = join(bed.snapshotsDir, id);
        const aside = `${dir}.explain-aside`;
        const run = `crifs-explain-run-${bed.facts.tag}`;
        const made = `crifs-explain-made-${bed.facts.tag}`;
        bed.ctr(["containers", "create", bed.facts.images.small, made, "/bin/true"], "default");
        renameSync(dir, aside);
        try {
          const ran = ctrFailure(bed, ["run", "--rm", bed.facts.images.small, run, "/bin/true"]);
          expectExplained(explain(bedFlags(bed), ran), {
            id: "snapshot-parent-dir-missing",
            check: "missing-snapshot-dir",
            path: dir,
            runtime: "containerd",
            isNamed: true,
          });
          const started = ctrFailure(bed, ["tasks", "start", made]);
          expectExplained(explain(bedFlags(bed), started), {
            id: "task-rootfs-missing",
            check: "missing-snapshot-dir",
            path: dir,
            runtime: "containerd",
            isNamed: true,
          });
        } finally {
          renameSync(aside, dir);
          for (const c of [run, made]) {
            spawnSync(join(bed.binDir, "ctr"), ["-a", bed.socket, "-n", "default", "tasks", "rm", "-f", c]);
            spawnSync(join(bed.binDir, "ctr"), ["-a", bed.socket, "-n", "default", "containers", "rm", c]);
            spawnSync(join(bed.binDir, "ctr"), ["-a", bed.socket, "-n", "default", "snapshots", "rm", c]);
          }
        }
      });

      test("a snapshot whose parent record is gone (meta.db edited with containerd stopped): ctr snapshots rm says parent snapshot … does not exist, and explain names the child (dangling-parent)", async () => {
        const bed = getBed();
        const tmp = mkdtempSync("/tmp/crifs-explain-boltput.");
        const tool = join(tmp, "boltput");
        const kid = `crifs-explain-kid-${bed.facts.tag}`;
        const meta = join(bed.root, "io.containerd.metadata.v1.bolt", "meta.db");
        const saved = `${meta}.explain-saved`;
        try {
          execFileSync("go", ["build", "-o", tool, "./test/tools/boltput"], {
            cwd: REPO,
            env: {
              ...process.env,
              GO111MODULE: "off",
              GOPATH: `${tmp}:/usr/share/gocode`,
              GOCACHE: join(tmp, "cache"),
            },
          });
          bed.ctr(["snapshots", "prepare", kid, bed.facts.snapshots.smallTopChainId], "default");
          const rows = JSON.parse(
            spawnSync(
              process.execPath,
              [CRIFS, ...bedFlags(bed), "-n", "default", "snapshots", "-o", "json"],
              {
                encoding: "utf8",
              },
            ).stdout,
          ) as { key: string; id: string }[];
          const dir = join(bed.snapshotsDir, rows.find((r) => r.key === kid)?.id ?? "?");
          await bed.stopContainerd();
          copyFileSync(meta, saved);
          execFileSync(tool, [meta, "v1", "default", "snapshots", "overlayfs", kid, "parent", `${kid}-gone`]);
          await bed.startContainerd();
          const msg = ctrFailure(bed, ["snapshots", "rm", kid]);
          expectExplained(explain(bedFlags(bed), msg), {
            id: "parent-snapshot-missing",
            check: "dangling-parent",
            path: dir,
            runtime: "containerd",
            isNamed: true,
          });
        } finally {
          if (existsSync(saved)) {
            await bed.stopContainerd();
            copyFileSync(saved, meta);
            rmSync(saved);
            await bed.startContainerd();
          }
          spawnSync(join(bed.binDir, "ctr"), ["-a", bed.socket, "-n", "default", "snapshots", "rm", kid]);
          rmSync(tmp, { recursive: true, force: true });
        }
      });

      test("a blob file no record names: ctr content get says content digest … not found, and explain names the file (unreferenced-blob)", () => {
        const bed = getBed();
        const data = Buffer.from(`crifs explain ${bed.facts.tag}\n`);
        const hex = createHash("sha256").update(data).digest("hex");
        const file = join(contentDir(), hex);
        writeFileSync(file, data, { mode: 0o444 });
        try {
          const msg = ctrFailure(bed, ["content", "get", `sha256:${hex}`]);
          const out = explain(bedFlags(bed), msg);
          expectExplained(out, {
            id: "content-digest-not-found",
            check: "unreferenced-blob",
            path: file,
            runtime: "containerd",
            isNamed: true,
          });
        } finally {
          rmSync(file, { force: true });
        }
      });

      test("a recorded blob's file moved away: containerd's log says blob … expected at …, and explain on the log (stdin) names the file (missing-blob)", () => {
        const bed = getBed();
        const row = bed
          .ctr(["images", "ls"], "default")
          .split("\n")
          .find((l) => l.split(/\s+/)[0] === bed.facts.images.index);
        const digest = row?.split(/\s+/)[2] ?? "";
        assert.match(digest, /^sha256:[0-9a-f]{64}$/, `bb:index's digest in: ${row}`);
        const file = join(contentDir(), digest.slice("sha256:".length));
        const aside = `${file}.explain-aside`;
        const logStart = statSync(bed.logPath).size;
        renameSync(file, aside);
        try {
          const msg = ctrFailure(bed, ["content", "get", digest]);
          // the daemon's log since the fault, with its other lines, plus the client's own line
          const log = readFileSync(bed.logPath).subarray(logStart).toString("utf8");
          const out = explain(bedFlags(bed), `${log}\n${msg}\n`, { stdin: true });
          assert.ok(out.lines >= 2, `${out.lines} line(s) read`);
          expectExplained(out, {
            id: "blob-file-missing",
            check: "missing-blob",
            path: file,
            runtime: "containerd",
            isNamed: true,
          });
        } finally {
          renameSync(aside, file);
        }
      });
    });

    test("text with no known message: explain says so and runs doctor --quick (JSON: no matches and doctor's report)", () => {
      const bed = getBed();
      const out = explain(bedFlags(bed), 'level=info msg="starting containerd" version=1.6.20');
      assert.deepEqual(out.matches, []);
      assert.equal(contractErrors("doctor", out.doctor), null);
      const t = spawnSync(process.execPath, [CRIFS, ...bedFlags(bed), "explain", "--", "all is well"], {
        encoding: "utf8",
        timeout: 120_000,
      });
      assert.match(
        t.stdout,
        /^crifs knows no message in this text \(1 line\(s\)\); here is doctor --quick:\n/,
      );
      assert.match(t.stdout, /\d+ checks run/);
    });

    describe("docker and podman (the suite's own beds)", () => {
      let dbed: DockerBed | undefined;
      let pbed: PodmanBed | undefined;
      const docker = (): DockerBed => {
        if (dbed === undefined) throw new Error("the docker bed is not running (did before() fail?)");
        return dbed;
      };
      const podman = (): PodmanBed => {
        if (pbed === undefined) throw new Error("the podman bed is not running (did before() fail?)");
        return pbed;
      };
      /** The l/ link the missing-link fault removed (set by its test). */
      let removedLink = "";
      const dockerFlags = () => [
        "--runtime",
        "docker",
        "--root",
        docker().root,
        "--state",
        docker().execRoot,
      ];

      before(async () => {
        const t0 = Date.now();
        const bed = getBed();
        [dbed, pbed] = await Promise.all([startDockerBed(bed.ociArchive), startPodmanBed(bed.ociArchive)]);
        await dbed.startDockerd();
        console.log(`explain: docker and podman beds up in ${Date.now() - t0} ms`);
      });

      after(async () => {
        await Promise.all([dbed?.teardown(), pbed?.teardown()]);
      });

      test("docker: removing an image a running container uses is refused; explain says it is no damage and checks the containers", () => {
        const d = docker();
        const name = `crifs-explain-${d.facts.tag}`;
        // bb:committed: the one image no other image is built on (bb:latest's removal is refused for its child)
        d.docker([
          "run",
          "-d",
          "--network",
          "none",
          "--name",
          name,
          d.facts.images.committed,
          "/bin/sleep",
          "1000",
        ]);
        try {
          const id = d.docker(["image", "inspect", "-f", "{{.Id}}", d.facts.images.committed]).trim();
          const msg = failure(d.dockerResult(["rmi", "-f", id]), "docker rmi -f");
          const out = explain(dockerFlags(), msg);
          const m = out.matches.find((x) => x.id === "image-in-use");
          assert.ok(m !== undefined, `image-in-use not found in: ${msg}`);
          assert.deepEqual(m.stores, ["docker"]);
          assert.ok(m.checksRun.includes("container-missing-layer"), m.checksRun.join(" "));
          assert.deepEqual(m.findings, [], "a healthy store: nothing to blame");
        } finally {
          d.dockerResult(["rm", "-f", name]);
        }
      });

      test("docker: a container's layer dir gone: docker start fails, and explain names the dir (container-missing-layer)", () => {
        const d = docker();
        const dir = d.fault("container-layer").get("fault.containerLayer") ?? "";
        const msg = failure(d.dockerResult(["start", d.facts.containers.created]), "docker start");
        const out = explain(dockerFlags(), msg);
        expectExplained(out, {
          id: "layer-dir-missing",
          check: "container-missing-layer",
          path: dir,
          runtime: "docker",
          isNamed: true,
        });
      });

      test("docker: an image layer's dir gone: docker run fails on its committed file, and explain names the dir (image-missing-layer)", () => {
        const d = docker();
        const dir = d.fault("image-layer").get("fault.imageLayer") ?? "";
        const run = ["run", "--rm", "--network", "none", d.facts.images.committed, "/bin/true"];
        const msg = failure(d.dockerResult(run), "docker run");
        const out = explain(dockerFlags(), msg);
        expectExplained(out, {
          id: "parent-layer-dir-missing",
          check: "image-missing-layer",
          path: dir,
          runtime: "docker",
          isNamed: true,
        });
      });

      test("docker: a missing l/ link: docker run fails creating the overlay mount, and explain names the link (missing-short-link)", () => {
        const d = docker();
        const link = d.fault("missing-link").get("fault.link") ?? "";
        removedLink = link;
        const run = ["run", "--rm", "--network", "none", d.facts.images.small, "/bin/true"];
        const msg = failure(d.dockerResult(run), "docker run");
        const out = explain(dockerFlags(), msg);
        expectExplained(out, {
          id: "overlay-mount-error",
          check: "missing-short-link",
          path: link,
          runtime: "docker",
        });
        // the table: the message, the finding with its path, and the repair command naming this store
        const t = spawnSync(
          process.execPath,
          [CRIFS, ...dockerFlags(), "explain", "--grace", "0", "--", msg],
          {
            encoding: "utf8",
            timeout: 120_000,
          },
        );
        assert.equal(t.status, 2, t.stderr);
        assert.match(
          t.stdout,
          /^== error creating overlay mount to … \(docker, podman, crio; overlay-mount-error\)$/m,
        );
        assert.ok(
          t.stdout.split("\n").some((l) => l.includes("missing-short-link") && l.includes(link)),
          t.stdout,
        );
        assert.ok(
          t.stdout.includes(
            `crifs --runtime docker --root ${docker().root} --state ${docker().execRoot} repair --check missing-short-link`,
          ),
          t.stdout,
        );
      });

      test("docker: an l/ entry that is not a symlink: docker inspect fails to readlink it (invalid argument), and explain names it (missing-short-link)", () => {
        const d = docker();
        const link = removedLink; // the test above removed it
        assert.notEqual(link, "", "the missing-link test ran first");
        writeFileSync(link, "not a symlink\n");
        const msg = failure(d.dockerResult(["inspect", d.facts.containers.running]), "docker inspect");
        assert.match(msg, /invalid argument/);
        const out = explain(dockerFlags(), msg);
        expectExplained(out, {
          id: "short-link-readlink",
          check: "missing-short-link",
          path: link,
          runtime: "docker",
          isNamed: true,
        });
      });

      test("podman: layers.json without the record of an image's top layer: podman images says layer not known, and explain names the container layers on it (dangling-parent)", () => {
        const pb = podman();
        const layersJson = join(pb.root, "overlay-layers", "layers.json");
        const original = readFileSync(layersJson, "utf8");
        const top = topLayer(pb, "localhost/bb:latest");
        try {
          const layers = JSON.parse(original) as { id: string }[];
          writeFileSync(layersJson, JSON.stringify(layers.filter((l) => l.id !== top)));
          const r = podmanResult(pb, ["images"]);
          const msg = `${r.stderr}${r.stdout}`;
          const out = explain(podmanFlags(pb), msg);
          const m = out.matches.find((x) => x.id === "layer-not-known");
          assert.ok(m !== undefined, `podman said: ${msg}`);
          // the containers' layers stand on it: each names a parent layers.json lacks (doctor reports the lost
          // parent record as dangling-parent alone, docs/json.md#doctor)
          const f = m.findings.find((x) => x.check === "dangling-parent" && x.message.includes(`"${top}"`));
          assert.ok(f !== undefined, m.findings.map((x) => `${x.check} ${x.path}`).join("\n"));
          expectExplained(out, {
            id: "layer-not-known",
            check: "dangling-parent",
            path: f.path,
            runtime: "podman",
          });
        } finally {
          writeFileSync(layersJson, original);
        }
      });

      test("podman: a truncated layers.json: podman says layer not known, and explain names the file (metadata-corrupt)", () => {
        const pb = podman();
        const layersJson = join(pb.root, "overlay-layers", "layers.json");
        const original = readFileSync(layersJson, "utf8");
        try {
          writeFileSync(layersJson, original.slice(0, 300));
          const r = podmanResult(pb, ["run", "--rm", ...PODMAN_RUN, "localhost/bb:small", "/bin/true"]);
          const msg = failure(r, "podman run");
          const out = explain(podmanFlags(pb), msg);
          expectExplained(out, {
            id: "layer-not-known",
            check: "metadata-corrupt",
            path: layersJson,
            runtime: "podman",
          });
        } finally {
          writeFileSync(layersJson, original);
        }
      });

      test("podman: a layer dir removed: podman run fails to stat it, and explain names the dir (missing-layer-dir)", () => {
        const pb = podman();
        const top = topLayer(pb, "localhost/bb:small");
        const dir = join(pb.root, "overlay", top);
        rmSync(dir, { recursive: true, force: true });
        const r = podmanResult(pb, ["run", "--rm", ...PODMAN_RUN, "localhost/bb:small", "/bin/true"]);
        const msg = failure(r, "podman run");
        const out = explain(podmanFlags(pb), msg);
        expectExplained(out, {
          id: "layer-dir-missing",
          check: "missing-layer-dir",
          path: dir,
          runtime: "podman",
        });
      });
    });

    test("at least 8 distinct messages of the three runtimes were explained by the finding at the faulty path", () => {
      const runtimes = new Set(explained.values());
      assert.ok(explained.size >= 8, `explained: ${[...explained.keys()].join(", ")}`);
      assert.deepEqual([...runtimes].sort(), ["containerd", "docker", "podman"]);
    });
  });
}
