// checks/orphan-log-dir.ts — pod log dirs (/var/log/pods/<ns>_<pod>_<uid>) of pods no runtime knows: the
// runtime leaves logs in place when a container or pod is removed, deleting them is kubelet's job, so a dir
// left behind (kubelet down, node reinstalled, pods removed by hand with crictl) only takes space.

import type { Check, Finding } from "./check.js";
import { EVERY_RUNTIME, isInFlight } from "./check.js";

/** Pod log dirs whose uid no container's labels or pod record names. Cost: one readdir (bytes: a walk). */
export const orphanLogDir: Check = {
  id: "orphan-log-dir",
  needs: ["metadata", "dirs", "walk"],
  runtimes: EVERY_RUNTIME,
  summary: "a /var/log/pods dir of a pod no runtime knows",
  run(input) {
    const out: Finding[] = [];
    const facts = input.podLogs;
    const known = facts?.knownPodUids;
    if (facts === undefined || known === null || known === undefined) return out;
    for (const p of facts.pods) {
      if (p.id === null || known.has(p.id.uid) || isInFlight(input, p.mtimeMs, p.ctimeMs)) continue;
      out.push({
        check: "orphan-log-dir",
        severity: "warning",
        subject: `pod log dir ${p.name}`,
        path: p.path,
        bytes: null,
        message: `pod ${p.id.namespace}/${p.id.pod} (uid ${p.id.uid}) has a log dir but no runtime knows the pod`,
        remedy:
          "remove the dir once its logs are no longer wanted (kubelet removes it when it deletes the pod)",
      });
    }
    return out;
  },
};
