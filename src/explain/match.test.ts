// The matcher on what operators paste and pipe: many lines of a journal with noise, ANSI colours and control
// bytes; each known message found once, with its count and the names its lines quote.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Finding } from "../checks/check.js";
import { diagnoseMatches, isNamedBy, planDiagnosis } from "./diagnose.js";
import { cleanLine, MAX_LINE, MessageMatcher, matchMessages, namesIn } from "./match.js";

const H = "3f57d9401f8d0a6b8c1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c";

test("a journal of many lines: every known message once, in the table's order, with its line count", () => {
  const journal = [
    "-- Journal begins at Mon 2026-01-05 10:00:00 UTC. --",
    'Jan 05 10:00:01 node containerd[812]: time="2026-01-05T10:00:01Z" level=info msg="loading plugin"',
    `Jan 05 10:00:02 node containerd[812]: time="2026-01-05T10:00:02Z" level=error msg="RunPodSandbox failed" error="failed to create containerd task: failed to create shim task: failed to mount rootfs component: no such file or directory: unknown"`,
    "Jan 05 10:00:03 node kubelet[900]: I0105 10:00:03 random noise",
    `Jan 05 10:00:04 node containerd[812]: time="2026-01-05T10:00:04Z" level=error msg="failed to remove mount temp dir" dir=/var/lib/containerd/tmpmounts/containerd-mount1 error="device or resource busy"`,
    `Jan 05 10:00:05 node containerd[812]: time="2026-01-05T10:00:05Z" level=error msg="failed to remove mount temp dir" dir=/var/lib/containerd/tmpmounts/containerd-mount2 error="device or resource busy"`,
    "",
    "\tat some.stack.Frame()",
  ].join("\n");
  const found = matchMessages(journal);
  assert.deepEqual(
    found.map((m) => [m.pattern.id, m.count]),
    [
      ["mount-temp-dir-not-removed", 2],
      ["task-rootfs-missing", 1],
    ],
  );
  const tmp = found[0];
  assert.ok(tmp?.line.includes("containerd-mount1"), "the first line that showed it is kept");
  assert.deepEqual(
    tmp?.names.filter((n) => n.startsWith("/")),
    ["/var/lib/containerd/tmpmounts/containerd-mount1", "/var/lib/containerd/tmpmounts/containerd-mount2"],
  );
});

test("ANSI colours and cursor moves are removed before matching; other control bytes stay for the printer to escape", () => {
  const line =
    "\x1b[1;31mError\x1b[0m: \x1b]0;title\x07stat /var/lib/docker/overlay2/" +
    H +
    ": no such\x1b[K file or directory\x07\r";
  assert.equal(cleanLine(line), `Error: stat /var/lib/docker/overlay2/${H}: no such file or directory\x07`);
  const found = matchMessages(line);
  assert.deepEqual(
    found.map((m) => m.pattern.id),
    ["layer-dir-missing"],
  );
  assert.ok(found[0]?.names.includes(`/var/lib/docker/overlay2/${H}`));
});

test("a journal's escaped quotes and a line of megabytes are handled: the long line is cut, not held whole", () => {
  const escaped = `msg="StartContainer failed" error="rpc error: code = Unknown desc = failed to create containerd task: failed to mount rootfs component: stat \\"/var/lib/x/y/z\\": no such file or directory"`;
  const found = matchMessages(escaped);
  assert.deepEqual(
    found.map((m) => m.pattern.id),
    ["task-rootfs-missing"],
  );
  assert.ok(found[0]?.names.includes("/var/lib/x/y/z"), found[0]?.names.join(" "));
  const huge = `${"x".repeat(5_000_000)} layer not known`;
  const t0 = Date.now();
  const m = new MessageMatcher();
  m.add(huge);
  m.add("Error: layer not known");
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  assert.equal(m.matches()[0]?.count, 1, "past MAX_LINE the words are not seen");
  assert.ok((m.matches()[0]?.line.length ?? 0) <= MAX_LINE);
  assert.equal(m.lines, 2);
});

test("names: store paths, ids and digests, not short paths", () => {
  assert.deepEqual(
    namesIn(`open / and /proc: readlink /var/lib/docker/overlay2/l/ABC: invalid argument sha256:${H}`),
    ["/var/lib/docker/overlay2/l/ABC", `sha256:${H}`],
  );
});

const finding = (path: string, subject = "layer x"): Finding => ({
  check: "missing-short-link",
  severity: "error",
  subject,
  path,
  bytes: 0,
  message: "m",
  remedy: "r",
});

test("a finding is named by a message that quotes its path, a path below it, or its id", () => {
  assert.ok(isNamedBy(finding("/r/overlay2/l/ABC"), ["/r/overlay2/l/ABC"]));
  assert.ok(isNamedBy(finding(`/r/overlay2/${H}`), [`/r/overlay2/${H}/merged`]));
  assert.ok(isNamedBy(finding("/r/x", `layer ${H}`), [H]));
  assert.ok(isNamedBy(finding(`/r/blobs/sha256/${H}`), [`sha256:${H}`]));
  assert.ok(!isNamedBy(finding("/r/overlay2/l/ABC"), ["/r/overlay2/l/ABCD"]));
  assert.ok(
    !isNamedBy(finding("/r/overlay2/l/ABC/x"), ["/r/overlay2/l/ABC"]),
    "a path above the finding says nothing",
  );
});

test("each store runs the union of its messages' checks that apply to it, once", () => {
  const found = matchMessages(
    [
      "readlink /var/lib/docker/overlay2/l/ABC: invalid argument",
      "no space left on device",
      `ctr: content digest sha256:${H}: not found`,
    ].join("\n"),
  );
  const plan = planDiagnosis(found, ["containerd", "docker"]);
  assert.deepEqual(plan.get("docker")?.sort(), [
    "broken-lower",
    "dangling-short-link",
    "missing-short-link",
    "orphan-layer-dir",
    "orphan-log-dir",
  ]);
  assert.deepEqual(plan.get("containerd")?.sort(), [
    "missing-blob",
    "orphan-layer-dir",
    "orphan-log-dir",
    "orphan-snapshot-dir",
    "stale-ingest",
    "tmpmount-leftover",
    "unreferenced-blob",
    "unreferenced-snapshot",
  ]);
});

test("a finding of kubelet's log dirs, found by each store's run, is given once", async () => {
  const log = {
    ...finding("/var/log/containers/a_b_c-1.log", "log link a_b_c-1.log"),
    check: "dangling-log-link",
  };
  const [e] = await diagnoseMatches(
    matchMessages(
      'failed to open log file "/var/log/pods/x/c/0.log": open /var/log/pods/x/c/0.log: no such file or directory',
    ),
    { stores: ["containerd", "podman"], doctor: async () => [log] },
  );
  assert.deepEqual(e?.stores, ["containerd", "podman"]);
  assert.equal(e?.findings.length, 1);
});
