import assert from "node:assert/strict";
import { test } from "node:test";
import { parseLogLinkName, parsePodLogDirName, podOfLogPath } from "../logs/kubelet-layout.js";

const ID1 = "a".repeat(64);

const PODS = "/var/log/pods";

test("the layout's names split on '_'; a container's name may hold '-'", () => {
  assert.deepEqual(parsePodLogDirName("default_web-0_1111"), {
    namespace: "default",
    pod: "web-0",
    uid: "1111",
  });
  assert.equal(parsePodLogDirName("default_web-0"), null);
  assert.deepEqual(parseLogLinkName(`web-0_default_side-car-${ID1}.log`), {
    pod: "web-0",
    namespace: "default",
    container: "side-car",
    containerId: ID1,
  });
  assert.equal(parseLogLinkName("web-0_default_app-1234.log"), null);
  assert.deepEqual(podOfLogPath(`${PODS}/default_web-0_u1/app/2.log`), {
    namespace: "default",
    pod: "web-0",
    uid: "u1",
    container: "app",
    file: "2.log",
  });
});
