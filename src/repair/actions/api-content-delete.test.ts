import assert from "node:assert/strict";
import { test } from "node:test";
import { blobPath, NOW, scenario } from "../../checks/testing.js";
import { unreferencedBlob } from "../../checks/unreferenced-blob.js";
import type { Store } from "../../model/store.js";
import type { PlanContext } from "../action.js";
import { apiContentDelete } from "./api-content-delete.js";

function ctx(store: Store | null): PlanContext {
  assert.ok(store !== null);
  return { store, daemonUp: true, now: NOW, graceMs: 60_000 };
}

test("an unreferenced blob record becomes a Content.Delete call; a manifest goes before the config it names", () => {
  const input = scenario()
    .blob("default", "sha256:man", { "containerd.io/gc.ref.content.config": "sha256:cfg" })
    .blob("default", "sha256:cfg")
    .input();
  const plans = unreferencedBlob.run(input).map((f) => apiContentDelete.plan(f, ctx(input.store)));
  assert.deepEqual(
    plans.map((a) => ("unmended" in a ? a.unmended : `${a.subject} ${a.depth} ${a.daemon}`)),
    ["blob default/sha256:man 1 up", "blob default/sha256:cfg 0 up"],
  );
  const a = plans[1];
  assert.ok(a !== undefined && !("unmended" in a));
  assert.deepEqual(a.steps, [
    {
      op: "api",
      call: "ctr -n default content rm sha256:cfg",
      request: { api: "containerd.content.delete", namespace: "default", digest: "sha256:cfg" },
    },
  ]);
  assert.deepEqual(a.guards, [
    { guard: "still-found", check: "unreferenced-blob", path: blobPath("sha256:cfg") },
    { guard: "unreferenced", path: blobPath("sha256:cfg") },
  ]);
  assert.equal(a.bytes, 4096);
});

test("a blob file with no record has nothing for the API to delete", () => {
  const input = scenario().blobFile("sha256:loose").input();
  const [f] = unreferencedBlob.run(input);
  assert.ok(f !== undefined);
  const a = apiContentDelete.plan(f, ctx(input.store));
  assert.ok("unmended" in a);
  assert.match(a.unmended, /^the file has no record in any namespace/);
});
