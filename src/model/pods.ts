// model/pods.ts — Kubernetes pods from container records, the way kubelet labels them: a pod sandbox is the
// container labelled `io.cri-containerd.kind=sandbox`; every container of a pod carries
// `io.kubernetes.pod.{namespace,name,uid}`, and an app container `io.kubernetes.container.name`. Pure.

import type { Container, ContainerPod, Labels, Pod } from "./store.js";

export const POD_NAME = "io.kubernetes.pod.name";
export const POD_NAMESPACE = "io.kubernetes.pod.namespace";
export const POD_UID = "io.kubernetes.pod.uid";
export const CONTAINER_NAME = "io.kubernetes.container.name";
/** containerd's CRI plugin marks its records `sandbox` or `container`. */
export const CRI_KIND = "io.cri-containerd.kind";

/** The pod a container's labels name, or null when they name none. A sandbox's containerName is "POD". */
export function podOfLabels(labels: Labels): ContainerPod | null {
  const podName = labels[POD_NAME];
  if (podName === undefined) return null;
  return {
    podNamespace: labels[POD_NAMESPACE] ?? "",
    podName,
    podUid: labels[POD_UID] ?? "",
    containerName: labels[CRI_KIND] === "sandbox" ? "POD" : (labels[CONTAINER_NAME] ?? ""),
  };
}

export function isSandbox(c: Container): boolean {
  return c.labels[CRI_KIND] === "sandbox";
}

/** The pods of a store read from disk: one per sandbox container; ready while its task runs. The attempt
 * and annotations live only in the CRI plugin's own records, so they read 0 and {}. */
export function podsFromContainers(containers: readonly Container[]): Pod[] {
  return containers.filter(isSandbox).map((c) => ({
    namespace: c.namespace,
    id: c.id,
    podName: c.labels[POD_NAME] ?? "",
    podNamespace: c.labels[POD_NAMESPACE] ?? "",
    podUid: c.labels[POD_UID] ?? "",
    attempt: 0,
    state: c.task?.status === "running" ? "ready" : "notready",
    createdAt: c.createdAt,
    labels: Object.fromEntries(Object.entries(c.labels).filter(([k]) => k !== CRI_KIND)),
    annotations: {},
    runtimeHandler: "",
  }));
}
