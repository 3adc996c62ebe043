import assert from "node:assert/strict";
import { test } from "node:test";
import { staleIngest } from "./stale-ingest.js";
import { brief, CONTENT, NOW, scenario } from "./testing.js";

const recent = new Date(NOW - 5_000).toISOString();

test("idle, expired and recordless ingest dirs are stale; one being written is not", () => {
  const input = scenario()
    .ingest("default", "idle", { expiresAt: "2026-01-02T00:00:00Z", name: "a", bytes: 8192 })
    .ingest("default", "expired", { expiresAt: "2025-12-31T00:00:00Z", updatedAt: recent, name: "b" })
    .ingest("default", "busy", { expiresAt: "2026-01-02T00:00:00Z", updatedAt: recent, name: "c" })
    .ingestDir("default/1/nobody", { name: "d", bytes: 4096 })
    .input();
  assert.deepEqual(staleIngest.run(input).map(brief), [
    `stale-ingest ${CONTENT}/ingest/a 8192 ingest default/idle`,
    `stale-ingest ${CONTENT}/ingest/b 8192 ingest default/expired`,
    `stale-ingest ${CONTENT}/ingest/d 4096 ingest dir d`,
  ]);
});

test("with --grace 0 even a fresh partial write is stale (F4 in the bed)", () => {
  const input = scenario()
    .ingest("default", "crifs-partial-ref", {
      expiresAt: "2026-01-02T00:00:00Z",
      updatedAt: recent,
      name: "e",
    })
    .input({ graceMs: 0 });
  assert.equal(staleIngest.run(input).length, 1);
});

test("an expired record without a dir is reported; an unexpired one is not", () => {
  const input = scenario()
    .ingest("default", "old", { expiresAt: "2025-01-01T00:00:00Z", noDir: true })
    .ingest("default", "leased", { expiresAt: null, noDir: true })
    .input();
  const found = staleIngest.run(input);
  assert.deepEqual(
    found.map((f) => f.subject),
    ["ingest default/old"],
  );
  assert.match(found[0]?.path ?? "", /\/ingest\/[0-9a-f]{64}$/);
});

test("the remedy of an ingest with a record names Content.Abort, which crifs repair calls, not ctr content rm", () => {
  const input = scenario()
    .ingest("default", "idle", { expiresAt: "2026-01-02T00:00:00Z", name: "a" })
    .ingest("default", "old", { expiresAt: "2025-01-01T00:00:00Z", noDir: true })
    .ingestDir("default/1/nobody", { name: "d" })
    .input();
  const [idle, recordless, old] = staleIngest.run(input).map((f) => f.remedy);
  for (const r of [idle, old]) {
    assert.match(
      r ?? "",
      /crifs repair --apply aborts it through containerd's Content\.Abort of ref (idle|old)/,
    );
    assert.match(r ?? "", /ctr -n default content active shows it/);
    assert.doesNotMatch(r ?? "", /content rm/);
  }
  assert.equal(recordless, "nothing can resume it: remove the dir");
});
