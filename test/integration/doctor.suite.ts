// test/integration/doctor.suite.ts — `crifs doctor` and `crifs why` against the real bed: quiet on the healthy
// store (daemon stopped, running, and under churn), then every containerd fault test/bed/60-faults.sh lists
// injected for real (F8 zero-fills a layer file for --verify) and each reported by
// exactly its check, with the right path and bytes (du -s -B1), and nothing else. Runs LAST: the faults are
// not undone (teardown removes the bed).
//
// The healthy bed is not quite silent: every container's root shows the host-only link the bed plants on
// purpose (layer 2's data/host-only-link), and doctor must report exactly that, once per container, and no
// other finding of any check. With faults injected, the comparisons speak for the checks listed in MINE.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { type CliResult, contractErrors, crifs, crifsAsync, REPO } from "./cli.js";

const MINE = new Set([
  "metadata-corrupt",
  "unreadable-path",
  "root-link-unsafe",
  "missing-snapshot-dir",
  "dangling-parent",
  "orphan-snapshot-dir",
  "unreferenced-snapshot",
  "missing-blob",
  "unreferenced-blob",
  "blob-digest-mismatch",
  "stale-ingest",
  "tmpmount-leftover",
  "stale-mount",
  "broken-symlink",
  "layer-content-mismatch",
]);

interface Finding {
  check: string;
  severity: string;
  subject: string;
  path: string;
  bytes: number | null;
  message: string;
  remedy: string;
}
interface Report {
  findings: Finding[];
  summary: { errors: number; warnings: number; infos: number; bytesReclaimable: number; checksRun: string[] };
}
interface Why {
  object: { kind: string; namespace: string | null; name: string; path: string };
  alive: boolean;
  chains: { kind: string; namespace: string; name: string }[][];
}

function storeFlags(bed: Bed, root = bed.root): string[] {
  return ["--runtime", "containerd", "--root", root, "--state", bed.state, "--config", bed.configPath];
}

/** doctor's JSON (its exit code is 0, 1 or 2 by design, so json() from cli.ts does not fit). */
function report(r: CliResult): Report {
  assert.ok([0, 1, 2].includes(r.status), `doctor exited ${r.status}: ${r.stderr}`);
  assert.equal(r.stderr, "", "doctor wrote to stderr");
  const data = JSON.parse(r.stdout) as Report;
  assert.equal(contractErrors("doctor", data), null);
  const worst = data.findings.some((f) => f.severity === "error")
    ? 2
    : data.findings.some((f) => f.severity === "warning")
      ? 1
      : 0;
  assert.equal(r.status, worst, "the exit code follows the worst finding");
  return data;
}

function mine(r: Report): Finding[] {
  return r.findings.filter((f) => MINE.has(f.check));
}

/** "check path bytes", sorted: what a fault must produce. */
function briefs(fs: readonly Finding[]): string[] {
  return fs.map((f) => `${f.check} ${f.path} ${f.bytes ?? "-"}`).sort();
}

/** "check path bytes subject", sorted. */
function fullBriefs(fs: readonly Finding[]): string[] {
  return fs.map((f) => `${f.check} ${f.path} ${f.bytes ?? "-"} ${f.subject}`).sort();
}

/**
 * The planted host-only link as broken-symlink reports it: once per container of the bed (all four show it),
 * the link file in its namespace's layer 2 (`root` as given to crifs), in fullBriefs form. Sorted.
 */
function hostOnlyLinks(bed: Bed, root = bed.root): string[] {
  const f = bed.facts;
  const sn = join(root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
  const link = (layers: readonly string[]) => join(sn, layers[2] ?? "", "fs", "data", "host-only-link");
  return [
    [link(f.snapshotDirs.defaultLayers), "default", f.containers.running],
    [link(f.snapshotDirs.defaultLayers), "default", f.containers.exited],
    [link(f.snapshotDirs.defaultLayers), "default", f.containers.created],
    [link(f.snapshotDirs.k8sLayers), "k8s.io", f.containers.k8sRunning],
  ]
    .map(([path, ns, id]) => `broken-symlink ${path} 0 container ${ns}/${id}: /data/host-only-link`)
    .sort();
}

/** hostOnlyLinks in briefs form (no subject). */
function hostOnlyBriefs(bed: Bed, root = bed.root): string[] {
  return hostOnlyLinks(bed, root).map((l) => l.split(" ").slice(0, 3).join(" "));
}

function du(path: string): number {
  return Number(execFileSync("du", ["-s", "-B1", "-x", path], { encoding: "utf8" }).split("\t")[0]);
}

function why(bed: Bed, args: string[]): Why {
  const r = crifs([...storeFlags(bed), "why", ...args, "-o", "json"]);
  assert.equal(r.status, 0, r.stderr);
  const data = JSON.parse(r.stdout) as Why;
  assert.equal(contractErrors("why", data), null);
  return data;
}

/** `s` as a regular expression matching itself. */
function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Lets containerd finish the garbage collection that earlier suites may have cut short by stopping it (a GC
 * pass killed between its bolt commit and its RemoveAll leaves a real orphan dir, which doctor rightly
 * reports): a removal in the overlayfs snapshotter, then a synchronous GC through a lease deletion, which
 * also removes every orphan dir. containerd must be running. The bed is then as containerd leaves it.
 */
function settle(bed: Bed): void {
  const ns = "crifs-doctor-settle";
  bed.ctr(["snapshots", "prepare", "settle"], ns);
  bed.ctr(["snapshots", "rm", "settle"], ns);
  bed.ctr(["leases", "create", "--id", "settle"], ns);
  bed.ctr(["leases", "rm", "--sync", "settle"], ns);
  bed.ctr(["namespaces", "rm", ns]);
}

function chainText(c: { kind: string; name: string }[]): string {
  return c.map((s) => `${s.kind}:${s.name}`).join(" > ");
}

export function doctorSuite(getBed: () => Bed) {
  describe("doctor on the healthy bed", () => {
    test("doctor reports only the planted host-only link, once per container, with containerd stopped, also with --grace 0, --quick and --verify", async () => {
      const bed = getBed();
      await bed.startContainerd();
      settle(bed);
      await bed.stopContainerd();
      for (const extra of [[], ["--grace", "0"], ["--quick"], ["--verify", "--grace", "0"]]) {
        const r = report(crifs([...storeFlags(bed), "doctor", ...extra, "-o", "json"]));
        assert.deepEqual(fullBriefs(r.findings), hostOnlyLinks(bed), extra.join(" "));
        assert.ok(r.summary.checksRun.includes("orphan-snapshot-dir"));
        assert.ok(r.summary.checksRun.includes("broken-symlink"), "links are cheap: also with --quick");
        assert.equal(r.summary.checksRun.includes("layer-content-mismatch"), extra.includes("--verify"));
        const link = r.findings[0];
        assert.equal(link?.severity, "warning");
        assert.ok(link?.message.includes(`-> ${bed.hostOnlyTarget} `), link?.message);
        assert.match(link?.message ?? "", /the target exists on this host but not in the image/);
        assert.match(link?.message ?? "", /comes from image layer sha256:\w+/);
      }
    });

    test("doctor reports only the planted host-only link with containerd running, and the table says so", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const r = report(crifs([...storeFlags(bed), "doctor", "-o", "json"]));
      assert.deepEqual(fullBriefs(r.findings), hostOnlyLinks(bed));
      const t = crifs([...storeFlags(bed), "doctor", "--check", "orphan-snapshot-dir,missing-blob"]);
      assert.equal(t.status, 0, t.stderr);
      assert.match(
        t.stdout,
        /^no problems found\n0 error\(s\), 0 warning\(s\), 0 info\(s\); 0 B reclaimable; 2 checks run/,
      );
    });

    test("doctor raises no false alarm while a churn loop creates and removes containers and snapshots", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const churn = bed.startChurn("doctor-churn");
      let runs = 0;
      // --grace 0 leaves only the two reads, 200 ms apart: a snapshot whose dir the snapshotter made but whose
      // bolt commit is still being written back (two CI runs on one disk: seen once on the 2.1 bed) is in
      // both. Such a dir must be gone or named a moment later, once the churn stops: then it was in flight,
      // not a false alarm. Anything else, and any finding with the default grace, fails at once.
      const inFlight = new Set<string>();
      try {
        // not before the loop's setup import is done and its leftover index blob collected (70-churn.sh)
        await churn.ready;
        const deadline = Date.now() + 8000;
        while (Date.now() < deadline) {
          const [plain, zero] = await Promise.all([
            crifsAsync([...storeFlags(bed), "doctor", "-o", "json"]),
            crifsAsync([...storeFlags(bed), "doctor", "--grace", "0", "--quick", "-o", "json"]),
          ]);
          const zeroReport = report(zero);
          for (const [name, r] of [
            ["default grace", report(plain)],
            ["--grace 0: only the two reads protect it", zeroReport],
          ] as const) {
            // the churn loop's containers come from bb:latest: their roots show the host-only link too
            const other = r.findings.filter(
              (f) => f.check !== "broken-symlink" || !f.subject.endsWith(": /data/host-only-link"),
            );
            const moving = r === zeroReport ? other.filter((f) => f.check === "orphan-snapshot-dir") : [];
            for (const f of moving) inFlight.add(f.path);
            assert.deepEqual(fullBriefs(other.filter((f) => !moving.includes(f))), [], name);
            const links = fullBriefs(r.findings);
            for (const l of hostOnlyLinks(bed)) assert.ok(links.includes(l), `${name}: ${l}`);
          }
          runs++;
        }
      } finally {
        const cycles = await churn.stop();
        console.log(
          `doctor under churn: ${runs} clean runs during ${cycles} churn cycles; ${inFlight.size} dir(s) in flight with --grace 0`,
        );
        assert.ok(cycles > 0, "the churn loop did no cycle: the test proved nothing");
        if (inFlight.size > 0) {
          await new Promise((r) => setTimeout(r, 2000));
          const after = report(
            await crifsAsync([...storeFlags(bed), "doctor", "--grace", "0", "--quick", "-o", "json"]),
          );
          const still = after.findings.filter((f) => inFlight.has(f.path)).map((f) => f.path);
          assert.deepEqual(still, [], "an orphan dir --grace 0 reported under churn is still one after it");
        }
      }
    });

    // issue 13 item 10: a blob written and committed while an image record is made, a snapshot committed, a
    // lease coming and going: containerd protects each (leases, labels, gc.root, ingests), and so must doctor
    test("doctor --grace 0 calls nothing unreferenced while imports, ingests, snapshot commits, containers and leases churn at once", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const churn = bed.startChurn("doctor-gc-churn", "gc");
      let runs = 0;
      const seen: Finding[] = [];
      let cycles = 0;
      try {
        await churn.ready;
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          const flags = [...storeFlags(bed), "doctor", "--grace", "0", "--quick", "-o", "json"];
          const both = await Promise.all([crifsAsync(flags), crifsAsync(flags)]);
          for (const r of both)
            seen.push(
              ...report(r).findings.filter(
                (f) => f.check !== "broken-symlink" || !f.subject.endsWith(": /data/host-only-link"),
              ),
            );
          runs++;
        }
      } finally {
        cycles = await churn.stop();
      }
      const out = churn.output();
      console.log(
        `doctor under gc churn: ${runs} rounds of two runs during ${out.replace(/^(ready|unprotected=\S+)\n/gm, "").replace(/\n/g, " ")}`,
      );
      // ctr ingests without a lease: such a blob is garbage until labelled, and saying so is no false alarm
      const unprotected = [...out.matchAll(/^unprotected=(\S+)$/gm)].map((m) => m[1] ?? "");
      // Under --grace 0 only time protects three kinds of object, and only while they are in flight: a removed
      // snapshot's dir (containerd's overlayfs snapshotter deletes it at its next GC pass, not at once), an
      // ingest being written (its writer's lock lives in containerd's memory, not on disk), and a blob that
      // `images rm --sync` has just released (garbage until its GC pass ends; on a loaded machine containerd
      // 2.1's pass outlasted doctor's pause between its two reads, once in three runs). doctor reports them
      // truly while they wait; each must be gone once the loops end (with a synchronous GC pass): one still
      // there then would be a leak or a misread reference, which is what those checks are for
      const inFlight = new Set(["orphan-snapshot-dir", "stale-ingest", "unreferenced-blob"]);
      // what may wait for GC as unreferenced: the blobs the loops release (the archive's, which import and
      // images rm bring and release, and the ingests); any other blob called unreferenced is a false alarm
      const released = [
        ...unprotected,
        ...execFileSync("tar", ["-tf", bed.ociArchive], { encoding: "utf8" })
          .split("\n")
          .flatMap((l) => /^(?:\.\/)?blobs\/sha256\/([0-9a-f]{64})$/.exec(l)?.slice(1) ?? [])
          .map((hex) => `sha256:${hex}`),
      ];
      const waited = seen.filter((f) => inFlight.has(f.check));
      const after = report(
        crifs([
          ...storeFlags(bed),
          "doctor",
          "--grace",
          "0",
          "--check",
          [...inFlight].join(","),
          "-o",
          "json",
        ]),
      );
      assert.deepEqual(
        fullBriefs(after.findings),
        [],
        "left after the churn and containerd's GC pass: a leak",
      );
      if (waited.length > 0)
        console.log(
          `doctor under gc churn: ${waited.length} in-flight object(s) seen, all gone after the churn`,
        );
      const falseAlarms = seen.filter(
        (f) =>
          !(inFlight.has(f.check) && f.check !== "unreferenced-blob") &&
          !(f.check === "unreferenced-blob" && released.some((d) => f.subject.endsWith(d))),
      );
      assert.deepEqual(fullBriefs(falseAlarms), []);
      for (const kind of ["import", "ingest", "snapshot", "container", "lease"])
        assert.ok(
          Number(new RegExp(`^${kind}=(\\d+)$`, "m").exec(out)?.[1] ?? 0) > 0,
          `no ${kind} cycle: ${out}`,
        );
      assert.ok(runs >= 5 && cycles > 0, `only ${runs} doctor rounds`);
    });

    test("why names the image (index → manifest → config → snapshot) and the containers that keep a layer alive", () => {
      const bed = getBed();
      const f = bed.facts;
      const w = why(bed, ["-n", "default", f.snapshots.topChainId]);
      assert.equal(w.alive, true);
      assert.deepEqual(w.object, {
        kind: "snapshot",
        namespace: "default",
        name: `overlayfs/${f.snapshots.topChainId}`,
        path: join(bed.snapshotsDir, f.snapshotDirs.defaultLayers[0] ?? ""),
      });
      const texts = w.chains.map(chainText);
      const top = `snapshot:overlayfs/${f.snapshots.topChainId}`;
      assert.ok(
        texts.some((t) =>
          new RegExp(
            `^image:${literal(f.images.latest)} > blob:sha256:\\w+ > blob:sha256:\\w+ > ${literal(top)}$`,
          ).test(t),
        ),
        texts.join("\n"),
      );
      assert.ok(
        texts.includes(
          `container:${f.containers.running} > snapshot:overlayfs/${f.containers.running} > ${top}`,
        ),
      );
      assert.ok(texts.some((t) => t.startsWith("label:containerd.io/gc.root=") && t.includes("crifs-view")));
      // a dir path names the same snapshot: the base layer, under every chain above plus its parents
      const base = f.snapshotDirs.defaultLayers.at(-1) ?? "";
      const b = why(bed, [join(bed.snapshotsDir, base, "fs")]);
      assert.equal(b.object.path, join(bed.snapshotsDir, base));
      assert.ok(b.chains.length > w.chains.length, "the base layer is held by more chains than the top one");
      const table = crifs([...storeFlags(bed), "-n", "default", "why", f.snapshots.topChainId]);
      assert.match(table.stdout, /kept alive by \d+ chain\(s\):\n {2}/);
    });
  });

  describe("doctor on the bed with every fault injected (F1–F8, a relative root link)", () => {
    const p = new Map<string, string>();

    before(async () => {
      const bed = getBed();
      const out = execFileSync("bash", [join(REPO, "test", "bed", "60-faults.sh")], {
        env: { ...process.env, CRIFS_BED: bed.work },
        encoding: "utf8",
      });
      for (const line of out.split("\n")) {
        const eq = line.indexOf("=");
        if (eq > 0) p.set(line.slice(0, eq), line.slice(eq + 1));
      }
      assert.equal(bed.isContainerdRunning(), false, "60-faults.sh leaves containerd stopped");
    });

    const path = (k: string) => {
      const v = p.get(`fault.${k}.path`) ?? p.get(`fault.${k}`);
      assert.ok(v, `60-faults.sh gave no ${k}`);
      return v;
    };
    /** Every fault → exactly its check, its path, its bytes. */
    const expected = () => [
      `orphan-snapshot-dir ${path("F1")} ${du(path("F1"))}`,
      `missing-snapshot-dir ${path("F2")} 0`,
      `unreferenced-blob ${path("F3")} ${du(path("F3"))}`,
      `stale-ingest ${path("F4")} ${du(path("F4"))}`,
      `tmpmount-leftover ${path("F5")} ${du(path("F5"))}`,
      `dangling-parent ${path("F6")} 0`,
      `missing-blob ${path("F7")} 0`,
      ...hostOnlyBriefs(getBed()),
    ];

    test("--grace 0: each fault is reported by exactly its check with its path and bytes, and nothing else", () => {
      const bed = getBed();
      const r = report(crifs([...storeFlags(bed), "doctor", "--grace", "0", "-o", "json"]));
      assert.deepEqual(briefs(mine(r)), expected().sort());
      const sev = new Map(mine(r).map((f) => [f.check, f.severity]));
      for (const c of ["missing-snapshot-dir", "dangling-parent", "missing-blob"])
        assert.equal(sev.get(c), "error", c);
      for (const c of ["orphan-snapshot-dir", "unreferenced-blob", "stale-ingest", "tmpmount-leftover"])
        assert.equal(sev.get(c), "warning", c);
      assert.ok(
        r.summary.bytesReclaimable >= du(path("F1")) + du(path("F3")) + du(path("F4")) + du(path("F5")),
      );
      for (const f of mine(r)) assert.notEqual(f.remedy, "", `${f.check} has a remedy`);
    });

    test("with a grace longer than the bed's age every fault is taken as still in flight: only the planted link is reported", () => {
      const bed = getBed();
      const r = report(crifs([...storeFlags(bed), "doctor", "--grace", "86400", "-o", "json"]));
      // the planted link is not in flight: it is broken whatever its age
      assert.deepEqual(fullBriefs(r.findings), hostOnlyLinks(bed));
    });

    test("a relative symlink as --root is root-link-unsafe, and the other faults are found through it", () => {
      const bed = getBed();
      const link = path("rootLink");
      const r = report(crifs([...storeFlags(bed, link), "doctor", "--grace", "0", "-o", "json"]));
      const viaLink = expected().map((e) => e.split(bed.root).join(link));
      assert.deepEqual(briefs(mine(r)), [...viaLink, `root-link-unsafe ${link} 0`].sort());
    });

    test("--verify --grace 0: the zero-filled file is layer-content-mismatch for exactly its layer, named in the message", () => {
      const bed = getBed();
      const r = report(crifs([...storeFlags(bed), "doctor", "--verify", "--grace", "0", "-o", "json"]));
      assert.deepEqual(briefs(mine(r)), [...expected(), `layer-content-mismatch ${path("F8")} 0`].sort());
      const f = r.findings.find((x) => x.check === "layer-content-mismatch");
      assert.equal(f?.severity, "error");
      assert.equal(f?.subject, `snapshot default/overlayfs/${bed.facts.snapshots.smallTopChainId}`);
      assert.match(
        f?.message ?? "",
        /differs from layer 2 of image default\/\S+ \(blob sha256:\w+\) in 1 path\(s\): \/data\/layer2\.txt: contents differ \(sha256 \w+… on disk, \w+… in the layer, all zero bytes on disk\)$/,
      );
      assert.ok(p.get("fault.F8.file")?.startsWith(path("F8")), "the zero-filled file lies in that layer");
    });

    test("--check runs only the named checks, and --quick leaves walked bytes unmeasured", () => {
      const bed = getBed();
      const only = report(
        crifs([...storeFlags(bed), "doctor", "--grace", "0", "--check", "orphan-snapshot-dir", "-o", "json"]),
      );
      assert.deepEqual(only.summary.checksRun, ["orphan-snapshot-dir"]);
      assert.deepEqual(briefs(only.findings), [`orphan-snapshot-dir ${path("F1")} ${du(path("F1"))}`]);
      const quick = report(crifs([...storeFlags(bed), "doctor", "--grace", "0", "--quick", "-o", "json"]));
      const walked = mine(quick).filter(
        (f) => f.check === "orphan-snapshot-dir" || f.check === "tmpmount-leftover",
      );
      assert.deepEqual(
        walked.map((f) => f.bytes),
        [null, null],
      );
      const bad = crifs([...storeFlags(bed), "doctor", "--check", "no-such-check"]);
      assert.equal(bad.status, 64);
      assert.match(bad.stderr, /^crifs: unknown check "no-such-check" \(hint: use one of /);
    });

    test("the table shows one line per finding: severity, check, subject, path, bytes, remedy; exit 2", () => {
      const bed = getBed();
      const t = crifs([...storeFlags(bed), "doctor", "--grace", "0"]);
      assert.equal(t.status, 2, t.stderr);
      const lines = t.stdout.split("\n");
      assert.match(lines[0] ?? "", /^SEVERITY\s+CHECK\s+SUBJECT\s+PATH\s+BYTES\s+REMEDY$/);
      const row = lines.find((l) => l.includes(path("F1")));
      assert.match(
        row ?? "",
        new RegExp(
          `^warning\\s+orphan-snapshot-dir\\s+\\S.*?\\s+${literal(path("F1"))}\\s+\\d+\\.\\d KiB\\s+nothing can reach it`,
        ),
      );
    });

    test("why: an orphan dir and an unrecorded blob are garbage; the F6 child lives by its gc.root label", () => {
      const bed = getBed();
      const orphan = why(bed, [path("F1")]);
      assert.deepEqual([orphan.object.kind, orphan.alive, orphan.chains], ["dir", false, []]);
      const blob = why(bed, [path("F3")]);
      assert.deepEqual([blob.object.kind, blob.alive], ["blob", false]);
      const text = crifs([...storeFlags(bed), "why", path("F3")]);
      assert.match(text.stdout, /\nnothing: it is garbage\n$/);
      const child = why(bed, ["-n", "faults", "child"]);
      assert.equal(child.alive, true);
      assert.deepEqual(
        child.chains.map((c) => c.map((s) => s.kind)),
        [["label", "snapshot"]],
      );
    });
  });

  describe("doctor on a corrupt meta.db", () => {
    let dir = "";
    after(() => {
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    });

    test("both meta pages damaged: one metadata-corrupt finding, the metadata checks skipped, exit 2, no crash", () => {
      const bed = getBed();
      dir = mkdtempSync("/var/tmp/crifs-doctor-corrupt-");
      const root = join(dir, "root");
      mkdirSync(join(root, "io.containerd.metadata.v1.bolt"), { recursive: true });
      const meta = join(root, "io.containerd.metadata.v1.bolt", "meta.db");
      copyFileSync(join(bed.root, "io.containerd.metadata.v1.bolt", "meta.db"), meta);
      const fd = openSync(meta, "r+");
      writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, 0); // pages 0 and 1: both metas
      closeSync(fd);
      const r = crifs([
        "--runtime",
        "containerd",
        "--root",
        root,
        "--state",
        join(dir, "state"),
        "doctor",
        "-o",
        "json",
      ]);
      const data = report(r);
      assert.equal(r.status, 2);
      assert.deepEqual(briefs(mine(data)), [`metadata-corrupt ${meta} 0`]);
      assert.ok(!data.summary.checksRun.includes("orphan-snapshot-dir"));
    });
  });
}
