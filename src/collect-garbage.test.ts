// collect-garbage.test.ts — collectGarbage runs a real major collection (seen by a GC performance observer).

import assert from "node:assert/strict";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { test } from "node:test";
import { collectGarbage } from "./collect-garbage.js";

test("collectGarbage runs a major (mark-compact) collection", async () => {
  const kinds: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) kinds.push((e as unknown as { detail: { kind: number } }).detail.kind);
  });
  observer.observe({ entryTypes: ["gc"] });
  collectGarbage();
  await new Promise((done) => setTimeout(done, 50));
  observer.disconnect();
  assert.ok(kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR), `gc kinds seen: ${kinds.join(",")}`);
});
