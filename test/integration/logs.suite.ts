// test/integration/logs.suite.ts — container logs against real runtimes:
//   CRI: its own CRI bed (test/bed/cri-bed.ts: containerd 1.6 + CRI plugin, a pod with a private log root).
//        A "writer" container in the bed's pod writes known lines through containerd's CRI log writer (so
//        the file is real CRI format: a 20000-byte line split into P + F pieces), crifs logs prints exactly
//        those lines, follows a line written later, and reads them again across a rotation done the way
//        kubelet rotates (rename, gzip the older copy; kubelet is not part of the bed). Then the kubelet
//        layout gets a dangling link (pod dir removed, fault K1), an orphan pod dir and a link naming the
//        wrong container, each found by exactly its doctor check; du's logs section equals du -s -B1.
//   docker: its own dockerd bed (test/bed/docker-bed.ts): crifs logs of the exited container prints what
//        `docker logs` prints, and crifs info shows the Engine API's view when the socket answers.

import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import type { Bed } from "../bed/bed.js";
import { type CriBed, criBedUnavailable, criSkip, startCriBed } from "../bed/cri-bed.js";
import { type DockerBed, startDockerBed } from "../bed/docker-bed.js";
import { CRIFS, contractErrors, crifs, json } from "./cli.js";

/** crifs with extra environment variables. */
function spawnCrifs(args: readonly string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CRIFS, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LONG = "a".repeat(20_000);
/** What the writer container writes before it waits for /tmp/go, in order. */
const WRITTEN = ["line one", "err line", LONG, "half done", "last line"];
const LATER = "written while following";
const WRITER = [
  'echo "line one"; sleep 0.2; echo "err line" >&2; sleep 0.2',
  'head -c 20000 /dev/zero | tr "\\0" a; echo; sleep 0.2',
  'printf "half"; sleep 0.3; echo " done"; sleep 0.2; echo "last line"',
  `while [ ! -e /tmp/go ]; do sleep 0.1; done; echo "${LATER}"; sleep 100000`,
].join("; ");

const duB1 = (p: string) =>
  Number(execFileSync("du", ["-s", "-B1", "-x", p], { encoding: "utf8" }).split("\t")[0]);

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    if (ok()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Finding {
  check: string;
  path: string;
  subject: string;
}

/** `criOnly`: only the CRI part (on containerd 1.7 and 2.1: docker's part does not depend on containerd's line). */
export function logsSuite(getBed: () => Bed, options: { criOnly?: boolean } = {}): void {
  const unavailable = criBedUnavailable();
  describe("container logs from a CRI containerd's log files", { skip: criSkip(unavailable) }, () => {
    let cbed: CriBed | undefined;
    let writerId = "";
    const bed = () => {
      if (cbed === undefined) throw new Error("the CRI bed is not running (did before() fail?)");
      return cbed;
    };
    const pods = () => join(bed().logRoot, "pods");
    const links = () => join(bed().logRoot, "containers");
    const writerLog = () => join(bed().podLogDir, "writer", "0.log");
    const flags = () => [
      "--runtime",
      "containerd",
      "--root",
      bed().root,
      "--state",
      bed().state,
      "--config",
      bed().configPath,
    ];
    const logFlags = () => ["--log-root", pods(), "--containers-log-dir", links()];

    before(async () => {
      cbed = await startCriBed(getBed().containerd);
      const b = cbed;
      // the pod's own config as containerd keeps it: CreateContainer takes the log dir from it
      const status = await b.cri.podStatus(b.pod.id);
      const sandboxConfig = (JSON.parse(status.info.info ?? "{}") as { config: unknown }).config;
      const nsOptions = { network: "POD", pid: "CONTAINER", ipc: "POD" };
      writerId = (
        await b.cri.runtime<{ container_id: string }>("CreateContainer", {
          pod_sandbox_id: b.pod.id,
          config: {
            metadata: { name: "writer", attempt: 0 },
            image: { image: b.appImageId },
            command: ["/bin/sh", "-c", WRITER],
            log_path: "writer/0.log",
            labels: {
              "io.kubernetes.container.name": "writer",
              "io.kubernetes.pod.name": b.pod.name,
              "io.kubernetes.pod.namespace": b.pod.namespace,
              "io.kubernetes.pod.uid": b.pod.uid,
            },
            linux: { resources: {}, security_context: { namespace_options: nsOptions } },
          },
          sandbox_config: sandboxConfig,
        })
      ).container_id;
      await b.cri.runtime("StartContainer", { container_id: writerId });
      symlinkSync(writerLog(), join(links(), `${b.pod.name}_${b.pod.namespace}_writer-${writerId}.log`));
      await until(
        "the writer's last line",
        () => existsSync(writerLog()) && readFileSync(writerLog(), "utf8").includes("last line"),
      );
    });

    after(async () => {
      await cbed?.teardown();
    });

    test("crifs logs prints exactly the lines the container wrote, in order, its 20000-byte line joined from P and F pieces", () => {
      const raw = readFileSync(writerLog(), "utf8").split("\n");
      // the evidence is containerd's own writer: the long line is a P piece of 16384 bytes and an F piece
      assert.ok(
        raw.some((l) => / stdout P a{16384}$/.test(l)),
        "containerd split the long line",
      );
      assert.ok(raw.some((l) => / stderr F err line$/.test(l)));
      const r = crifs([...flags(), "logs", writerId, ...logFlags()]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, "");
      assert.equal(r.stdout, WRITTEN.map((l) => `${l}\n`).join(""));
      // found through the pod's labels, by a unique prefix of the id too
      const j = json<{ path: string; source: string; lines: { stream: string }[] }>(
        crifs([...flags(), "logs", writerId.slice(0, 12), ...logFlags(), "-o", "json"]),
      );
      assert.equal(contractErrors("logs", j), null);
      assert.equal(j.path, writerLog());
      assert.equal(j.source, "pod-log-dir");
      assert.deepEqual(
        j.lines.map((l) => l.stream),
        ["stdout", "stderr", "stdout", "stdout", "stdout"],
      );
      assert.equal(
        crifs([...flags(), "logs", writerId, ...logFlags(), "--tail", "2"]).stdout,
        "half done\nlast line\n",
      );
    });

    test("crifs --address <cri.sock> logs finds the log through CRI ContainerStatus, as crictl logs does, with no other flag", () => {
      const r = crifs(["--address", bed().socket, "logs", writerId]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, "");
      assert.equal(r.stdout, WRITTEN.map((l) => `${l}\n`).join(""));
      // the same through crictl's variable, by the container's name, and the JSON says where it came from
      const j = json<{ path: string; source: string; container: string }>(
        spawnCrifs(["logs", "writer", "-o", "json"], {
          CONTAINER_RUNTIME_ENDPOINT: `unix://${bed().socket}`,
        }),
      );
      assert.equal(contractErrors("logs", j), null);
      assert.deepEqual([j.path, j.source, j.container], [writerLog(), "cri-status", writerId]);
    });

    test("live through CRI: ps, pods and stats -q print their JSON ids; ps's --name, --pod and --label pick the writer", () => {
      const live = ["--address", bed().socket];
      for (const cmd of ["ps", "pods", "stats"]) {
        const rows = json<{ id: string }[]>(crifs([...live, cmd, "-o", "json"]));
        assert.ok(rows.length > 0, `${cmd} lists the bed's pod and containers`);
        const q = crifs([...live, cmd, "-q"]);
        assert.equal(q.status, 0, q.stderr);
        // as sets: containerd's CRI lists from a map, in another order on each call
        assert.deepEqual(
          q.stdout
            .split("\n")
            .filter((l) => l !== "")
            .sort(),
          rows.map((r) => r.id).sort(),
          cmd,
        );
      }
      const ids = (...args: string[]) => crifs([...live, "ps", "-q", ...args]).stdout;
      assert.equal(ids("--name", "^writer$"), `${writerId}\n`);
      assert.equal(ids("--name", "^writer$", "--pod", bed().pod.id.slice(0, 8)), `${writerId}\n`);
      assert.equal(ids("--name", "^writer$", "--pod", "0000000"), "");
      assert.equal(ids("--label", "io.kubernetes.container.name=writer"), `${writerId}\n`);
      const pods = crifs([...live, "pods", "-q", "--name", `^${bed().pod.name}$`]).stdout;
      assert.equal(pods, `${bed().pod.id}\n`);
    });

    test("crifs logs --follow prints the tail, then a line the container writes later", async () => {
      const p = spawn(process.execPath, [
        CRIFS,
        ...flags(),
        "logs",
        writerId,
        ...logFlags(),
        "--tail",
        "1",
        "--follow",
      ]);
      let out = "";
      p.stdout.on("data", (d) => {
        out += d;
      });
      const exited = new Promise<number | null>((ok) => p.on("close", (code) => ok(code)));
      try {
        await until("the tail", () => out === "last line\n", 10_000);
        // the writer waits for /tmp/go in its root: the rootfs mount is visible from here
        const rootfs = join(bed().state, "io.containerd.runtime.v2.task", "k8s.io", writerId, "rootfs");
        writeFileSync(join(rootfs, "tmp", "go"), "");
        await until("the later line", () => out.includes(LATER), 10_000);
      } finally {
        p.kill("SIGTERM");
      }
      assert.equal(await exited, 0);
      assert.equal(out, `last line\n${LATER}\n`);
    });

    test("after a kubelet-style rotation (the older copy gzipped, cut between a P and its F piece) the lines are the same", () => {
      const raw = readFileSync(writerLog(), "utf8");
      const lines = raw.split("\n").filter((l) => l !== "");
      const cut = lines.findIndex((l) => / stdout P /.test(l)) + 1;
      const d = join(bed().podLogDir, "writer");
      writeFileSync(join(d, "0.log.20260101-000000.gz"), gzipSync(`${lines.slice(0, cut).join("\n")}\n`));
      writeFileSync(join(d, "0.log.20260101-000100"), `${lines.slice(cut, cut + 2).join("\n")}\n`);
      writeFileSync(writerLog(), `${lines.slice(cut + 2).join("\n")}\n`);
      const r = crifs([...flags(), "logs", writerId, ...logFlags()]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, [...WRITTEN, LATER].map((l) => `${l}\n`).join(""));
      assert.equal(
        crifs([...flags(), "logs", writerId, ...logFlags(), "--tail", "4"]).stdout,
        [LONG, "half done", "last line", LATER].map((l) => `${l}\n`).join(""),
      );
    });

    test("du's logs section: each pod dir and container dir as du -s -B1 counts it, rotated copies included", () => {
      const r = json<{
        logs: {
          root: string;
          total: { allocatedBytes: number };
          pods: {
            path: string;
            uid: string;
            allocatedBytes: number;
            containers: { path: string; files: string[]; allocatedBytes: number }[];
          }[];
        };
      }>(crifs([...flags(), "du", "--log-root", pods(), "-o", "json"]));
      assert.equal(contractErrors("duLogs", r.logs), null);
      assert.equal(r.logs.root, pods());
      assert.equal(r.logs.total.allocatedBytes, duB1(pods()));
      assert.ok(r.logs.pods.length > 0);
      for (const p of r.logs.pods) {
        assert.equal(p.allocatedBytes, duB1(p.path), p.path);
        for (const c of p.containers) assert.equal(c.allocatedBytes, duB1(c.path), c.path);
      }
      const writer = r.logs.pods
        .find((p) => p.uid === bed().pod.uid)
        ?.containers.find((c) => c.path.endsWith("/writer"));
      assert.deepEqual(writer?.files, ["0.log", "0.log.20260101-000000.gz", "0.log.20260101-000100"]);
      // without --log-root a store named by --root leaves the host's logs alone
      assert.equal(json<{ logs: unknown }>(crifs([...flags(), "du", "-o", "json"])).logs, null);
    });

    test("doctor: a dangling link (pod dir removed, K1), an orphan pod dir and a link naming the wrong container, each found by exactly its check", () => {
      const doctor = () =>
        crifs([
          ...flags(),
          "doctor",
          ...logFlags(),
          "--grace",
          "0",
          "--check",
          "dangling-log-link,log-link-mismatch,orphan-log-dir",
          "-o",
          "json",
        ]);
      const healthy = json<{ findings: Finding[] }>(doctor());
      assert.deepEqual(healthy.findings, [], "the bed's pod is known from its containers' labels");
      const hex = (s: string) => execFileSync("sha256sum", { input: s, encoding: "utf8" }).slice(0, 64);
      // K1: a pod whose log dir was removed, its link left behind
      const gone = join(pods(), "crifs_gone_uid-gone");
      mkdirSync(join(gone, "app"), { recursive: true });
      writeFileSync(join(gone, "app", "0.log"), "2026-01-01T00:00:00Z stdout F bye\n");
      const dangling = join(links(), `gone_crifs_app-${hex("gone")}.log`);
      symlinkSync(join(gone, "app", "0.log"), dangling);
      rmSync(gone, { recursive: true });
      // a pod no runtime knows
      const orphan = join(pods(), "crifs_old_uid-old");
      mkdirSync(join(orphan, "app"), { recursive: true });
      writeFileSync(join(orphan, "app", "0.log"), "2026-01-01T00:00:00Z stdout F old\n".repeat(100));
      // a link naming another container of the pod than its target's
      const wrong = join(links(), `${bed().pod.name}_${bed().pod.namespace}_sidecar-${writerId}.log`);
      symlinkSync(writerLog(), wrong);
      const r = doctor();
      assert.equal(r.status, 1, r.stderr);
      const found = (JSON.parse(r.stdout) as { findings: (Finding & { bytes: number })[] }).findings;
      assert.deepEqual(
        found.map((f) => `${f.check} ${f.path}`).sort(),
        [`dangling-log-link ${dangling}`, `log-link-mismatch ${wrong}`, `orphan-log-dir ${orphan}`].sort(),
      );
      assert.equal(found.find((f) => f.check === "orphan-log-dir")?.bytes, duB1(orphan));
      // each names the pod and container kubelet's names say
      const podOf = (check: string) =>
        (found.find((f) => f.check === check) as { pod?: unknown } | undefined)?.pod;
      assert.deepEqual(podOf("dangling-log-link"), {
        podName: "gone",
        podNamespace: "crifs",
        podUid: "",
        containerName: "app",
      });
      assert.deepEqual(podOf("orphan-log-dir"), {
        podNamespace: "crifs",
        podName: "old",
        podUid: "uid-old",
        containerName: "",
      });
      assert.deepEqual(podOf("log-link-mismatch"), {
        podName: bed().pod.name,
        podNamespace: bed().pod.namespace,
        podUid: "",
        containerName: "sidecar",
      });
      // crifs logs of the dangling link's container: one line, not found
      const gl = crifs([...flags(), "logs", hex("gone"), ...logFlags()]);
      assert.equal(gl.status, 66);
      assert.equal(gl.stderr.split("\n").filter((l) => l !== "").length, 1);
      rmSync(dangling);
      rmSync(wrong);
      rmSync(orphan, { recursive: true });
    });
  });

  if (options.criOnly === true) return;
  describe("docker container logs and the Engine API's view", () => {
    let dbed: DockerBed | undefined;
    const docker = () => {
      if (dbed === undefined) throw new Error("the docker bed is not running (did before() fail?)");
      return dbed;
    };
    const flags = () => ["--runtime", "docker", "--root", docker().root, "--state", docker().execRoot];

    before(async () => {
      dbed = await startDockerBed(getBed().ociArchive);
    });
    after(async () => {
      await dbed?.teardown();
    });

    test("crifs logs of the exited container prints what docker logs prints (its json-file log)", () => {
      const d = docker();
      const want = d.docker(["logs", d.facts.containers.exited]);
      assert.equal(want, "crifs-exited-log-line\n");
      for (const ref of [d.facts.containers.exited, d.facts.containerIds.exited.slice(0, 12)]) {
        const r = crifs([...flags(), "logs", ref]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, want);
      }
      const j = json<{ source: string; path: string }>(
        crifs([...flags(), "logs", d.facts.containers.exited, "-o", "json"]),
      );
      assert.equal(j.source, "docker-config");
      assert.ok(j.path.endsWith(`${d.facts.containerIds.exited}-json.log`));
    });

    test("crifs info shows dockerd's own view when its socket answers, and none for a dead socket", () => {
      const d = docker();
      const [info] = json<
        {
          daemon?: {
            source: string;
            rootDir: string;
            storageDriver: string;
            counts: { containers: number };
            images: { id: string }[];
            containers: { id: string }[];
          };
          counts: { containers: number };
        }[]
      >(crifs([...flags(), "info", "--docker-host", `unix://${d.socket}`, "-o", "json"]));
      assert.equal(info?.daemon?.source, "docker-api");
      assert.equal(info?.daemon?.storageDriver, "overlay2");
      const ids = (args: string[]) => d.docker(args).trim().split("\n").sort();
      assert.deepEqual(info?.daemon?.containers.map((c) => c.id).sort(), ids(["ps", "-aq", "--no-trunc"]));
      assert.deepEqual(
        [...new Set(info?.daemon?.images.map((i) => i.id))].sort(),
        [...new Set(ids(["images", "-q", "--no-trunc"]))].sort(),
      );
      assert.equal(info?.daemon?.counts.containers, info?.counts.containers);
      const [dead] = json<{ daemon?: unknown }[]>(
        crifs([...flags(), "info", "--docker-host", `unix://${join(d.work, "none.sock")}`, "-o", "json"]),
      );
      assert.equal(dead?.daemon, undefined);
    });
  });
}
