import assert from "node:assert/strict";
import { test } from "node:test";
import { danglingParent } from "./dangling-parent.js";
import { brief, SNAPSHOTS, scenario } from "./testing.js";

test("a parent key that names no snapshot is reported on the child, with the child's dir", () => {
  const input = scenario()
    .snapshotterOnly("faults", "base", "20") // its meta.db record was deleted
    .snapshot("faults", "child", { id: "21", kind: "active", parent: "base" })
    .snapshot("default", "base", { id: "1" }) // same key in another namespace does not count
    .snapshot("default", "top", { id: "2", parent: "base" })
    .input();
  assert.deepEqual(danglingParent.run(input).map(brief), [
    `dangling-parent ${SNAPSHOTS}/21 0 snapshot faults/overlayfs/child`,
  ]);
});

test("a parent cycle is reported once per snapshot on it, not for snapshots above it", () => {
  const input = scenario()
    .snapshot("default", "a", { id: "1", parent: "b" })
    .snapshot("default", "b", { id: "2", parent: "a" })
    .snapshot("default", "c", { id: "3", parent: "a", kind: "active" })
    .input();
  const found = danglingParent.run(input);
  assert.deepEqual(found.map(brief), [
    `dangling-parent ${SNAPSHOTS}/1 0 snapshot default/overlayfs/a`,
    `dangling-parent ${SNAPSHOTS}/2 0 snapshot default/overlayfs/b`,
  ]);
  assert.match(found[0]?.message ?? "", /a → b → a/);
});

test("podman: the remedy names podman's own tools, never containerd, and no empty namespace", async () => {
  const { overlayScenario } = await import("./testing-overlay.js");
  const pm = danglingParent.run(
    overlayScenario().layer("base", { noRecord: true }).layer("top", { parent: "base" }).input(),
  );
  assert.equal(pm.length, 1);
  const f = pm[0];
  assert.doesNotMatch(`${f?.message} ${f?.remedy}`, /containerd|meta\.db|ctr /);
  assert.doesNotMatch(`${f?.subject} ${f?.message}`, /namespace ""|snapshot \//);
  assert.match(f?.remedy ?? "", /podman image rm -f/);
  assert.match(f?.message ?? "", /not in layers\.json/);
  assert.equal(f?.subject, "snapshot overlay/top");
});

test("a snapshot that is its own parent is reported as such, once", () => {
  const input = scenario().snapshot("default", "a", { id: "1", parent: "a" }).input();
  const found = danglingParent.run(input);
  assert.deepEqual(found.map(brief), [`dangling-parent ${SNAPSHOTS}/1 0 snapshot default/overlayfs/a`]);
  assert.match(found[0]?.message ?? "", /names itself as its parent/);
});
