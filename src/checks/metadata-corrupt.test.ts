import assert from "node:assert/strict";
import { test } from "node:test";
import { metadataCorrupt } from "./metadata-corrupt.js";
import { brief, scenario } from "./testing.js";

test("an unreadable bolt file is one error finding, even without a store", () => {
  const input = scenario().corruptMetadata("/r/meta.db", "cannot read meta page: bad magic").input();
  assert.equal(input.store, null);
  const found = metadataCorrupt.run(input);
  assert.deepEqual(found.map(brief), ["metadata-corrupt /r/meta.db 0 file /r/meta.db"]);
  assert.equal(found[0]?.severity, "error");
});

test("undecodable records are reported; anomalies other checks explain are left to them", () => {
  const input = scenario()
    .anomaly("/r/meta.db", "container default/c1", "cannot decode container default/c1: truncated varint")
    .anomaly("/r/b/x", "image default/bb", "cannot read sha256:x of image default/bb: blob not found")
    .anomaly(
      "/r/sn.db",
      "snapshot default/overlayfs/x",
      'snapshot "x" in namespace "default" has no record "default/3/x" in the overlayfs snapshotter',
    )
    .input();
  assert.deepEqual(metadataCorrupt.run(input).map(brief), [
    "metadata-corrupt /r/meta.db 0 container default/c1",
  ]);
});
