import assert from "node:assert/strict";
import { test } from "node:test";
import { podOfLabels, podsFromContainers } from "./pods.js";
import type { Container } from "./store.js";
import { k8sContainer } from "./testing.js";

const pod = {
  "io.kubernetes.pod.name": "demo",
  "io.kubernetes.pod.namespace": "crifs",
  "io.kubernetes.pod.uid": "u1",
};

function container(id: string, labels: Record<string, string>, running: boolean): Container {
  return k8sContainer(id, {
    createdAt: "2026-01-01T00:00:00.000000000Z",
    labels,
    task: { status: running ? "running" : "stopped", pid: 1, bundle: null, rootfs: null },
  });
}

test("kubelet's labels name a container's pod; a sandbox is the pod's POD container; no labels, no pod", () => {
  assert.deepEqual(podOfLabels({ ...pod, "io.kubernetes.container.name": "app" }), {
    podNamespace: "crifs",
    podName: "demo",
    podUid: "u1",
    containerName: "app",
  });
  assert.equal(podOfLabels({ ...pod, "io.cri-containerd.kind": "sandbox" })?.containerName, "POD");
  assert.equal(podOfLabels({ app: "x" }), null);
});

test("each sandbox container is a pod, ready while its task runs, without containerd's kind label", () => {
  const pods = podsFromContainers([
    container("s1", { ...pod, "io.cri-containerd.kind": "sandbox" }, true),
    container("s2", { ...pod, "io.kubernetes.pod.uid": "u2", "io.cri-containerd.kind": "sandbox" }, false),
    container("c1", { ...pod, "io.cri-containerd.kind": "container" }, true),
  ]);
  assert.deepEqual(
    pods.map((p) => [p.id, p.podName, p.podUid, p.state, "io.cri-containerd.kind" in p.labels]),
    [
      ["s1", "demo", "u1", "ready", false],
      ["s2", "demo", "u2", "notready", false],
    ],
  );
});
