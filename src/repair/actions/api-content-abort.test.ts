import assert from "node:assert/strict";
import { test } from "node:test";
import { staleIngest } from "../../checks/stale-ingest.js";
import { CONTENT, NOW, scenario } from "../../checks/testing.js";
import type { Store } from "../../model/store.js";
import type { PlanContext } from "../action.js";
import { apiContentAbort } from "./api-content-abort.js";

function ctx(store: Store | null): PlanContext {
  assert.ok(store !== null);
  return { store, daemonUp: false, now: NOW, graceMs: 60_000 };
}

test("a stale ingest with a record becomes a Content.Abort call; one without a record or held by a lease does not", () => {
  const input = scenario()
    .ingest("default", "idle", { expiresAt: "2026-01-02T00:00:00Z", name: "a", bytes: 8192 })
    .ingest("default", "held", { name: "b" })
    .lease("default", "pull", { ingests: ["held"] })
    .ingestDir("default/1/nobody", { name: "d", bytes: 4096 })
    .input();
  const out = staleIngest
    .run(input)
    .map((f) => [f.subject, apiContentAbort.plan(f, ctx(input.store))] as const);
  assert.deepEqual(out[0], [
    "ingest default/idle",
    {
      kind: "api-content-abort",
      check: "stale-ingest",
      subject: "ingest default/idle",
      path: `${CONTENT}/ingest/a`,
      why: "it expired or nothing wrote to it for the grace period (it expires at 2026-01-02T00:00:00Z): an abandoned download; containerd aborts it too once it expires",
      bytes: 8192,
      daemon: "up",
      steps: [
        {
          op: "api",
          call: "grpc containerd.services.content.v1.Content/Abort ref=idle (namespace default; ctr has no command for it: crifs repair --apply makes the call)",
          request: { api: "containerd.content.abort", namespace: "default", ref: "idle" },
        },
      ],
      guards: [
        { guard: "still-found", check: "stale-ingest", path: `${CONTENT}/ingest/a` },
        { guard: "unreferenced", path: `${CONTENT}/ingest/a` },
      ],
    },
  ]);
  assert.deepEqual(out.slice(1), [
    [
      "ingest default/held",
      { unmended: 'lease "pull" holds it: whoever took the lease may still resume the download' },
    ],
    [
      "ingest dir d",
      {
        unmended:
          "it has no ingest record: nothing for containerd's API to abort (the dir is a file-level leftover)",
      },
    ],
  ]);
});
