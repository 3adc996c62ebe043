import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { plantTree, tempDir } from "../fs/testing-tree.js";
import {
  parseLogLinkName,
  parsePodLogDirName,
  podOfLogPath,
  readKubeletLogs,
} from "../logs/kubelet-layout.js";

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

test("under --host-root the links' targets are the node's: resolved below it as in a chroot, never on this machine", () => {
  const h = tempDir("crifs-layout-hostroot-");
  const id = (c: string) => c.repeat(64);
  const link = (c: string, container: string) => `var/log/containers/web-0_default_${container}-${id(c)}.log`;
  plantTree(h, [
    "f var/log/pods/default_web-0_u1/app/0.log on the node",
    // kubelet's own kind: absolute, into the node's pods dir
    `l ${link("a", "app")} /var/log/pods/default_web-0_u1/app/0.log`,
    // a path this machine has and the node does not: dangling on the node
    `l ${link("b", "etc")} /etc/passwd`,
    // relative, climbing past the node's /: stops at it, so it is the node's /etc/passwd, absent too
    `l ${link("c", "up")} ../../../../../../../etc/passwd`,
    // through a node symlink whose target is absolute: restarts at the host root
    "l var/log/pods-link /var/log/pods",
    `l ${link("d", "via")} /var/log/pods-link/default_web-0_u1/app/0.log`,
  ]);
  const logs = readKubeletLogs({ hostRoot: h });
  assert.equal(logs.podsDir, join(h, "var/log/pods"));
  assert.equal(logs.containersDir, join(h, "var/log/containers"));
  const byContainer = new Map(logs.links.map((l) => [l.id?.container, l]));
  const nodeLog = join(h, "var/log/pods/default_web-0_u1/app/0.log");
  assert.deepEqual(
    ["app", "etc", "up", "via"].map((c) => [c, byContainer.get(c)?.resolves, byContainer.get(c)?.targetPath]),
    [
      ["app", true, nodeLog],
      ["etc", false, join(h, "etc/passwd")],
      ["up", false, join(h, "etc/passwd")],
      ["via", true, nodeLog],
    ],
  );
  assert.deepEqual(
    logs.pods.map((p) => [p.name, p.path]),
    [["default_web-0_u1", join(h, "var/log/pods/default_web-0_u1")]],
  );
});
