import assert from "node:assert/strict";
import { test } from "node:test";
import { orphanSnapshotDir } from "./orphan-snapshot-dir.js";
import { brief, NOW, SNAPSHOTS, scenario } from "./testing.js";

test("dirs no record names are orphans, incl. new-* (info) and rm-*; named and young dirs are not", () => {
  const input = scenario()
    .snapshot("default", "base", { id: "1" })
    .snapshotterOnly("faults", "base", "2") // meta.db lost it, the snapshotter did not: not an orphan dir
    .orphanDir("9999")
    .orphanDir("new-123")
    .orphanDir("rm-7")
    .orphanDir("50", { mtimeMs: NOW - 5_000 }) // being created right now
    .input();
  const found = orphanSnapshotDir.run(input);
  assert.deepEqual(found.map(brief).sort(), [
    `orphan-snapshot-dir ${SNAPSHOTS}/9999 - overlayfs dir 9999`,
    `orphan-snapshot-dir ${SNAPSHOTS}/new-123 - overlayfs dir new-123`,
    `orphan-snapshot-dir ${SNAPSHOTS}/rm-7 - overlayfs dir rm-7`,
  ]);
  assert.deepEqual(
    found.map((f) => f.severity),
    ["warning", "info", "warning"],
  );
});

test("with a grace of 0 a dir made a moment ago counts too", () => {
  const input = scenario()
    .orphanDir("50", { mtimeMs: NOW - 5 })
    .input({ graceMs: 0 });
  assert.equal(orphanSnapshotDir.run(input).length, 1);
});
