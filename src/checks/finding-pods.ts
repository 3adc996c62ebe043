// checks/finding-pods.ts — the Kubernetes pod a finding belongs to, so that an operator reads
// "kube-system/coredns-7db6 container coredns" rather than a snapshot id. Pure: a finding and the store in,
// the finding with `pod` out. Found from, in order:
//   subject "container <ns>/<id>…"               that container's pod
//   subject "snapshot <ns>/<snapshotter>/<key>"  the pod of the container whose writable snapshot it is
//   path inside a container's snapshot dir       the pod of that container (writable layers only)
//   subject "log link <pod>_<ns>_<ctr>-<id>.log"  kubelet's name for the link
//   subject "pod log dir <ns>_<pod>_<uid>"        kubelet's name for the pod's log dir

import type { ContainerPod, Store } from "../model/store.js";
import type { Finding } from "./check.js";

function fromLogLink(name: string): ContainerPod | null {
  const m = /^([^_]+)_([^_]+)_(.+)-[0-9a-f]{64}\.log$/.exec(name);
  return m === null
    ? null
    : { podName: m[1] ?? "", podNamespace: m[2] ?? "", podUid: "", containerName: m[3] ?? "" };
}

function fromPodLogDir(name: string): ContainerPod | null {
  const m = /^([^_]+)_([^_]+)_(.+)$/.exec(name);
  return m === null
    ? null
    : { podNamespace: m[1] ?? "", podName: m[2] ?? "", podUid: m[3] ?? "", containerName: "" };
}

/** An index of a store's containers that belong to pods, for many findings. */
export function podIndex(store: Store | null) {
  const byId = new Map<string, ContainerPod>();
  const bySnapshot = new Map<string, ContainerPod>();
  const byDir: [string, ContainerPod][] = [];
  for (const c of store?.containers ?? []) {
    if (c.pod === undefined || c.pod === null) continue;
    byId.set(`${c.namespace}/${c.id}`, c.pod);
    bySnapshot.set(`${c.namespace}/${c.snapshotter}/${c.snapshotKey}`, c.pod);
    const s = store?.snapshots.find(
      (x) => x.namespace === c.namespace && x.snapshotter === c.snapshotter && x.key === c.snapshotKey,
    );
    if (s !== undefined) byDir.push([s.dir, c.pod]);
  }
  const hasPods = byId.size > 0 || bySnapshot.size > 0 || byDir.length > 0;
  return (f: Finding): ContainerPod | null => {
    // no container of a pod: only kubelet's log names can say (doctor asks for each of 10^5 broken links)
    if (!hasPods && !f.subject.startsWith("log link ") && !f.subject.startsWith("pod log dir ")) return null;
    const ctr = /^container (\S*?)\/([^\s:/]+)/.exec(f.subject);
    if (ctr !== null) {
      const p = byId.get(`${ctr[1]}/${ctr[2]}`);
      if (p !== undefined) return p;
    }
    const snap = /^snapshot (\S*?)\/([^/\s]+)\/(\S+)$/.exec(f.subject);
    if (snap !== null) {
      const p = bySnapshot.get(`${snap[1]}/${snap[2]}/${snap[3]}`);
      if (p !== undefined) return p;
    }
    for (const [dir, p] of byDir) if (f.path === dir || f.path.startsWith(`${dir}/`)) return p;
    const link = /^log link (\S+)$/.exec(f.subject);
    if (link !== null) return fromLogLink(link[1] ?? "");
    const logDir = /^pod log dir (\S+)$/.exec(f.subject);
    if (logDir !== null) return fromPodLogDir(logDir[1] ?? "");
    return null;
  };
}

/** The findings, each with `pod` (null when it belongs to no pod). */
export function withPods(findings: readonly Finding[], store: Store | null): Finding[] {
  const podOf = podIndex(store);
  return findings.map((f) => ({ ...f, pod: podOf(f) }));
}
