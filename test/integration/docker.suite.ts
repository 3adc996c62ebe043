// test/integration/docker.suite.ts — the Docker x-ray against a real dockerd on a private data-root
// (test/bed/docker-bed.ts, its own bed, started and removed here), once per version: 20.10 (Debian 12), 26
// (trixie, overlay2) and 26 with containerd's image store (namespace moby, no overlay2; the overlay2-only
// faults and files are skipped there, saying why). What docker says through the
// daemon (`docker images`, `docker ps -a`, `docker image inspect`, `docker inspect`) is captured while it runs;
// then dockerd is stopped (live-restore: the running container keeps running) and crifs, reading files only,
// must say the same: image names and ids, layer chains and their dirs, containers with names, images,
// layers and task state, the running container's mount, and du's total against du -s -x -B1.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { DOCKER_VERSIONS, type DockerBed, type DockerVersion, startDockerBed } from "../bed/docker-bed.js";
import { contractErrors, crifs, isOneLineError, json, kernelOverlay } from "./cli.js";
import { exportDockerTests } from "./export.suite.js";
import { assertHeldNoLonger, withHostileSocket } from "./hostile-sockets.js";
import { manifest } from "./manifest.js";
import { webDockerTests } from "./web.suite.js";

interface SnapRow {
  runtime: string;
  namespace: string;
  key: string;
  parent: string | null;
  kind: string;
  id: string;
  path: string;
}
interface ImageRow {
  runtime: string;
  name: string;
  digest: string;
  configDigest: string | null;
  size: number;
  snapshotKeys: string[];
  labels: Record<string, string>;
}
interface ContainerRow {
  runtime: string;
  id: string;
  names?: string[];
  image: string;
  snapshotKey: string;
  task: { status: string; pid: number } | null;
}
interface ImageInspect {
  Id: string;
  Size: number;
  RepoTags: string[];
  Parent: string;
  RootFS: { Layers: string[] };
  GraphDriver: { Name: string; Data: { UpperDir: string; LowerDir?: string } | null };
}
interface ContainerInspect {
  Id: string;
  Name: string;
  Config: { Image: string };
  State: { Status: string; Running: boolean; Pid: number; ExitCode: number };
  GraphDriver: { Name: string; Data: { UpperDir: string; LowerDir: string; WorkDir: string } | null };
}

/** What docker said while it ran. */
interface DockerView {
  images: { Repository: string; Tag: string; ID: string }[];
  ps: { ID: string; Names: string; Image: string; State: string }[];
  imageInspect: ImageInspect[];
  inspect: ContainerInspect[];
}

function jsonLines<T>(out: string): T[] {
  return out
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as T);
}

/** chainN = sha256("chainN-1 diffN"), chain1 = diff1: computed here independently of crifs. */
function chainIdsOf(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(
      prev === undefined
        ? d
        : `sha256:${execFileSync("sha256sum", { input: `${prev} ${d}`, encoding: "utf8" }).split(" ")[0]}`,
    );
  }
  return out;
}

/** The versions to run: all of them, or CRIFS_DOCKER_VERSIONS=26,26-containerd (a developer's loop). */
export function dockerVersions(): DockerVersion[] {
  const only = process.env.CRIFS_DOCKER_VERSIONS?.split(",").filter((v) => v !== "");
  return DOCKER_VERSIONS.filter((v) => only === undefined || only.includes(v));
}

export function dockerSuite(getBed: () => Bed) {
  for (const version of dockerVersions()) dockerVersionSuite(getBed, version);
}

function dockerVersionSuite(getBed: () => Bed, version: DockerVersion) {
  const c8d = version === "26-containerd";
  /** Skip reason of a test about overlay2's own files on containerd's image store. */
  const overlay2Only = c8d ? "containerd's image store has no overlay2 dirs, l/ links or layerdb" : false;
  describe(`docker ${version} x-ray against a live dockerd, read with dockerd stopped`, () => {
    let dbed: DockerBed | undefined;
    let view: DockerView | undefined;
    const getDocker = (): DockerBed => {
      if (dbed === undefined) throw new Error("the docker bed is not running (did before() fail?)");
      return dbed;
    };
    const getView = (): DockerView => {
      if (view === undefined) throw new Error("docker's view was not captured (did before() fail?)");
      return view;
    };
    const flags = () => ["--runtime", "docker", "--root", getDocker().root, "--state", getDocker().execRoot];

    before(async () => {
      const t0 = Date.now();
      dbed = await startDockerBed(getBed().ociArchive, version);
      const d = dbed;
      const f = d.facts;
      const names = [f.containers.running, f.containers.created, f.containers.exited];
      view = {
        images: jsonLines(d.docker(["images", "--no-trunc", "--format", "{{json .}}"])),
        ps: jsonLines(d.docker(["ps", "-a", "--no-trunc", "--format", "{{json .}}"])),
        imageInspect: JSON.parse(
          d.docker(["image", "inspect", f.images.latest, f.images.small, f.images.committed]),
        ) as ImageInspect[],
        inspect: JSON.parse(d.docker(["inspect", ...names])) as ContainerInspect[],
      };
      await d.stopDockerd();
      console.log(
        `docker bed ${version} (${f.serverVersion}): ${d.work} up and captured in ${Date.now() - t0} ms`,
      );
    });

    after(async () => {
      if (dbed === undefined) return;
      await dbed.teardown();
    });

    test("info --docker-host on a socket that does not behave shows the files within --timeout, one line (issue 13, item 2)", async () => {
      for (const kind of ["silent", "trickle", "stall-body", "garbage"] as const) {
        await withHostileSocket(kind, "http1", async (socket) => {
          const args = [
            ...flags(),
            "--timeout",
            "2s",
            "info",
            "-o",
            "json",
            "--docker-host",
            `unix://${socket}`,
          ];
          const r = await assertHeldNoLonger(args, 2000, {
            baseline: [...flags(), "info", "-o", "json", "--docker-host", `unix://${socket}.absent`],
            status: 0,
            line: new RegExp(
              `^crifs: ${socket}: cannot read /\\S+: (did not answer within 2s|not a Docker socket \\(protocol error\\)); showing what is on disk$`,
            ),
          });
          const data = JSON.parse(r.stdout) as { runtime: string; daemon?: unknown }[];
          assert.deepEqual(
            data.map((d) => [d.runtime, d.daemon]),
            [["docker", undefined]],
          );
        });
      }
    });

    test("the bed is as described: dockerd stopped, the running container still running", () => {
      const d = getDocker();
      assert.equal(d.isDockerdRunning(), false);
      assert.match(
        readFileSync(`/proc/${d.facts.runningPid}/cgroup`, "utf8"),
        new RegExp(d.facts.containerIds.running),
      );
      assert.equal(getView().ps.length, 3);
    });

    test("images -o json equals docker images: names, image ids, and layer chains from docker image inspect", () => {
      const rows = json<ImageRow[]>(crifs([...flags(), "images", "-o", "json"]));
      assert.ok(rows.every((r) => r.runtime === "docker"));
      // docker's image id: the config's digest on overlay2, the manifest's on containerd's store
      assert.deepEqual(
        rows.map((r) => `${r.name} ${c8d ? r.digest : r.configDigest}`).sort(),
        getView()
          .images.map((i) => `${i.Repository}:${i.Tag} ${i.ID}`)
          .sort(),
      );
      for (const ii of getView().imageInspect) {
        const row = rows.find((r) => r.name === ii.RepoTags[0]);
        assert.ok(row, `no image ${ii.RepoTags[0]}`);
        assert.equal(row.digest, ii.Id);
        assert.equal(row.size, ii.Size, `${row.name}: size as docker image inspect counts it`);
        assert.deepEqual(
          row.snapshotKeys,
          chainIdsOf(ii.RootFS.Layers),
          `${row.name}: chain ids, base first`,
        );
        // docker commit records the parent image; loaded images have none
        assert.equal(row.labels["crifs.docker/parent"] ?? "", ii.Parent, `${row.name}: parent image`);
      }
    });

    test("snapshots -o json: every image layer with its parent and its dir as docker image inspect names them", () => {
      const snaps = json<SnapRow[]>(crifs([...flags(), "snapshots", "-o", "json"]));
      const byKey = new Map(snaps.map((s) => [s.key, s]));
      for (const ii of getView().imageInspect) {
        const chain = chainIdsOf(ii.RootFS.Layers);
        chain.forEach((c, i) => {
          assert.equal(byKey.get(c)?.kind, "committed", c);
          // on containerd's store `docker commit` commits the container's snapshot as it lies: on its "-init"
          // layer (dockerd's /etc files), which lies on the image's top: the image chain skips it
          let parent = byKey.get(c)?.parent ?? null;
          if (c8d && parent?.endsWith("-init") === true) parent = byKey.get(parent)?.parent ?? null;
          assert.equal(parent, i === 0 ? null : chain[i - 1], `parent of ${c}`);
        });
        // GraphDriver: UpperDir = top layer's diff, LowerDir = the others' diffs, nearest first (overlay2;
        // on containerd's store docker names no dirs)
        const data = ii.GraphDriver.Data;
        if (c8d) {
          assert.equal(data, null);
          continue;
        }
        assert.ok(data);
        const dirs = [data.UpperDir, ...(data.LowerDir?.split(":") ?? [])];
        assert.deepEqual(
          [...chain].reverse().map((c) => byKey.get(c)?.path),
          dirs,
          `${ii.RepoTags[0]}: layer dirs`,
        );
      }
      const committed = snaps.filter((s) => s.kind === "committed").map((s) => s.key);
      const expected = new Set(getView().imageInspect.flatMap((ii) => chainIdsOf(ii.RootFS.Layers)));
      // on containerd's store a container's "-init" layer is a committed snapshot too
      if (c8d) for (const ci of getView().inspect) expected.add(`${ci.Id}-init`);
      assert.deepEqual(committed.sort(), [...expected].sort(), "exactly the image layers are committed");
    });

    test("containers -o json equals docker ps -a: ids, names, images, state, and the rw → init → image layers of docker inspect", () => {
      const rows = json<ContainerRow[]>(crifs([...flags(), "containers", "-o", "json"]));
      const snaps = new Map(
        json<SnapRow[]>(crifs([...flags(), "snapshots", "-o", "json"])).map((s) => [s.key, s]),
      );
      const state = (r: ContainerRow) =>
        r.task === null ? "created" : r.task.status === "running" ? "running" : "exited";
      assert.deepEqual(
        rows.map((r) => `${r.id} ${r.names?.join(",")} ${r.image} ${state(r)}`).sort(),
        getView()
          .ps.map((p) => `${p.ID} ${p.Names} ${p.Image} ${p.State}`)
          .sort(),
      );
      for (const ci of getView().inspect) {
        const row = rows.find((r) => r.id === ci.Id);
        assert.ok(row, ci.Name);
        assert.equal(row.task?.pid ?? 0, ci.State.Pid, `${ci.Name}: pid`);
        const chain: string[] = [];
        const keys: string[] = [];
        for (
          let s = snaps.get(row.snapshotKey);
          s !== undefined;
          s = s.parent === null ? undefined : snaps.get(s.parent)
        ) {
          chain.push(s.path);
          keys.push(s.key);
        }
        const data = ci.GraphDriver.Data;
        if (c8d) {
          // containerd's snapshots: <id> over <id>-init over the image's chain, nearest first
          const image = getView().imageInspect.find((ii) => ii.RepoTags.includes(ci.Config.Image));
          assert.ok(image, ci.Config.Image);
          assert.deepEqual(keys, [ci.Id, `${ci.Id}-init`, ...chainIdsOf(image.RootFS.Layers).reverse()]);
        } else {
          // UpperDir = overlay2/<mount-id>/diff; LowerDir = the -init layer's diff, then the image's, nearest first
          assert.ok(data);
          assert.equal(row.snapshotKey, basename(dirname(data.UpperDir)));
          assert.deepEqual(chain, [data.UpperDir, ...data.LowerDir.split(":")], ci.Name);
        }
        assert.equal(snaps.get(row.snapshotKey)?.kind, "active");
      }
    });

    test("mounts <running container> equals its rootfs overlay in mountinfo (lowerdir by l/ short links on overlay2, snapshot dirs on containerd's store)", () => {
      const d = getDocker();
      const m = json<{
        type: string;
        lowerdir: string[];
        upperdir: string;
        workdir: string;
        options: string[];
      }>(crifs([...flags(), "mounts", d.facts.containerIds.running, "-o", "json"]));
      const ci = getView().inspect.find((c) => c.Id === d.facts.containerIds.running);
      // containerd's store: dockerd mounts the root at <data-root>/rootfs/overlayfs/<id>
      const merged = c8d
        ? join(d.root, "rootfs", "overlayfs", d.facts.containerIds.running)
        : join(dirname(ci?.GraphDriver.Data?.UpperDir ?? ""), "merged");
      const kernel = kernelOverlay(merged);
      assert.equal(m.type, "overlay");
      assert.deepEqual(m.lowerdir, kernel.lowerdir);
      assert.equal(m.upperdir, kernel.upperdir);
      assert.equal(m.workdir, kernel.workdir);
      const home = c8d
        ? join(d.root, "containerd", "daemon", "io.containerd.snapshotter.v1.overlayfs", "snapshots")
        : join(d.root, "overlay2", "l");
      assert.ok(
        m.lowerdir.every((l) => l.startsWith(home)),
        m.lowerdir.join(":"),
      );
    });

    test("du's total equals du -s -x -B1 of the data-root (bind-mounted onto itself, rootfs mounted inside)", () => {
      const d = getDocker();
      const r = json<{
        total: { allocatedBytes: number };
        categories: { category: string; allocatedBytes: number }[];
      }>(crifs([...flags(), "du", "-o", "json"]));
      const du = Number(execFileSync("du", ["-s", "-x", "-B1", d.root], { encoding: "utf8" }).split("\t")[0]);
      assert.equal(r.total.allocatedBytes, du);
      assert.equal(
        r.categories.reduce((n, c) => n + c.allocatedBytes, 0),
        du,
        "the categories add up to the total",
      );
      // logs: the containers' json-file logs, exactly; the exited container printed a line
      const logs = execFileSync(
        "sh",
        ["-c", `du -c -B1 ${join(d.root, "containers")}/*/*-json.log* | tail -1`],
        {
          encoding: "utf8",
        },
      );
      const cat = (c: string) => r.categories.find((x) => x.category === c)?.allocatedBytes ?? 0;
      assert.equal(cat("logs"), Number(logs.split("\t")[0]));
      assert.ok(cat("logs") > 0, "a log with a line takes a block");
      assert.ok(cat("container-data") > 0);
    });

    test("every JSON output matches its schema in docs/json.md", () => {
      const d = getDocker();
      for (const [schema, args] of [
        ["images", ["images"]],
        ["snapshots", ["snapshots"]],
        ["containers", ["containers"]],
        ["info", ["info"]],
        ["mounts", ["mounts", d.facts.containerIds.running]],
      ] as const) {
        const data = json(crifs([...flags(), ...args, "-o", "json"]));
        assert.equal(contractErrors(schema, data), null, schema);
      }
    });

    test("fs and links read a container's merged root by its name: its own changes over the image, /etc/mtab (into /proc) set apart, only the host-only link broken", () => {
      const d = getDocker();
      const exited = d.facts.containers.exited;
      const cat = crifs([...flags(), "fs", exited, "cat", "/data/written.txt"]);
      assert.equal(cat.status, 0, cat.stderr);
      assert.equal(cat.stdout, "written\n");
      const gone = crifs([...flags(), "fs", exited, "cat", "/data/layer2.txt"]);
      assert.notEqual(gone.status, 0, "removed by the container: a whiteout in its upper dir");
      assert.ok(isOneLineError(gone), gone.stderr);
      assert.equal(
        crifs([...flags(), "fs", d.facts.containers.running, "cat", "/data/layer2.txt"]).stdout,
        "layer2\n",
      );
      const links = json<{
        brokenLinks: { container: string; path: string }[];
        linksIntoMounts: { container: string; path: string; mountPoint?: string }[];
      }>(crifs([...flags(), "links", "-o", "json"]));
      assert.equal(contractErrors("links", links), null);
      const ids = Object.values(d.facts.containerIds).sort();
      assert.deepEqual(
        links.brokenLinks.map((b) => `${b.container} ${b.path}`).sort(),
        ids.map((id) => `${id} /data/host-only-link`),
      );
      assert.deepEqual(
        links.linksIntoMounts.map((b) => `${b.container} ${b.path}`).sort(),
        ids.map((id) => `${id} /etc/mtab`),
        "the init layer's /etc/mtab -> /proc/mounts works in the running container",
      );
    });

    // export and diff against docker's own (export.suite.ts): adds an exited container to the store, which
    // the tests below do not mind
    exportDockerTests(getDocker, version, flags);
    // the web view in headless chromium (web.suite.ts), on Debian's dockerd only: the page is the same
    if (version === "20.10") webDockerTests(getDocker, flags);

    describe("doctor on the docker store", () => {
      interface Finding {
        check: string;
        subject: string;
        path: string;
        message: string;
      }
      /** doctor's findings, without the host-only symlink the bed's image plants on purpose (layer 2,
       * data/host-only-link: its target exists on the host only, so broken-symlink rightly reports it). */
      const doctor = (): Finding[] => {
        const r = crifs([...flags(), "doctor", "--grace", "0", "-o", "json"]);
        assert.ok([0, 1, 2].includes(r.status), `doctor exited ${r.status}: ${r.stderr}`);
        assert.equal(r.stderr, "");
        const data = JSON.parse(r.stdout) as { findings: Finding[] };
        assert.equal(contractErrors("doctor", data), null);
        return data.findings.filter(
          (f) => !(f.check === "broken-symlink" && f.path.endsWith("/data/host-only-link")),
        );
      };
      /** "check subject" of the findings about `path`. */
      const about = (fs: readonly Finding[], path: string) =>
        fs.filter((f) => f.path === path).map((f) => `${f.check} ${f.subject}`);

      test("the healthy store has no findings", () => {
        assert.deepEqual(doctor(), []);
      });

      test("a missing l/ link fails docker start, leaves an orphan -init dir behind a failed docker run, and doctor names the link and its layer (missing-short-link) and the dir (orphan-layer-dir)", {
        skip: overlay2Only,
      }, async () => {
        const d = getDocker();
        await d.startDockerd();
        const before = new Set(readdirSync(join(d.root, "overlay2")));
        const f = d.fault("missing-link");
        const link = f.get("fault.link") ?? "";
        const start = d.dockerResult(["start", d.facts.containers.created]);
        assert.notEqual(start.status, 0);
        assert.match(start.stderr, /error creating overlay mount to .*: no such file or directory/);
        const run = d.dockerResult(["run", "--rm", "--network", "none", d.facts.images.small, "/bin/true"]);
        assert.notEqual(run.status, 0, "docker run with a lower's link missing");
        await d.stopDockerd();
        const leftover = readdirSync(join(d.root, "overlay2")).filter((n) => !before.has(n));
        assert.equal(leftover.length, 1, `new dirs: ${leftover.join(" ")}`);
        assert.match(leftover[0] ?? "", /-init$/);
        const found = doctor();
        assert.deepEqual(about(found, link), [`missing-short-link layer ${f.get("fault.linkCacheId")}`]);
        assert.deepEqual(about(found, join(d.root, "overlay2", leftover[0] ?? "")), [
          `orphan-layer-dir overlay2 dir ${leftover[0]}`,
        ]);
        assert.deepEqual(
          found.filter((x) => x.check === "missing-short-link").map((x) => x.path),
          [link],
          "exactly that link",
        );
        d.fault("restore-link");
        assert.deepEqual(
          doctor().map((x) => x.check),
          ["orphan-layer-dir"],
          "with the link back only the orphan dir is left",
        );
      });

      // issue 17: the -init dir the failed run left (the test above) is a real orphan made by dockerd itself
      test("repair moves the orphan -init dir into the quarantine, docker lists the same, doctor is clean, and --undo puts it back equal", {
        skip: overlay2Only,
      }, async () => {
        const d = getDocker();
        const orphans = doctor().filter((x) => x.check === "orphan-layer-dir");
        assert.equal(orphans.length, 1, "the test above leaves one orphan -init dir");
        const path = orphans[0]?.path ?? "";
        const before = manifest([path]);
        // as sets: images created in the same second come in any order (seen on docker 26)
        const listing = () => [
          d.docker(["images", "--no-trunc", "-q"]).split("\n").sort(),
          d.docker(["ps", "-a", "--no-trunc", "-q"]).split("\n").sort(),
        ];
        await d.startDockerd();
        const listed = listing();
        await d.stopDockerd();
        const repair = [...flags(), "repair", "--grace", "0", "--check", "orphan-layer-dir"];
        const plan = JSON.parse(crifs([...repair, "-o", "json"]).stdout) as {
          plans: { actions: { path: string }[] }[];
        };
        assert.equal(contractErrors("repairPlan", plan), null);
        assert.deepEqual(
          plan.plans[0]?.actions.map((a) => a.path),
          [path],
        );
        const r = crifs([...repair, "--apply", "--yes"]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(manifest([path])[0]?.type, "absent");
        assert.deepEqual(
          doctor().map((x) => x.check),
          [],
        );
        await d.startDockerd();
        try {
          assert.deepEqual(listing(), listed);
        } finally {
          await d.stopDockerd();
        }
        const u = crifs([...repair, "--undo"]);
        assert.equal(u.status, 0, u.stderr);
        assert.deepEqual(manifest([path]), before);
        execFileSync("rm", ["-rf", join(d.root, ".crifs-quarantine")]);
      });

      test("a container's layer dir gone fails docker start and is container-missing-layer", {
        skip: overlay2Only,
      }, async () => {
        const d = getDocker();
        const dir = d.fault("container-layer").get("fault.containerLayer") ?? "";
        await d.startDockerd();
        const start = d.dockerResult(["start", d.facts.containers.created]);
        await d.stopDockerd();
        assert.notEqual(start.status, 0);
        assert.match(start.stderr, /no such file or directory/);
        assert.deepEqual(
          about(doctor(), dir).map((x) => x.split(" ")[0]),
          ["container-missing-layer"],
        );
      });

      test("an image layer's cache dir gone is image-missing-layer", { skip: overlay2Only }, () => {
        const d = getDocker();
        const f = d.fault("image-layer");
        const dir = f.get("fault.imageLayer") ?? "";
        assert.deepEqual(
          about(doctor(), dir).map((x) => x.split(" ")[0]),
          ["image-missing-layer"],
        );
      });
    });

    test("undecodable metadata: a truncated config.v2.json is metadata-corrupt with its byte offset; a truncated repositories.json stops every command with one line and is doctor's only finding", {
      skip: overlay2Only,
    }, () => {
      const d = getDocker();
      const cfg = join(d.root, "containers", d.facts.containerIds.exited, "config.v2.json");
      const repos = join(d.root, "image", "overlay2", "repositories.json");
      const cfgText = readFileSync(cfg, "utf8");
      const reposText = readFileSync(repos, "utf8");
      try {
        writeFileSync(cfg, cfgText.slice(0, 100));
        const r = crifs([...flags(), "doctor", "--grace", "0", "-o", "json"]);
        const found = (
          JSON.parse(r.stdout) as { findings: { check: string; path: string; message: string }[] }
        ).findings;
        const about = found.filter((f) => f.path === cfg);
        assert.deepEqual(
          about.map((f) => f.check),
          ["metadata-corrupt"],
        );
        assert.match(about[0]?.message ?? "", /^cannot parse JSON at byte 100: /);
        writeFileSync(cfg, cfgText);
        writeFileSync(repos, reposText.slice(0, 40));
        const images = crifs([...flags(), "images"]);
        assert.equal(images.status, 65);
        assert.ok(isOneLineError(images), images.stderr);
        assert.match(images.stderr, /repositories\.json: cannot parse JSON at byte 40: /);
        const doc = crifs([...flags(), "doctor", "-o", "json"]);
        assert.equal(doc.status, 2);
        const docFound = (JSON.parse(doc.stdout) as { findings: { check: string; path: string }[] }).findings;
        assert.deepEqual(
          docFound.map((f) => `${f.check} ${f.path}`),
          [`metadata-corrupt ${repos}`],
        );
      } finally {
        writeFileSync(cfg, cfgText);
        writeFileSync(repos, reposText);
      }
    });

    test("info names the version: what the data-root says offline, the daemon's version and API version live", async () => {
      const d = getDocker();
      const info = () =>
        json<
          {
            settings: Record<string, string>;
            runtimeVersion: unknown;
            daemon?: { serverVersion: string; apiVersion: string };
          }[]
        >(crifs([...flags(), "info", "-o", "json", "--docker-host", `unix://${d.socket}`]))[0];
      const offline = info();
      assert.equal(offline?.daemon, undefined, "dockerd is stopped");
      assert.equal(
        offline?.settings.versionMarker,
        {
          "20.10": "dockerd < 23 (no engine-id), overlay2",
          "26": "dockerd >= 23 (engine-id), overlay2",
          "26-containerd": "dockerd >= 24: images in containerd's store (containerd-snapshotter)",
        }[version],
      );
      // offline: this machine's dockerd (Debian 12's 20.10) where the data-root's markers allow it, else the
      // markers (an engine-id proves 23 or later, the containerd image store 24 or later)
      const onPath = /version (\S+),/.exec(execFileSync("dockerd", ["--version"], { encoding: "utf8" }))?.[1];
      assert.deepEqual(
        offline?.runtimeVersion,
        {
          "20.10": { version: onPath, source: "binary" },
          "26": { version: "23+", source: "store" },
          "26-containerd": { version: "24+", source: "store" },
        }[version],
      );
      await d.startDockerd();
      try {
        const live = info();
        const server = d.docker(["version", "-f", "{{.Server.Version}} {{.Server.APIVersion}}"]).trim();
        assert.equal(`${live?.daemon?.serverVersion} ${live?.daemon?.apiVersion}`, server);
        assert.equal(live?.daemon?.serverVersion, d.facts.serverVersion);
        assert.deepEqual(live?.runtimeVersion, { version: d.facts.serverVersion, source: "daemon" });
      } finally {
        await d.stopDockerd();
      }
    });

    test("without --runtime, --root alone finds the docker store by its layout", () => {
      const rows = json<ImageRow[]>(crifs(["--root", getDocker().root, "images", "-o", "json"]));
      assert.deepEqual([...new Set(rows.map((r) => r.runtime))], ["docker"]);
    });
  });
}
