// runtimes/containerd/sandbox-pods.ts — the pods of a containerd store read from disk. 1.x keeps a pod as its
// pause container only (labels name it; attempt and annotations live in the CRI plugin's memory). 2.x also
// keeps a sandbox record per pod (meta.db `sandboxes`, meta-db.ts), whose CRI extension has the attempt,
// annotations and runtime handler: those fill in the pod, and a sandbox without a pause container (a
// sandboxer that runs none) is a pod too. Pure.

import { podsFromContainers } from "../../model/pods.js";
import type { Container, Pod } from "../../model/store.js";
import type { MetaSandbox } from "./meta-db.js";

/** One pod per pause container, then per sandbox record that has none; sorted as the containers are. */
export function sandboxPods(containers: readonly Container[], sandboxes: readonly MetaSandbox[]): Pod[] {
  const records = new Map(sandboxes.map((s) => [`${s.namespace}/${s.id}`, s]));
  const pods = podsFromContainers(containers).map((p): Pod => {
    const cri = records.get(`${p.namespace}/${p.id}`)?.cri;
    if (cri === null || cri === undefined) return p;
    return { ...p, attempt: cri.attempt, annotations: cri.annotations, runtimeHandler: cri.runtimeHandler };
  });
  const seen = new Set(pods.map((p) => `${p.namespace}/${p.id}`));
  for (const s of sandboxes) {
    if (seen.has(`${s.namespace}/${s.id}`) || s.cri === null) continue;
    pods.push({
      namespace: s.namespace,
      id: s.id,
      podName: s.cri.name,
      podNamespace: s.cri.podNamespace,
      podUid: s.cri.uid,
      attempt: s.cri.attempt,
      // no pause container here: nothing on disk says it runs
      state: "notready",
      createdAt: s.createdAt,
      labels: s.cri.labels,
      annotations: s.cri.annotations,
      runtimeHandler: s.cri.runtimeHandler,
    });
  }
  return pods;
}
