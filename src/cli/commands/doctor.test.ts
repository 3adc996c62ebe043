import assert from "node:assert/strict";
import { test } from "node:test";
import type { Finding } from "../../checks/check.js";
import { NPD_MAX_OUTPUT, npdAnswer } from "./doctor.js";
import { parseInterval } from "./serve.js";

function finding(check: string, severity: Finding["severity"]): Finding {
  return { check, severity, subject: "s", path: "/p", bytes: 0, message: "m", remedy: "r" };
}

const summary = (errors: number, warnings: number, infos = 0) => ({
  errors,
  warnings,
  infos,
  bytesReclaimable: 3 * 1024 * 1024,
  checksRun: ["a", "b"],
  checksSkipped: [],
});

test("-o npd: OK (exit 0) with infos only; NonOK (exit 1) with a warning or error, worst check first", () => {
  assert.deepEqual(npdAnswer(summary(0, 0, 2), [finding("stale-mount", "info")]), {
    line: "no problems found (2 checks)",
    exitCode: 0,
  });
  const a = npdAnswer(summary(1, 2), [
    finding("orphan-snapshot-dir", "warning"),
    finding("orphan-snapshot-dir", "warning"),
    finding("missing-blob", "error"),
    finding("stale-mount", "info"),
  ]);
  assert.equal(a.exitCode, 1);
  assert.equal(a.line, "1 error, 2 warnings, 3.0 MiB reclaimable: missing-blob, orphan-snapshot-dir x2");
});

test("-o npd: the line never passes node-problem-detector's default max_output_length (80)", () => {
  const many = [
    "orphan-snapshot-dir",
    "unreferenced-blob",
    "stale-ingest",
    "dangling-parent",
    "missing-blob",
  ];
  const a = npdAnswer(
    summary(0, 5),
    many.map((c) => finding(c, "warning")),
  );
  assert.equal(a.line.length, NPD_MAX_OUTPUT);
  assert.ok(a.line.endsWith("..."));
});

test("--interval takes ms, s, m and h of 1 s or more", () => {
  assert.equal(parseInterval("5m"), 300_000);
  assert.equal(parseInterval("2s"), 2000);
  assert.equal(parseInterval("1500ms"), 1500);
  assert.equal(parseInterval("1h"), 3_600_000);
  for (const bad of ["5", "0s", "500ms", "-1m", "1d"])
    assert.throws(() => parseInterval(bad), /not a duration/, bad);
});
