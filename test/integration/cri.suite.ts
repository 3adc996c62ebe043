// test/integration/cri.suite.ts — the live mode against real daemons: a CRI bed (its own containerd 1.6
// with the CRI plugin, a pod started the way kubelet starts one) and the main bed's containerd. crifs read
// live must say what CRI said, field for field; read live and from disk it must say the same; a socket that
// refuses or hangs costs one stderr line within --timeout, and the files answer.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { nanosToTime } from "../../src/live/grpc.js";
import type { Bed } from "../bed/bed.js";
import { type CriBed, criBedUnavailable, criSkip, startCriBed } from "../bed/cri-bed.js";
import { bedFlags, contractErrors, crifs, crifsAsync, json } from "./cli.js";

/** ImageFsInfo live vs disk: measured on the bed (containerd 1.6.20, kernel 6.x overlay, one running pod):
 * equal bytes and inodes once containerd's usage sweep has run, because both sum the same snapshots of
 * k8s.io: committed ones by their recorded size, active ones by a walk. The walk can see a few bytes more or
 * less when the app writes between the sweep and crifs's walk; the app writes only to its log (outside the
 * snapshot), so the tolerance is 0 and the test says so. */
const IMAGEFS_TOLERANCE_BYTES = 0;
const IMAGEFS_TOLERANCE_INODES = 0;

interface Row {
  [k: string]: unknown;
}

function criFlags(b: CriBed): string[] {
  return ["--runtime", "containerd", "--root", b.root, "--state", b.state, "--config", b.configPath];
}

const sorted = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));

/** The fields the live and disk models must agree on, per kind of row. */
function comparable(kind: "snapshots" | "containers" | "images", rows: Row[]): Row[] {
  const keyOf = (r: Row) => `${r.namespace}/${String(r.key ?? r.id ?? r.name)}`;
  const rowsSorted = sorted(rows, keyOf);
  if (kind !== "snapshots") return rowsSorted;
  // recordedSize: live it is Usage, which walks active snapshots; only committed ones are recorded
  return rowsSorted.map((r) => ({ ...r, recordedSize: r.kind === "committed" ? r.recordedSize : null }));
}

function liveVsDisk(flags: string[], socket: string, ns: string) {
  for (const kind of ["snapshots", "containers", "images"] as const) {
    const live = crifs(["--address", socket, ...flags, "-n", ns, kind, "-o", "json"]);
    const disk = crifs(["--offline", ...flags, "-n", ns, kind, "-o", "json"]);
    assert.equal(live.stderr, "", `live ${kind} in ${ns} printed: ${live.stderr}`);
    assert.deepEqual(
      comparable(kind, json<Row[]>(live)),
      comparable(kind, json<Row[]>(disk)),
      `${kind} in ${ns}`,
    );
  }
}

export function criSuite(getBed: () => Bed) {
  const unavailable = criBedUnavailable();
  describe("live mode against a CRI containerd", { skip: criSkip(unavailable) }, () => {
    let cbed: CriBed | undefined;
    const cb = (): CriBed => {
      if (cbed === undefined) throw new Error("the CRI bed is not running (did before() fail?)");
      return cbed;
    };
    before(async () => {
      const t0 = Date.now();
      // the CRI bed runs the main bed's containerd line (all.test.ts runs this suite once per line)
      cbed = await startCriBed(getBed().containerd);
      console.log(`cri bed: ${cbed.work} up with pod ${cbed.pod.id.slice(0, 12)} in ${Date.now() - t0} ms`);
    });
    after(async () => {
      await cbed?.teardown();
    });

    test("version -o json says what CRI Version and containerd's Version say", () => {
      const v = json<Row>(crifs(["--address", cb().socket, ...criFlags(cb()), "version", "-o", "json"]));
      assert.equal(contractErrors("version", v), null);
      assert.equal(v.source, "live");
      assert.deepEqual(v.cri, {
        version: "0.1.0",
        runtimeName: "containerd",
        runtimeVersion: (v.containerd as { version: string }).version,
        runtimeApiVersion: "v1",
      });
      const ctr = cb().ctr(["version"]);
      // 2.1's Debian build says "2.1.9+unknown": compared as text, not as a pattern
      const server = /Server:\n\s+Version:\s+(\S+)/.exec(ctr)?.[1];
      assert.equal(server, (v.containerd as { version: string }).version, ctr);
    });

    test("pods -o json equals CRI ListPodSandbox field for field, and from disk the same pod", () => {
      const r = crifs(["--address", cb().socket, ...criFlags(cb()), "pods", "-o", "json"]);
      const rows = json<Row[]>(r);
      assert.equal(contractErrors("pods", rows), null);
      assert.equal(r.stderr, "", "json output has no note");
      assert.deepEqual(
        rows,
        cb().seen.pods.map((p) => ({
          runtime: "containerd",
          namespace: "k8s.io",
          id: p.id,
          name: p.metadata?.name,
          podNamespace: p.metadata?.namespace,
          uid: p.metadata?.uid,
          attempt: p.metadata?.attempt,
          state: p.state === "SANDBOX_READY" ? "ready" : "notready",
          createdAt: nanosToTime(p.created_at),
          labels: p.labels,
          annotations: p.annotations,
          runtimeHandler: p.runtime_handler,
          source: "live",
        })),
      );
      const disk = json<Row[]>(crifs(["--offline", ...criFlags(cb()), "pods", "-o", "json"]));
      assert.equal(contractErrors("pods", disk), null);
      // 1.x: attempt and annotations live in the CRI plugin's memory only; createdAt is containerd's record's
      const strip = (x: Row) => ({ ...x, attempt: 0, annotations: {}, createdAt: null, source: "" });
      assert.deepEqual(disk.map(strip), rows.map(strip));
      // 2.x keeps a sandbox record per pod in meta.db, whose CRI extension has them: read from disk too
      if (cb().containerd.startsWith("2.")) {
        const kept = (x: Row) => ({ id: x.id, attempt: x.attempt, annotations: x.annotations });
        assert.deepEqual(disk.map(kept), rows.map(kept));
        assert.deepEqual(
          disk.map((x) => x.annotations),
          [{ "crifs.test/bed": "cri" }],
        );
      }
    });

    test("ps -o json equals CRI ListContainers field for field, and from disk the same containers", () => {
      const r = crifs(["--address", cb().socket, ...criFlags(cb()), "ps", "-o", "json"]);
      const rows = json<Row[]>(r);
      assert.equal(contractErrors("ps", rows), null);
      assert.deepEqual(
        rows,
        cb().seen.containers.map((c) => ({
          runtime: "containerd",
          namespace: "k8s.io",
          id: c.id,
          name: c.metadata?.name,
          attempt: c.metadata?.attempt,
          podId: c.pod_sandbox_id,
          image: c.image?.image,
          state: "running",
          createdAt: nanosToTime(c.created_at),
          labels: c.labels,
          source: "live",
        })),
      );
      assert.equal(cb().seen.containers[0]?.state, "CONTAINER_RUNNING");
      const disk = json<Row[]>(crifs(["--offline", ...criFlags(cb()), "ps", "-o", "json"]));
      assert.equal(contractErrors("ps", disk), null);
      const strip = (x: Row) => ({ ...x, attempt: null, createdAt: null, source: "" });
      assert.deepEqual(disk.map(strip), rows.map(strip));
    });

    test("images -o json names every CRI image by its tags, digests and id, with CRI's id as configDigest", () => {
      const rows = json<Row[]>(
        crifs(["--address", cb().socket, ...criFlags(cb()), "-n", "k8s.io", "images", "-o", "json"]),
      );
      assert.equal(contractErrors("images", rows), null);
      for (const img of cb().seen.images) {
        const names = rows.filter((r) => r.configDigest === img.id).map((r) => r.name as string);
        assert.deepEqual(names.sort(), [...img.repo_tags, ...img.repo_digests, img.id].sort(), img.id);
      }
      assert.equal(new Set(rows.map((r) => r.configDigest)).size, cb().seen.images.length);
    });

    test("inspect <container> -o json live names the CRI container's pod, image and writable snapshot", () => {
      const c = cb().seen.containers[0];
      assert.ok(c);
      const v = json<Row>(
        crifs(["--address", cb().socket, ...criFlags(cb()), "inspect", c.id, "-o", "json"]),
      );
      assert.equal(v.type, "container");
      assert.equal(v.id, c.id);
      assert.equal(v.snapshotKey, c.id);
      assert.deepEqual(v.pod, {
        podNamespace: cb().pod.namespace,
        podName: cb().pod.name,
        podUid: cb().pod.uid,
        containerName: c.metadata?.name,
      });
      assert.equal((v.task as { status: string }).status, "running");
      const snap = v.snapshot as { kind: string; path: string };
      assert.equal(snap.kind, "active");
      const disk = json<Row>(crifs(["--offline", ...criFlags(cb()), "inspect", c.id, "-o", "json"]));
      assert.deepEqual((disk.snapshot as { path: string }).path, snap.path);
    });

    test("snapshots, containers and images read live equal the files, namespace by namespace (CRI bed)", () => {
      for (const ns of ["k8s.io"]) liveVsDisk(criFlags(cb()), cb().socket, ns);
    });

    test(`imagefsinfo live equals the disk answer within ${IMAGEFS_TOLERANCE_BYTES} bytes once containerd's 10 s usage sweep ran`, async () => {
      type Fs = {
        imageFilesystems: {
          usedBytes: { value: number };
          inodesUsed: { value: number };
          fsId: { mountpoint: string };
        }[];
      };
      const live = async () =>
        json<Fs>(
          await crifsAsync(["--address", cb().socket, ...criFlags(cb()), "imagefsinfo", "-o", "json"]),
        );
      // the sweep (stats_collect_period, default 10 s) must have seen the running pod's snapshots: wait for
      // the first non-zero answer, then for one more sweep so that it covers every snapshot
      const t0 = Date.now();
      let first = await live();
      while ((first.imageFilesystems[0]?.usedBytes.value ?? 0) === 0 && Date.now() - t0 < 25_000) {
        await new Promise((r) => setTimeout(r, 500));
        first = await live();
      }
      await new Promise((r) => setTimeout(r, 10_500));
      const l = (await live()).imageFilesystems[0];
      const d = json<Fs>(crifs(["--offline", ...criFlags(cb()), "imagefsinfo", "-o", "json"]))
        .imageFilesystems[0];
      assert.ok(l && d);
      assert.equal(l.fsId.mountpoint, d.fsId.mountpoint);
      assert.ok(l.usedBytes.value > 0, "the sweep ran");
      const db = Math.abs(l.usedBytes.value - d.usedBytes.value);
      const di = Math.abs(l.inodesUsed.value - d.inodesUsed.value);
      console.log(
        `imagefsinfo live ${l.usedBytes.value} B/${l.inodesUsed.value} inodes, disk ${d.usedBytes.value} B/${d.inodesUsed.value}`,
      );
      assert.ok(db <= IMAGEFS_TOLERANCE_BYTES, `bytes differ by ${db}`);
      assert.ok(di <= IMAGEFS_TOLERANCE_INODES, `inodes differ by ${di}`);
    });

    test("du, snapshots, containers and doctor name the pod and container of the pod's writable layer", () => {
      const b = cb();
      const want = { podNamespace: b.pod.namespace, podName: b.pod.name, podUid: b.pod.uid };
      const flags = ["--offline", ...criFlags(b)];
      type PodRow = { id?: string; key?: string; pod: Record<string, string> | null };
      const du = json<{ containers: PodRow[] }>(crifs([...flags, "du", "-o", "json"]));
      assert.deepEqual(du.containers.find((c) => c.id === b.container.id)?.pod, {
        ...want,
        containerName: b.container.name,
      });
      assert.deepEqual(du.containers.find((c) => c.id === b.pod.id)?.pod, { ...want, containerName: "POD" });
      const ctrs = json<(PodRow & { snapshotKey: string })[]>(crifs([...flags, "containers", "-o", "json"]));
      const app = ctrs.find((c) => c.id === b.container.id);
      assert.deepEqual(app?.pod, { ...want, containerName: b.container.name });
      const snaps = json<(PodRow & { path: string })[]>(
        crifs([...flags, "-n", "k8s.io", "snapshots", "-o", "json"]),
      );
      const upper = snaps.find((x) => x.key === app?.snapshotKey);
      assert.deepEqual(upper?.pod, { ...want, containerName: b.container.name });
      // a finding in the pod's writable layer: a broken link the app would trip over
      const link = join(upper?.path ?? "/nonexistent", "crifs-pod-broken-link");
      symlinkSync("/crifs/no/such/target", link);
      try {
        const r = crifs([...flags, "doctor", "--check", "broken-symlink", "--grace", "0", "-o", "json"]);
        const found = (
          JSON.parse(r.stdout) as { findings: { path: string; pod: Record<string, string> | null }[] }
        ).findings.find((f) => f.path === link);
        assert.ok(found, `no finding for ${link}: ${r.stdout.slice(0, 500)}`);
        assert.deepEqual(found.pod, { ...want, containerName: b.container.name });
        const table = crifs([...flags, "doctor", "--check", "broken-symlink", "--grace", "0"]);
        assert.ok(
          table.stdout.includes(`pod ${b.pod.namespace}/${b.pod.name} ${b.container.name}: ${link}`),
          table.stdout,
        );
      } finally {
        rmSync(link);
      }
    });

    test("stats -o json lists the running container with its memory and CPU", () => {
      const rows = json<Row[]>(crifs(["--address", cb().socket, ...criFlags(cb()), "stats", "-o", "json"]));
      assert.equal(contractErrors("stats", rows), null);
      assert.deepEqual(
        rows.map((r) => r.id),
        [cb().container.id],
      );
    });

    test("inspectp <pod name> live has CRI's status; from disk the pod with its app container", () => {
      const v = json<Row>(
        crifs(["--address", cb().socket, ...criFlags(cb()), "inspectp", "demo", "-o", "json"]),
      );
      assert.equal(v.id, cb().pod.id);
      assert.equal((v.status as { state: string }).state, "SANDBOX_READY");
      const d = json<Row>(crifs(["--offline", ...criFlags(cb()), "inspectp", "demo", "-o", "json"]));
      assert.deepEqual(
        (d.containers as { id: string; name: string }[]).map((c) => [c.id, c.name]),
        [[cb().container.id, "app"]],
      );
    });

    test("table output says on one stderr line that it read live", () => {
      const r = crifs(["--address", cb().socket, ...criFlags(cb()), "pods"]);
      assert.equal(r.status, 0);
      assert.equal(r.stderr, `crifs: read live from ${cb().socket} (--offline reads the files)\n`);
      assert.match(r.stdout, /demo\s+crifs/);
    });

    test("doctor finds no metadata-mismatch while the daemon and its files agree", () => {
      const r = crifs([
        "--address",
        cb().socket,
        ...criFlags(cb()),
        "doctor",
        "--grace",
        "0",
        "--check",
        "metadata-mismatch",
        "-o",
        "json",
      ]);
      assert.equal(r.status, 0, r.stderr);
      const d = JSON.parse(r.stdout) as { findings: Row[]; summary: { checksRun: string[] } };
      assert.deepEqual(d.summary.checksRun, ["metadata-mismatch"]);
      assert.deepEqual(d.findings, []);
    });

    // last in this describe: it leaves the daemon on a replaced meta.db
    test("meta.db replaced behind the running daemon by an older copy: metadata-mismatch names the snapshot only the daemon has", () => {
      const b = cb();
      const meta = join(b.root, "io.containerd.metadata.v1.bolt", "meta.db");
      copyFileSync(meta, `${meta}.old`);
      b.ctr(["snapshots", "prepare", "crifs-mm-after-copy"], "k8s.io");
      renameSync(`${meta}.old`, meta); // the daemon keeps the inode it opened; the files now lack the record
      const r = crifs([
        "--address",
        b.socket,
        ...criFlags(b),
        "doctor",
        "--grace",
        "0",
        "--check",
        "metadata-mismatch",
        "-o",
        "json",
      ]);
      assert.equal(r.status, 2, r.stderr);
      const d = JSON.parse(r.stdout) as {
        findings: { check: string; subject: string; path: string; message: string }[];
      };
      assert.deepEqual(
        d.findings.map((f) => [f.check, f.subject, f.path]),
        [["metadata-mismatch", "snapshot k8s.io/overlayfs/crifs-mm-after-copy", meta]],
      );
      assert.match(
        d.findings[0]?.message ?? "",
        /containerd lists snapshot .* but the files on disk have no such record/,
      );
      // read from disk alone, crifs cannot know: the check stays silent
      const off = crifs([
        "--offline",
        ...criFlags(b),
        "doctor",
        "--grace",
        "0",
        "--check",
        "metadata-mismatch",
        "-o",
        "json",
      ]);
      assert.deepEqual((JSON.parse(off.stdout) as { findings: unknown[] }).findings, []);
    });
  });

  describe("live mode against the main bed's containerd", () => {
    test("snapshots, containers and images read live equal the files, namespace by namespace", async () => {
      const bed = getBed();
      await bed.startContainerd(); // a suite before may have left it stopped (containerd's offline x-ray does)
      for (const ns of ["default", "k8s.io"]) liveVsDisk(bedFlags(bed), bed.socket, ns);
    });
  });

  describe("a socket that refuses or hangs", () => {
    let dir = "";
    let hang: Server | undefined;
    before(async () => {
      dir = execFileSync("mktemp", ["-d", "/tmp/crifs-sock.XXXXXX"], { encoding: "utf8" }).trim();
      // accepts every connection and never answers: gRPC's handshake never completes
      hang = createServer(() => {});
      await new Promise<void>((r) => hang?.listen(join(dir, "hang.sock"), r));
      // a socket file nobody listens on: bound, then the process exits without unlinking it
      execFileSync("python3", [
        "-c",
        `import socket;socket.socket(socket.AF_UNIX).bind("${join(dir, "refused.sock")}")`,
      ]);
    });
    after(() => {
      hang?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const [name, why] of [
      ["hang.sock", /did not answer within 1s; reading the files instead$/],
      ["refused.sock", /connection refused \(nothing listens\); reading the files instead$/],
    ] as const) {
      test(`${name}: one stderr line within --timeout 1s, and the disk answer`, async () => {
        const flags = bedFlags(getBed());
        const t0 = Date.now();
        const r = await crifsAsync([
          "--address",
          join(dir, name),
          "--timeout",
          "1s",
          ...flags,
          "images",
          "-o",
          "json",
        ]);
        const took = Date.now() - t0;
        const disk = crifs(["--offline", ...flags, "images", "-o", "json"]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, disk.stdout);
        const lines = r.stderr.split("\n").filter((l) => l !== "");
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0] ?? "", /^crifs: /);
        assert.match(lines[0] ?? "", why);
        // 1 s deadline + node start + the disk read
        assert.ok(took < 1000 + 4000, `took ${took} ms`);
      });
    }
  });
}
