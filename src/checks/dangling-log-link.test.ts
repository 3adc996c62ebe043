import assert from "node:assert/strict";
import { test } from "node:test";
import { danglingLogLink } from "./dangling-log-link.js";
import { brief, NOW } from "./testing.js";
import { ID1, ID2, LINKS, LogScenario, PODS } from "./testing-logs.js";

test("a link whose pod dir is gone dangles; a resolving link, a young one and no layout do not", () => {
  const input = new LogScenario()
    .link(`web-0_default_app-${ID1}.log`, `${PODS}/default_web-0_u1/app/0.log`)
    .link(`job-x_batch_main-${ID2}.log`, `${PODS}/batch_job-x_u2/main/1.log`, false)
    .link(`new_batch_main-${ID1}.log`, `${PODS}/batch_new_u3/main/0.log`, false, { mtimeMs: NOW - 1000 })
    .input();
  assert.deepEqual(danglingLogLink.run(input).map(brief), [
    `dangling-log-link ${LINKS}/job-x_batch_main-${ID2}.log 0 log link job-x_batch_main-${ID2}.log`,
  ]);
  assert.deepEqual(danglingLogLink.run(new LogScenario().input({ graceMs: 0 })), []);
});
