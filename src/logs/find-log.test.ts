import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Container, Store } from "../model/store.js";
import { emptyStore, k8sContainer } from "../model/testing.js";
import { findContainerLog } from "./find-log.js";
import { type KubeletLogs, parseLogLinkName, podOfLogPath } from "./kubelet-layout.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-findlog-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const ID = "e".repeat(64);

function container(
  id: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): Container {
  return k8sContainer(id, { labels, spec: { annotations } });
}

function store(runtime: Store["location"]["runtime"], containers: Container[]): Store {
  return emptyStore({ runtime, root: join(dir, runtime) }, { containers });
}

function layout(links: { name: string; target: string }[] = []): KubeletLogs {
  return {
    podsDir: join(dir, "pods"),
    containersDir: join(dir, "containers"),
    pods: [],
    links: links.map((l) => ({
      name: l.name,
      path: join(dir, "containers", l.name),
      id: parseLogLinkName(l.name),
      target: l.target,
      targetPath: l.target,
      resolves: true,
      targetPod: podOfLogPath(l.target),
      mtimeMs: 0,
    })),
    problems: [],
  };
}

const POD = {
  "io.kubernetes.pod.namespace": "default",
  "io.kubernetes.pod.name": "web-0",
  "io.kubernetes.pod.uid": "u1",
  "io.kubernetes.container.name": "app",
};

test("docker: config.v2.json's LogPath, else <id>-json.log in the container's dir", () => {
  const s = store("docker", [container("d1"), container("d2")]);
  mkdirSync(join(s.location.root, "containers", "d1"), { recursive: true });
  writeFileSync(
    join(s.location.root, "containers", "d1", "config.v2.json"),
    JSON.stringify({ LogPath: "/x/d1.log" }),
  );
  assert.deepEqual(findContainerLog(s, s.containers[0] ?? null, "d1", layout()), {
    path: "/x/d1.log",
    format: "docker-json",
    source: "docker-config",
  });
  assert.equal(
    findContainerLog(s, s.containers[1] ?? null, "d2", layout())?.path,
    join(s.location.root, "containers", "d2", "d2-json.log"),
  );
});

test("CRI-O: the LogPath annotation", () => {
  const c = container(ID, POD, { "io.kubernetes.cri-o.LogPath": "/var/log/pods/x/app/3.log" });
  assert.equal(findContainerLog(store("crio", [c]), c, ID, layout())?.source, "crio-annotation");
});

test("containerd CRI: the sandbox's log dir, else the pods dir and the labels; the restart from the annotation, the link, or the newest file", () => {
  const sandbox = container(
    "s1",
    {},
    { "io.kubernetes.cri.sandbox-log-directory": "/recorded/default_web-0_u1" },
  );
  const c = container(ID, POD, {
    "io.kubernetes.cri.sandbox-id": "s1",
    "io.kubernetes.container.restartCount": "2",
  });
  const s = store("containerd", [sandbox, c]);
  assert.equal(findContainerLog(s, c, ID, layout())?.path, "/recorded/default_web-0_u1/app/2.log");
  // --log-root named: it wins over the recorded dir
  assert.equal(
    findContainerLog(s, c, ID, layout(), { explicitPodsDir: true })?.path,
    join(dir, "pods", "default_web-0_u1", "app", "2.log"),
  );
  const bare = container(ID, POD);
  const linked = layout([
    { name: `web-0_default_app-${ID}.log`, target: join(dir, "pods", "default_web-0_u1", "app", "4.log") },
  ]);
  assert.equal(
    findContainerLog(store("containerd", [bare]), bare, ID, linked)?.path.endsWith("/app/4.log"),
    true,
  );
  const appDir = join(dir, "pods", "default_web-0_u1", "app");
  mkdirSync(appDir, { recursive: true });
  for (const f of ["0.log", "1.log", "1.log.20260101-000000"]) writeFileSync(join(appDir, f), "");
  assert.equal(
    findContainerLog(store("containerd", [bare]), bare, ID, layout())?.path,
    join(appDir, "1.log"),
  );
});

test("no store: kubelet's link by the id or a 12+ digit prefix; otherwise nothing", () => {
  const l = layout([{ name: `web-0_default_app-${ID}.log`, target: "/p/default_web-0_u1/app/0.log" }]);
  assert.equal(findContainerLog(null, null, ID.slice(0, 12), l)?.source, "kubelet-link");
  assert.equal(findContainerLog(null, null, ID.slice(0, 6), l), null);
  assert.equal(findContainerLog(null, null, "f".repeat(64), l), null);
});
