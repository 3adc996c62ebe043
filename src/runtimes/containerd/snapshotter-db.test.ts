// snapshotter-db.test.ts — readSnapshotterDb on a real overlayfs metadata.db
// (test/fixtures/bbolt/overlayfs-metadata.db, made with meta.db by scripts/make-bolt-fixtures.sh): dir ids,
// kinds, parents and the usage recorded at commit, and the join with meta.db that load.ts relies on.

import assert from "node:assert/strict";
import { test } from "node:test";
import { openBolt } from "../../formats/bbolt/index.js";
import { fixturePath } from "../../formats/bbolt/testing.js";
import { readMetaDb } from "./meta-db.js";
import { readSnapshotterDb } from "./snapshotter-db.js";

test("every snapshot record decodes to its dir id, kind, parent key and committed usage", () => {
  const r = readSnapshotterDb(openBolt(fixturePath("overlayfs-metadata.db")));
  assert.deepEqual(r.anomalies, []);
  assert.equal(r.sequence, 6n, "six ids allocated: base, mid, mid-view, work, a-base, a-work");
  const rows = [...r.snapshots.values()].map((s) => [s.backendKey, s.id, s.kind, s.parentKey, s.size]);
  // ids follow creation order (base-active was id 1 and kept it through its commit to base)
  const empty = { bytes: 4096, inodes: 1 }; // a committed, empty fs/ dir: one 4 KiB directory inode
  assert.deepEqual(rows, [
    ["crifs-a/2/a-base", "5", "committed", null, empty],
    ["crifs-a/3/a-work", "6", "active", "crifs-a/2/a-base", null],
    ["default/2/base", "1", "committed", null, empty],
    ["default/4/mid", "2", "committed", "default/2/base", empty],
    ["default/5/mid-view", "3", "view", "default/4/mid", null],
    ["default/6/work", "4", "active", "default/4/mid", null],
  ]);
});

test("meta.db and the snapshotter agree: each snapshot's key is a record whose parent is its parent's key", () => {
  const meta = readMetaDb(openBolt(fixturePath("containerd-meta.db")));
  const backend = readSnapshotterDb(openBolt(fixturePath("overlayfs-metadata.db"))).snapshots;
  assert.equal(backend.size, meta.snapshots.length);
  for (const s of meta.snapshots) {
    const b = backend.get(s.backendKey);
    assert.ok(b !== undefined, `${s.namespace}/${s.name} has a snapshotter record`);
    const parent = meta.snapshots.find((p) => p.namespace === s.namespace && p.name === s.parent);
    assert.equal(b.parentKey, parent?.backendKey ?? null, `${s.namespace}/${s.name}'s parent`);
  }
});
