import assert from "node:assert/strict";
import { test } from "node:test";
import { orphanLogDir } from "./orphan-log-dir.js";
import { brief, NOW } from "./testing.js";
import { LogScenario, PODS } from "./testing-logs.js";

test("pod log dirs of pods no runtime knows are orphans; known, young and foreign-named dirs are not", () => {
  const s = new LogScenario()
    .podDir("default_web-0_u1")
    .podDir("batch_job-x_u2")
    .podDir("batch_new_u3", ["main"], { mtimeMs: NOW - 1000 })
    .podDir("not-a-pod-dir")
    .knownPod("u1");
  assert.deepEqual(orphanLogDir.run(s.input()).map(brief), [
    `orphan-log-dir ${PODS}/batch_job-x_u2 - pod log dir batch_job-x_u2`,
  ]);
});

test("when a store could not be read, no pod dir is an orphan", () => {
  const s = new LogScenario().podDir("batch_job-x_u2").storesUnreadable();
  assert.deepEqual(orphanLogDir.run(s.input()), []);
});
