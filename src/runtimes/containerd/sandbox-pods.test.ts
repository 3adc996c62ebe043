import assert from "node:assert/strict";
import { test } from "node:test";
import type { Container } from "../../model/store.js";
import type { MetaSandbox } from "./meta-db.js";
import { sandboxPods } from "./sandbox-pods.js";

const pause: Container = {
  namespace: "k8s.io",
  id: "p1",
  image: "registry.k8s.io/pause:3.10",
  snapshotter: "overlayfs",
  snapshotKey: "p1",
  runtime: "io.containerd.runc.v2",
  createdAt: "2026-12-06T22:00:00Z",
  updatedAt: null,
  labels: {
    "io.cri-containerd.kind": "sandbox",
    "io.kubernetes.pod.name": "demo",
    "io.kubernetes.pod.namespace": "crifs",
    "io.kubernetes.pod.uid": "u1",
  },
  spec: null,
  task: null,
  pod: null,
};

function record(id: string, attempt: number): MetaSandbox {
  return {
    namespace: "k8s.io",
    id,
    sandboxer: "podsandbox",
    runtime: "io.containerd.runc.v2",
    createdAt: "2026-12-06T22:00:01Z",
    updatedAt: null,
    labels: {},
    cri: {
      name: `pod-${id}`,
      podNamespace: "crifs",
      uid: `u-${id}`,
      attempt,
      labels: { app: id },
      annotations: { note: id },
      runtimeHandler: "runc",
    },
  };
}

test("1.x keeps no sandbox records: a pod per pause container, attempt 0 and no annotations", () => {
  const pods = sandboxPods([pause], []);
  assert.equal(pods.length, 1);
  assert.equal(pods[0]?.attempt, 0);
  assert.deepEqual(pods[0]?.annotations, {});
});

test("2.x's sandbox record fills in attempt, annotations and handler; a record without a pause container is a pod", () => {
  const pods = sandboxPods([pause], [record("p1", 2), record("p2", 0)]);
  assert.deepEqual(
    pods.map((p) => [p.id, p.podName, p.attempt, p.annotations, p.runtimeHandler, p.state]),
    [
      ["p1", "demo", 2, { note: "p1" }, "runc", "notready"],
      ["p2", "pod-p2", 0, { note: "p2" }, "runc", "notready"],
    ],
  );
});
