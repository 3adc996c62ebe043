import assert from "node:assert/strict";
import { test } from "node:test";
import { missingSnapshotDir } from "./missing-snapshot-dir.js";
import { brief, NOW, PATHS, SNAPSHOTS, scenario } from "./testing.js";

test("a record whose dir is gone is reported with the dir's path; present and young ones are not", () => {
  const input = scenario()
    .snapshot("default", "base", { id: "1" })
    .snapshot("default", "crifs-active", { id: "7", kind: "active", parent: "base", noDir: true })
    .snapshot("default", "fresh", { id: "8", noDir: true, createdAt: new Date(NOW - 1000).toISOString() })
    .input();
  assert.deepEqual(missingSnapshotDir.run(input).map(brief), [
    `missing-snapshot-dir ${SNAPSHOTS}/7 0 snapshot default/overlayfs/crifs-active`,
  ]);
});

test("a snapshot in containerd's own records that its snapshotter has no record of is reported from the loader's anomaly", () => {
  const input = scenario()
    .anomaly(
      PATHS.snapshotterDb,
      "snapshot default/overlayfs/x",
      'snapshot "x" in namespace "default" has no record "default/3/x" in the overlayfs snapshotter',
    )
    .anomaly(PATHS.metaDb, "image default/bb", "cannot decode image default/bb: bad varint")
    .input();
  assert.deepEqual(missingSnapshotDir.run(input).map(brief), [
    `missing-snapshot-dir ${PATHS.snapshotterDb} 0 snapshot default/overlayfs/x`,
  ]);
});
