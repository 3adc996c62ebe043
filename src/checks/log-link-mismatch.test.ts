import assert from "node:assert/strict";
import { test } from "node:test";
import { logLinkMismatch } from "./log-link-mismatch.js";
import { brief } from "./testing.js";
import { ID1, ID2, LINKS, LogScenario, PODS } from "./testing-logs.js";

test("a link naming another pod or container than its target, or a container of another pod, mismatches", () => {
  const ok = `web-0_default_app-${ID1}.log`;
  const otherContainer = `web-0_default_sidecar-${ID1}.log`;
  const otherUid = `web-1_default_app-${ID2}.log`;
  const s = new LogScenario()
    .link(ok, `${PODS}/default_web-0_u1/app/0.log`)
    .link(otherContainer, `${PODS}/default_web-0_u1/app/0.log`)
    .link(otherUid, `${PODS}/default_web-1_u1/app/0.log`)
    .link("foreign.log", "/elsewhere/x.log")
    .knownPod("u1", ID1)
    .knownPod("u9", ID2, "default", "web-1");
  const found = logLinkMismatch.run(s.input());
  assert.deepEqual(found.map(brief), [
    `log-link-mismatch ${LINKS}/${otherContainer} 0 log link ${otherContainer}`,
    `log-link-mismatch ${LINKS}/${otherUid} 0 log link ${otherUid}`,
  ]);
  assert.match(found[0]?.message ?? "", /container "sidecar" ≠ "app"/);
  assert.match(found[1]?.message ?? "", /belongs to pod uid "u9", not "u1"/);
});
