import assert from "node:assert/strict";
import { test } from "node:test";
import { danglingParent } from "../../checks/dangling-parent.js";
import { missingSnapshotDir } from "../../checks/missing-snapshot-dir.js";
import { NOW, PATHS, SNAPSHOTS, scenario } from "../../checks/testing.js";
import { overlayScenario } from "../../checks/testing-overlay.js";
import { unreferencedSnapshot } from "../../checks/unreferenced-snapshot.js";
import type { Store } from "../../model/store.js";
import type { PlanContext } from "../action.js";
import { apiSnapshotRemove } from "./api-snapshot-remove.js";

function ctx(store: Store | null, daemonUp = true): PlanContext {
  assert.ok(store !== null);
  return { store, daemonUp, now: NOW, graceMs: 60_000 };
}

test("unreferenced snapshots become Snapshots.Remove calls, a child deeper than its parent, with ctr's words", () => {
  const input = scenario()
    .snapshot("k8s.io", "lonely", { id: "3" })
    .snapshot("k8s.io", "lonely-child", { id: "4", parent: "lonely" })
    .input();
  const plans = unreferencedSnapshot.run(input).map((f) => apiSnapshotRemove.plan(f, ctx(input.store)));
  assert.deepEqual(plans, [
    {
      kind: "api-snapshot-remove",
      check: "unreferenced-snapshot",
      subject: "snapshot k8s.io/overlayfs/lonely",
      path: `${SNAPSHOTS}/3`,
      why: "no image, container, lease, gc.root label or child holds it; containerd's own GC would remove it",
      bytes: null,
      daemon: "up",
      depth: 0,
      steps: [
        {
          op: "api",
          call: "ctr -n k8s.io snapshots --snapshotter overlayfs rm lonely",
          request: {
            api: "containerd.snapshots.remove",
            namespace: "k8s.io",
            snapshotter: "overlayfs",
            key: "lonely",
          },
        },
      ],
      guards: [
        { guard: "still-found", check: "unreferenced-snapshot", path: `${SNAPSHOTS}/3` },
        { guard: "not-mounted", path: `${SNAPSHOTS}/3` },
        { guard: "unreferenced", path: `${SNAPSHOTS}/3` },
      ],
    },
    {
      kind: "api-snapshot-remove",
      check: "unreferenced-snapshot",
      subject: "snapshot k8s.io/overlayfs/lonely-child",
      path: `${SNAPSHOTS}/4`,
      why: "no image, container, lease, gc.root label or child holds it; containerd's own GC would remove it",
      bytes: null,
      daemon: "up",
      depth: 1,
      steps: [
        {
          op: "api",
          call: "ctr -n k8s.io snapshots --snapshotter overlayfs rm lonely-child",
          request: {
            api: "containerd.snapshots.remove",
            namespace: "k8s.io",
            snapshotter: "overlayfs",
            key: "lonely-child",
          },
        },
      ],
      guards: [
        { guard: "still-found", check: "unreferenced-snapshot", path: `${SNAPSHOTS}/4` },
        { guard: "not-mounted", path: `${SNAPSHOTS}/4` },
        { guard: "unreferenced", path: `${SNAPSHOTS}/4` },
      ],
    },
  ]);
});

test("with the daemon down the plan is the same: the action needs containerd up and names the call", () => {
  const input = scenario().snapshot("default", "lonely", { id: "3" }).input();
  const [f] = unreferencedSnapshot.run(input);
  assert.ok(f !== undefined);
  assert.deepEqual(
    apiSnapshotRemove.plan(f, ctx(input.store, false)),
    apiSnapshotRemove.plan(f, ctx(input.store)),
  );
});

test("a key with shell characters is quoted in the call; the request carries it as is", () => {
  const input = scenario().snapshot("default", "a key's $name/x", { id: "3" }).input();
  const [f] = unreferencedSnapshot.run(input);
  assert.ok(f !== undefined);
  const a = apiSnapshotRemove.plan(f, ctx(input.store));
  assert.ok(!("unmended" in a));
  const step = a.steps[0];
  assert.ok(step?.op === "api");
  assert.equal(step.call, `ctr -n default snapshots --snapshotter overlayfs rm 'a key'\\''s $name/x'`);
  assert.equal(step.request.api === "containerd.snapshots.remove" && step.request.key, "a key's $name/x");
});

test("a record whose dir is gone is removed unless a container, lease, image or gc.root label names it", () => {
  const input = scenario()
    .snapshot("default", "base", { id: "1" })
    .snapshot("default", "free", { id: "7", kind: "active", parent: "base", noDir: true })
    .snapshot("default", "used", { id: "8", kind: "active", parent: "base", noDir: true })
    .container("default", "c1", "used")
    .snapshot("default", "leased", { id: "9", noDir: true })
    .lease("default", "l1", { snapshots: ["overlayfs/leased"] })
    .snapshot("default", "pinned", {
      id: "10",
      kind: "active",
      noDir: true,
      labels: { "containerd.io/gc.root": "x" },
    })
    .input();
  const out = missingSnapshotDir.run(input).map((f) => {
    const a = apiSnapshotRemove.plan(f, ctx(input.store));
    return `${f.subject}: ${"unmended" in a ? a.unmended : `${a.depth} ${a.steps.map((s) => (s.op === "api" ? s.call : s.op)).join()}`}`;
  });
  assert.deepEqual(out, [
    "snapshot default/overlayfs/free: 1 ctr -n default snapshots --snapshotter overlayfs rm free",
    'snapshot default/overlayfs/used: container "c1" uses it: remove the container first; then: ctr -n default snapshots --snapshotter overlayfs rm used',
    'snapshot default/overlayfs/leased: lease "l1" holds it: whoever took the lease still needs it; then: ctr -n default snapshots --snapshotter overlayfs rm leased',
    "snapshot default/overlayfs/pinned: it is labelled containerd.io/gc.root (someone pinned it): if it is not needed, ctr -n default snapshots --snapshotter overlayfs rm pinned",
  ]);
});

test("a meta.db record its snapshotter lost (not in the model) is still removed through the API", () => {
  const input = scenario()
    .anomaly(
      PATHS.snapshotterDb,
      "snapshot default/overlayfs/x",
      'snapshot "x" in namespace "default" has no record "default/3/x" in the overlayfs snapshotter',
    )
    .input();
  const [f] = missingSnapshotDir.run(input);
  assert.ok(f !== undefined);
  const a = apiSnapshotRemove.plan(f, ctx(input.store));
  assert.ok(!("unmended" in a));
  assert.equal(a.depth, 0);
  assert.deepEqual(a.steps[0]?.op === "api" && a.steps[0].request, {
    api: "containerd.snapshots.remove",
    namespace: "default",
    snapshotter: "overlayfs",
    key: "x",
  });
});

test("a child whose parent record is gone is not planned: containerd refuses to remove it (F6 in the bed)", () => {
  const input = scenario().snapshot("faults", "child", { id: "5", kind: "active", parent: "base" }).input();
  const [f] = danglingParent.run(input);
  assert.ok(f !== undefined);
  const a = apiSnapshotRemove.plan(f, ctx(input.store));
  assert.ok("unmended" in a);
  assert.ok(a.unmended.startsWith("containerd refuses to remove a snapshot whose parent record is gone"));
  assert.ok(a.unmended.endsWith(f.remedy));
});

test("a podman layer's record is not containerd's: unmended with the finding's remedy", () => {
  const input = overlayScenario().layer("child").input();
  const a = apiSnapshotRemove.plan(
    {
      check: "missing-snapshot-dir",
      severity: "error",
      subject: "snapshot overlay/child",
      path: "/g/overlay/child",
      bytes: 0,
      message: "",
      remedy: "pull again",
    },
    ctx(input.store),
  );
  assert.deepEqual(a, { unmended: "only containerd's records are changed through its API here; pull again" });
});
