// meta-db.test.ts — readMetaDb on a real meta.db: test/fixtures/bbolt/containerd-meta.db, written by a real
// containerd driven with ctr by scripts/make-bolt-fixtures.sh (what it holds is listed there). Every value
// expected below is what that script asked ctr to make; no root needed.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { openBolt } from "../../formats/bbolt/index.js";
import { fixturePath } from "../../formats/bbolt/testing.js";
import { readMetaDb } from "./meta-db.js";

const meta = () => readMetaDb(openBolt(fixturePath("containerd-meta.db")));

test("namespaces and their labels are the ones make-bolt-fixtures.sh created, byte for byte", () => {
  const m = meta();
  assert.equal(m.schemaVersion, 3);
  const bigLabel = (n: number) => `crifs-label-${n}-${"y".repeat(3986)}`;
  assert.deepEqual(m.namespaces, [
    { name: "crifs-a", labels: {} },
    { name: "crifs-b", labels: { "crifs.test/owner": "fixtures", "crifs.test/purpose": "small-labels" } },
    {
      name: "crifs-big",
      labels: {
        "crifs.test/big-1": bigLabel(1),
        "crifs.test/big-2": bigLabel(2),
        "crifs.test/big-3": bigLabel(3),
        "crifs.test/small": "yes",
      },
    },
    { name: "crifs-leases", labels: {} },
    { name: "default", labels: {} },
  ]);
  assert.deepEqual(m.anomalies, []);
});

test("snapshots decode with their snapshotter key, parent and labels in every namespace", () => {
  const rows = meta().snapshots.map((s) => [s.namespace, s.snapshotter, s.name, s.backendKey, s.parent]);
  assert.deepEqual(rows, [
    ["crifs-a", "overlayfs", "a-base", "crifs-a/2/a-base", null],
    ["crifs-a", "overlayfs", "a-work", "crifs-a/3/a-work", "a-base"],
    ["default", "overlayfs", "base", "default/2/base", null],
    ["default", "overlayfs", "mid", "default/4/mid", "base"],
    ["default", "overlayfs", "mid-view", "default/5/mid-view", "mid"],
    ["default", "overlayfs", "work", "default/6/work", "mid"],
  ]);
  const work = meta().snapshots.find((s) => s.name === "work");
  assert.equal(work?.labels["crifs.test/role"], "work");
  assert.equal(meta().snapshots.find((s) => s.name === "mid-view")?.labels["crifs.test/role"], undefined);
  for (const s of meta().snapshots) {
    assert.match(
      s.createdAt ?? "",
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/,
      `${s.name} has a creation time`,
    );
  }
});

test("the committed blob is the digest of 'hello crifs\\n' with its size and label; the partial ingest keeps its ref", () => {
  const m = meta();
  const digest = `sha256:${createHash("sha256").update("hello crifs\n").digest("hex")}`;
  assert.deepEqual(
    m.blobs.map((b) => [b.namespace, b.digest, b.size, b.labels]),
    [["default", digest, 12, { "crifs.test/blob": "hello" }]],
  );
  assert.deepEqual(
    m.ingests.map((i) => [i.namespace, i.ref, i.runtimeKey]),
    [["default", "crifs-partial-ref", "default/1/crifs-partial-ref"]],
  );
  assert.equal(m.images.length, 0, "the fixture holds no image");
});

test("300 leases span branch pages, in key order, every 25th with its two labels", () => {
  const leases = meta().leases;
  assert.equal(leases.length, 300);
  const ids = Array.from({ length: 300 }, (_, i) => `lease-${String(i + 1).padStart(3, "0")}`);
  assert.deepEqual(
    leases.map((l) => l.id),
    ids,
  );
  for (const [i, l] of leases.entries()) {
    assert.equal(l.namespace, "crifs-leases");
    const n = i + 1;
    const labels =
      n % 25 === 0 ? { "crifs.test/index": String(n).padStart(3, "0"), "crifs.test/kind": "labelled" } : {};
    assert.deepEqual(l.labels, labels, l.id);
    assert.deepEqual(l.resources, { content: [], ingests: [], snapshots: [] });
  }
});

test("container big's spec, a value spanning an overflow page, decodes whole", () => {
  const m = meta();
  assert.equal(m.containers.length, 1);
  const c = m.containers[0];
  assert.equal(c?.namespace, "crifs-big");
  assert.equal(c?.id, "big");
  assert.equal(c?.runtime, "io.containerd.runc.v2");
  assert.equal(c?.image, "");
  const spec = (c?.spec ?? {}) as { process?: { env?: string[] } };
  const env = spec.process?.env ?? [];
  const big = Array.from({ length: 600 }, (_, i) => `crifs-overflow-${String(i + 1).padStart(5, "0")};`).join(
    "",
  );
  assert.ok(env.includes(`CRIFS_BIG=${big}`), "CRIFS_BIG holds all 600 parts");
});
