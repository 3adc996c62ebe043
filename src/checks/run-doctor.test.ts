import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { arrayRows } from "../links/broken-link-rows.js";
import type { BrokenLink } from "../links/broken-links.js";
import { brokenSymlink } from "./broken-symlink.js";
import { type Check, EVERY_RUNTIME } from "./check.js";
import type { DoctorInput } from "./doctor-input.js";
import { checks } from "./index.js";
import { doctorExitCode, eachFinding, runDoctor } from "./run-doctor.js";
import { NOW, PATHS, scenario } from "./testing.js";

/** A read that returns the given inputs in turn. */
function reads(...inputs: DoctorInput[]): () => Promise<DoctorInput> {
  let i = 0;
  return async () => inputs[Math.min(i++, inputs.length - 1)] as DoctorInput;
}

test("only findings both reads agree on are reported (a dir created or removed in between is not)", async () => {
  const first = scenario().orphanDir("gone-by-second").orphanDir("steady").input();
  const second = scenario().orphanDir("steady").orphanDir("new-since-first").input();
  const r = await runDoctor({ read: reads(first, second), checks, mode: "quick", pauseMs: 0 });
  assert.deepEqual(
    r.findings.map((f) => f.subject),
    ["overlayfs dir steady"],
  );
  assert.equal(r.findings[0]?.bytes, null, "--quick leaves walked bytes unmeasured");
  assert.equal(doctorExitCode(r.summary), 1);
});

test("with unreadable metadata only metadata-corrupt and the disk-only checks run, and doctor exits 2", async () => {
  const input = scenario()
    .orphanDir("9999")
    .tmpmount("containerd-mount1")
    .corruptMetadata(PATHS.metaDb, "bad")
    .input();
  const r = await runDoctor({ read: reads(input), checks, mode: "quick", pauseMs: 0 });
  assert.deepEqual(
    r.findings.map((f) => f.check),
    ["metadata-corrupt", "tmpmount-leftover"],
  );
  assert.ok(r.summary.checksSkipped.some((s) => s.id === "orphan-snapshot-dir"));
  assert.ok(!r.summary.checksRun.includes("orphan-snapshot-dir"));
  assert.equal(doctorExitCode(r.summary), 2);
});

test("a clean store gives no findings and exit 0; infos alone still exit 0", async () => {
  const clean = scenario().image("default", "bb", "sha256:a").blob("default", "sha256:a").input();
  const r = await runDoctor({ read: reads(clean), checks, pauseMs: 0 });
  assert.deepEqual(r.findings, []);
  assert.equal(doctorExitCode(r.summary), 0);
  const info = await runDoctor({
    read: reads(scenario().orphanDir("new-1").input()),
    checks,
    mode: "quick",
    pauseMs: 0,
  });
  assert.deepEqual([info.summary.infos, doctorExitCode(info.summary)], [1, 0]);
});

test("a check that throws becomes an error finding and the others still run", async () => {
  const broken: Check = {
    id: "broken",
    needs: [],
    runtimes: EVERY_RUNTIME,
    summary: "",
    run() {
      throw new Error("boom");
    },
  };
  const r = await runDoctor({
    read: reads(scenario().tmpmount("x").input()),
    checks: [broken, ...checks],
    mode: "quick",
    pauseMs: 0,
  });
  assert.deepEqual(
    r.findings.map((f) => `${f.severity} ${f.check}`),
    ["error broken", "warning tmpmount-leftover"],
  );
});

test("a check with 300,000 findings runs (issue 15: a bad image's broken links overflowed the stack)", async () => {
  const many: Check = {
    id: "many",
    needs: [],
    runtimes: EVERY_RUNTIME,
    summary: "",
    run: () =>
      Array.from({ length: 300_000 }, (_, i) => ({
        check: "many",
        severity: "info" as const,
        subject: `item ${i}`,
        path: `/x/${i}`,
        bytes: 0,
        message: "",
        remedy: "",
      })),
  };
  const r = await runDoctor({ read: reads(scenario().input()), checks: [many], mode: "quick", pauseMs: 0 });
  assert.equal(r.findings.length, 300_000);
  assert.equal(r.summary.infos, 300_000);
});

test("the default mode measures walked findings like du -s -B1, and sums them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-doctor-"));
  const a = join(dir, "a");
  mkdirSync(join(a, "fs"), { recursive: true });
  writeFileSync(join(a, "fs", "f"), Buffer.alloc(10_000, 1));
  const base = scenario().orphanDir("a").input();
  const input: DoctorInput = {
    ...base,
    snapshotters: base.snapshotters.map((s) => ({ ...s, dirs: s.dirs.map((d) => ({ ...d, path: a })) })),
  };
  const r = await runDoctor({ read: reads(input), checks, pauseMs: 0 });
  const du = Number(execFileSync("du", ["-s", "-B1", a], { encoding: "utf8" }).split("\t")[0]);
  assert.equal(r.findings[0]?.bytes, du);
  assert.equal(r.summary.bytesReclaimable, du);
});

test("broken links are found on the second read alone, made one at a time, in report order among the other findings", async () => {
  const link = (container: string, path: string, dir: string): BrokenLink => ({
    namespace: "default",
    container,
    path,
    target: "/nowhere",
    layer: { index: 1, key: `k${dir}`, id: dir, hostPath: `/r/snapshots/${dir}/fs${path}` },
    reason: "ENOENT",
    at: "/nowhere",
    isHostOnly: false,
    isInLowerLayer: true,
  });
  // the second read's links: not in report order (by layer path, then subject); the first read has none,
  // as doctor's first read keeps only where they are (linkCandidates)
  const brokenLinks = [
    arrayRows("default", "c2", [link("c2", "/b", "7")]),
    arrayRows("default", "c1", [link("c1", "/a", "9"), link("c1", "/b", "7"), link("c1", "/z", "10")]),
  ];
  const first = scenario().tmpmount("x").input();
  const second = { ...scenario().tmpmount("x").input(), brokenLinks };
  const r = await runDoctor({ read: reads(first, second), checks, mode: "quick", pauseMs: 0 });
  const expected = brokenSymlink
    .run(second)
    .map((f) => ({ ...f, pod: null }))
    .sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : x.subject < y.subject ? -1 : 1));
  assert.deepEqual(
    r.findings.filter((f) => f.check === "broken-symlink"),
    expected,
  );
  assert.deepEqual(
    expected.map((f) => f.subject),
    [
      "container default/c1: /z",
      "container default/c1: /b",
      "container default/c2: /b",
      "container default/c1: /a",
    ],
  );
  assert.deepEqual([...eachFinding(r)], r.findings, "streamed as gathered");
  assert.deepEqual(
    r.findings.map((f) => f.check),
    ["tmpmount-leftover", "broken-symlink", "broken-symlink", "broken-symlink", "broken-symlink"],
  );
  assert.equal(r.summary.warnings, 5);
});

test("broken links are ordered by their whole host path when one layer dir is a prefix of another's", async () => {
  // "/r/s" is a prefix of "/r/s-": by dir first, "/r/s/z" would come before "/r/s-/a"; by path it comes after
  const link = (container: string, path: string, dir: string): BrokenLink => ({
    namespace: "default",
    container,
    path,
    target: "/nowhere",
    layer: { index: 1, key: `k${dir}`, id: dir, hostPath: `${dir}${path}` },
    reason: "ENOENT",
    at: "/nowhere",
    isHostOnly: false,
    isInLowerLayer: true,
  });
  const brokenLinks = [
    arrayRows("default", "c1", [link("c1", "/a", "/r/s-"), link("c1", "/z", "/r/s")]),
    arrayRows("default", "c2", [link("c2", "/m", "/r/s"), link("c2", "/0", "/r/s-")]),
  ];
  const first = scenario().input();
  const second = { ...scenario().input(), brokenLinks };
  const r = await runDoctor({
    read: reads(first, second),
    checks: [brokenSymlink],
    mode: "quick",
    pauseMs: 0,
  });
  assert.deepEqual(
    r.findings.map((f) => f.path),
    ["/r/s-/0", "/r/s-/a", "/r/s/m", "/r/s/z"],
  );
  // the table's findings: the same, without their messages (not made)
  assert.deepEqual(
    [...eachFinding(r, { messages: false })],
    r.findings.map((f) => ({ ...f, message: "" })),
  );
});

/** A read that counts its calls and returns `input` each time. */
function countedReads(input: DoctorInput): { read: () => Promise<DoctorInput>; calls: () => number } {
  let n = 0;
  return {
    read: async () => {
      n++;
      return input;
    },
    calls: () => n,
  };
}

const orphanCheck = checks.filter((c) => c.id === "orphan-snapshot-dir");

test("oneReadAfterMs: one read, no pause, when every orphan dir is older than the floor", async () => {
  const old = countedReads(scenario().orphanDir("1").orphanDir("2").input({ graceMs: 0 }));
  const r = await runDoctor({
    read: old.read,
    checks: orphanCheck,
    mode: "quick",
    pauseMs: 60_000, // a pause taken would time the test out
    oneReadAfterMs: 10_000,
  });
  assert.equal(old.calls(), 1);
  assert.deepEqual(
    r.findings.map((f) => f.subject),
    ["overlayfs dir 1", "overlayfs dir 2"],
  );
  // the default grace (60 s) above the floor: nothing younger was found, one read
  const graced = countedReads(
    scenario()
      .orphanDir("3", { mtimeMs: NOW - 5_000 })
      .input(),
  );
  await runDoctor({ read: graced.read, checks: orphanCheck, mode: "quick", oneReadAfterMs: 10_000 });
  assert.equal(graced.calls(), 1);
});

test("oneReadAfterMs: two reads with --grace 0 when one candidate is younger than the floor, and for other checks", async () => {
  const young = countedReads(
    scenario()
      .orphanDir("1")
      .orphanDir("2", { mtimeMs: NOW - 2_000 })
      .input({ graceMs: 0 }),
  );
  const r = await runDoctor({
    read: young.read,
    checks: orphanCheck,
    mode: "quick",
    pauseMs: 0,
    oneReadAfterMs: 10_000,
  });
  assert.equal(young.calls(), 2);
  assert.equal(r.findings.length, 2);
  // a check not judged by age alone (tmpmount-leftover: a mount may come) is read twice whatever the ages
  const other = countedReads(scenario().orphanDir("1").tmpmount("x").input({ graceMs: 0 }));
  await runDoctor({
    read: other.read,
    checks: checks.filter((c) => c.id === "orphan-snapshot-dir" || c.id === "tmpmount-leftover"),
    mode: "quick",
    pauseMs: 0,
    oneReadAfterMs: 10_000,
  });
  assert.equal(other.calls(), 2);
  // without the option (doctor): always two
  const plain = countedReads(scenario().orphanDir("1").input({ graceMs: 0 }));
  await runDoctor({ read: plain.read, checks: orphanCheck, mode: "quick", pauseMs: 0 });
  assert.equal(plain.calls(), 2);
});

test("oneReadAfterMs: every check may run; one read when only the orphan check found something, and it is old", async () => {
  // a first read gathers broken links as candidates (none here): what broken-symlink's second read re-judges
  const orphansOnly = countedReads({
    ...scenario().orphanDir("1").input({ graceMs: 0 }),
    linkCandidates: new Map(),
  });
  const r = await runDoctor({
    read: orphansOnly.read,
    checks,
    mode: "quick",
    pauseMs: 60_000, // a pause taken would time the test out
    oneReadAfterMs: 10_000,
  });
  assert.equal(orphansOnly.calls(), 1);
  assert.deepEqual(
    r.findings.map((f) => f.check),
    ["orphan-snapshot-dir"],
  );
  // a broken link among the first read's candidates: read twice
  const withLinks = countedReads({
    ...scenario().orphanDir("1").input({ graceMs: 0 }),
    linkCandidates: new Map([
      [
        "default/c1",
        arrayRows("default", "c1", [
          {
            namespace: "default",
            container: "c1",
            path: "/data/x",
            target: "/nowhere",
            layer: { index: 0, key: "k1", id: "1", hostPath: "/r/snapshots/1/fs/data/x" },
            reason: "ENOENT",
            at: "/nowhere",
            isHostOnly: false,
            isInLowerLayer: false,
          },
        ]),
      ],
    ]),
  });
  await runDoctor({ read: withLinks.read, checks, mode: "quick", pauseMs: 0, oneReadAfterMs: 10_000 });
  assert.equal(withLinks.calls(), 2);
});
