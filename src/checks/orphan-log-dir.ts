// checks/orphan-log-dir.ts — pod log dirs (/var/log/pods/<ns>_<pod>_<uid>) of pods no runtime knows: the
// runtime leaves logs in place when a container or pod is removed, deleting them is kubelet's job, so a dir
// left behind (kubelet down, node reinstalled, pods removed by hand with crictl) only takes space.

import { defineCheck, EVERY_RUNTIME, isInFlight } from "./check.js";

/** Pod log dirs whose uid no container's labels or pod record names. Cost: one readdir (bytes: a walk). */
export const orphanLogDir = defineCheck({
  id: "orphan-log-dir",
  summary: "a /var/log/pods dir of a pod no runtime knows",
  kind: { severity: "warning", needs: ["metadata", "dirs", "walk"], runtimes: EVERY_RUNTIME },
  *find(input) {
    const known = input.podLogs?.knownPodUids;
    if (known === null || known === undefined) return;
    for (const p of input.podLogs?.pods ?? []) {
      if (p.id === null || known.has(p.id.uid) || isInFlight(input, p.mtimeMs, p.ctimeMs)) continue;
      yield {
        subject: `pod log dir ${p.name}`,
        path: p.path,
        message: `pod ${p.id.namespace}/${p.id.pod} (uid ${p.id.uid}) has a log dir but no runtime knows the pod`,
        remedy:
          "remove the dir once its logs are no longer wanted (kubelet removes it when it deletes the pod)",
      };
    }
  },
});
