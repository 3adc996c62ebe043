import assert from "node:assert/strict";
import { test } from "node:test";
import { brief, SNAPSHOTS, scenario } from "./testing.js";
import { unreferencedSnapshot } from "./unreferenced-snapshot.js";

test("only committed snapshots that no image, container, lease, gc.root or child holds are reported", () => {
  const input = scenario()
    .image("default", "bb", "sha256:cfg")
    .blob("default", "sha256:cfg", { "containerd.io/gc.ref.snapshot.overlayfs": "top" })
    .snapshot("default", "base", { id: "1" })
    .snapshot("default", "top", { id: "2", parent: "base" })
    .snapshot("default", "lonely", { id: "3" })
    .snapshot("default", "lonely-child", { id: "4", parent: "lonely" })
    .snapshot("default", "under-view", { id: "5" })
    .snapshot("default", "v", { id: "6", kind: "view", parent: "under-view" }) // no gc.root: GC would take it
    .snapshot("default", "leased", { id: "7" })
    .lease("default", "l", { snapshots: ["overlayfs/leased"] })
    .snapshot("default", "pinned", { id: "8", labels: { "containerd.io/gc.root": "x" } })
    .snapshot("default", "used", { id: "9" })
    .snapshot("default", "c1", { id: "10", kind: "active", parent: "used" })
    .container("default", "c1", "c1")
    .input();
  assert.deepEqual(unreferencedSnapshot.run(input).map(brief), [
    `unreferenced-snapshot ${SNAPSHOTS}/3 - snapshot default/overlayfs/lonely`,
    `unreferenced-snapshot ${SNAPSHOTS}/4 - snapshot default/overlayfs/lonely-child`,
  ]);
});

test("a snapshot committed within the grace period is in flight", () => {
  const input = scenario()
    .snapshot("default", "new", { createdAt: new Date().toISOString() })
    .input({ now: Date.now() });
  assert.deepEqual(unreferencedSnapshot.run(input), []);
});
