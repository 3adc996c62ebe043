import assert from "node:assert/strict";
import { test } from "node:test";
import type { Finding } from "../../checks/check.js";
import { orphanSnapshotDir } from "../../checks/orphan-snapshot-dir.js";
import { staleIngest } from "../../checks/stale-ingest.js";
import { NOW, OLD, ROOT, SNAPSHOTS, scenario } from "../../checks/testing.js";
import { tmpmountLeftover } from "../../checks/tmpmount-leftover.js";
import { emptyStore } from "../../model/testing.js";
import type { PathIdentity, PlanContext } from "../action.js";
import { quarantine } from "./quarantine.js";

const store = emptyStore({ runtime: "containerd", root: ROOT });
const id: PathIdentity = { dev: 1, ino: 2, ctimeMs: 3 };

function ctx(paths: readonly string[]): PlanContext {
  return { store, daemonUp: false, now: NOW, graceMs: 0, identities: new Map(paths.map((p) => [p, id])) };
}

test("an orphan snapshot dir, a new-* dir and a tmpmount leftover are each one quarantine step with all four guards", () => {
  const input = scenario().orphanDir("9999").orphanDir("new-1").tmpmount("containerd-mount1").input();
  const found: Finding[] = [...orphanSnapshotDir.run(input), ...tmpmountLeftover.run(input)];
  assert.equal(found.length, 3);
  for (const f of found) {
    const a = quarantine.plan(f, ctx([f.path]));
    assert.ok(!("unmended" in a), JSON.stringify(a));
    assert.deepEqual(a.steps, [{ op: "quarantine", path: f.path }]);
    assert.equal(a.daemon, "either");
    assert.deepEqual(
      a.guards.map((g) => g.guard),
      ["still-found", "not-mounted", "unchanged", "unreferenced"],
    );
    assert.deepEqual(a.guards[2], { guard: "unchanged", path: f.path, ...id });
    assert.notEqual(a.why, "");
  }
  const snap = found.find((f) => f.path === `${SNAPSHOTS}/9999`);
  assert.ok(snap);
  const a = quarantine.plan(snap, ctx([snap.path]));
  assert.ok(!("unmended" in a));
  assert.match(a.why, /names dir 9999/);
});

test("an ingest dir without a record is quarantined; one with a record is left to containerd's content service", () => {
  const input = scenario()
    .ingestDir("default/1/orphan", { updatedAt: OLD })
    .ingest("default", "rec", { updatedAt: OLD, expiresAt: OLD })
    .input();
  const found = staleIngest.run(input);
  const byRecord = found.filter((f) => !f.subject.startsWith("ingest dir "));
  const orphan = found.filter((f) => f.subject.startsWith("ingest dir "));
  assert.equal(orphan.length, 1);
  assert.ok(byRecord.length >= 1);
  const o = orphan[0] as Finding;
  assert.ok(!("unmended" in quarantine.plan(o, ctx([o.path]))));
  for (const f of byRecord) {
    const r = quarantine.plan(f, ctx([f.path]));
    assert.ok("unmended" in r);
    assert.match(r.unmended, /content service/);
  }
});

test("a path gone since the findings were read is unmended; without identities the unchanged guard is left out", () => {
  const f = orphanSnapshotDir.run(scenario().orphanDir("9").input())[0] as Finding;
  const gone = quarantine.plan(f, ctx([]));
  assert.deepEqual(gone, { unmended: "it is gone since the findings were read" });
  const bare = quarantine.plan(f, { store, daemonUp: false, now: NOW, graceMs: 0 });
  assert.ok(!("unmended" in bare));
  assert.deepEqual(
    bare.guards.map((g) => g.guard),
    ["still-found", "not-mounted", "unreferenced"],
  );
});

test("an orphan layer dir takes its short link with it, link first, when the link is there", () => {
  const f: Finding = {
    check: "orphan-layer-dir",
    severity: "warning",
    subject: "overlay2 dir abc-init",
    path: "/r/overlay2/abc-init",
    bytes: 8192,
    message: "directory abc-init is not named by any layer record",
    remedy:
      "nothing can reach it: with the runtime idle, rm -rf /r/overlay2/abc-init (and its short link l/ABCDEF, if any)",
  };
  const there = quarantine.plan(f, ctx([f.path, "/r/overlay2/l/ABCDEF"]));
  assert.ok(!("unmended" in there));
  assert.deepEqual(there.steps, [
    { op: "quarantine", path: "/r/overlay2/l/ABCDEF" },
    { op: "quarantine", path: "/r/overlay2/abc-init" },
  ]);
  assert.ok(there.guards.some((g) => g.guard === "unreferenced" && g.path === "/r/overlay2/l/ABCDEF"));
  const absent = quarantine.plan(f, ctx([f.path]));
  assert.ok(!("unmended" in absent));
  assert.deepEqual(absent.steps, [{ op: "quarantine", path: "/r/overlay2/abc-init" }]);
});
