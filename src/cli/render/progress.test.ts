import assert from "node:assert/strict";
import { test } from "node:test";
import { progressLine } from "./progress.js";

test("the progress line: entries, bytes, rate, and an ETA against the last run's count", () => {
  assert.equal(
    progressLine("du /r", { entries: 250_000, bytes: 3 * 2 ** 30, elapsedMs: 5000, total: 1_000_000 }),
    "du /r: 250.0k entries, 3.0 GiB, 50.0k entries/s, 25% ETA 0:15",
  );
  assert.equal(
    progressLine("du /r", { entries: 12, bytes: 100, elapsedMs: 0, total: null }),
    "du /r: 12 entries, 100 B, 0 entries/s",
  );
  assert.equal(
    progressLine("du /r", { entries: 2_000_000, bytes: 0, elapsedMs: 1000, total: 1_000_000 }),
    "du /r: 2.0M entries, 0 B, 2.0M entries/s, past last run's count",
  );
});
