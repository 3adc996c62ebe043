// logs/log-facts.ts — what doctor's log checks look at: kubelet's log layout (kubelet-layout.ts) beside the
// pods the runtimes know. Pods are known by uid, from each container's labels or spec annotations
// (io.kubernetes.pod.uid) and from the store's pods when its adapter reads them.

import type { Container, Store } from "../model/store.js";
import { podUidOf } from "./find-log.js";
import { type KubeletLogs, readKubeletLogs } from "./kubelet-layout.js";
import type { LogDirs } from "./log-dirs.js";

export interface ContainerPodRef {
  readonly podUid: string;
  readonly podNamespace: string | null;
  readonly podName: string | null;
  readonly containerName: string | null;
}

export interface PodLogFacts extends KubeletLogs {
  /** Uids of the pods the runtimes know, or null when a store could not be read (nothing is then an orphan). */
  readonly knownPodUids: ReadonlySet<string> | null;
  /** Containers with a pod, by container id. */
  readonly containerPods: ReadonlyMap<string, ContainerPodRef>;
}

/** The pod fields adapters fill once they read pods (read structurally: older adapters leave them out). */
interface PodFields {
  readonly pod?: {
    readonly podUid: string;
    readonly podNamespace: string;
    readonly podName: string;
    readonly containerName: string;
  } | null;
}

function podRef(container: Container): ContainerPodRef | null {
  const c = container as Container & PodFields;
  const uid = c.pod?.podUid || podUidOf(c);
  if (uid === null || uid === undefined || uid === "") return null;
  return {
    podUid: uid,
    podNamespace: c.pod?.podNamespace ?? c.labels["io.kubernetes.pod.namespace"] ?? null,
    podName: c.pod?.podName ?? c.labels["io.kubernetes.pod.name"] ?? null,
    containerName: c.pod?.containerName ?? c.labels["io.kubernetes.container.name"] ?? null,
  };
}

/** Reads the layout and the pods of `stores` (null: some store could not be read). Cost: the layout's readdirs. */
export function readPodLogFacts(dirs: LogDirs, stores: readonly Store[] | null): PodLogFacts {
  const layout = readKubeletLogs(dirs);
  const containerPods = new Map<string, ContainerPodRef>();
  let known: Set<string> | null = null;
  if (stores !== null) {
    known = new Set();
    for (const s of stores) {
      for (const p of (s as { pods?: readonly { podUid: string }[] }).pods ?? []) known.add(p.podUid);
      for (const c of s.containers) {
        const ref = podRef(c);
        if (ref === null) continue;
        known.add(ref.podUid);
        containerPods.set(c.id, ref);
      }
    }
  }
  return { ...layout, knownPodUids: known, containerPods };
}
