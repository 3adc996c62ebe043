// checks/log-link-mismatch.ts — a /var/log/containers link whose name says one pod or container and whose
// target is another's log: `kubectl logs`-style tools and log shippers then attribute the lines to the wrong
// container. The link name is <pod>_<ns>_<container>-<id>.log, the target …/<ns>_<pod>_<uid>/<container>/<n>.log;
// when a runtime knows the container id, the target's pod uid must be that container's pod.

import { defineCheck, EVERY_RUNTIME } from "./check.js";

/** Links whose name and target disagree. Cost: the link listing; no reads of the logs. */
export const logLinkMismatch = defineCheck({
  id: "log-link-mismatch",
  summary: "a /var/log/containers link naming another pod or container than its target's",
  kind: { severity: "warning", needs: ["dirs"], runtimes: EVERY_RUNTIME },
  *find(input) {
    const facts = input.podLogs;
    for (const l of facts?.links ?? []) {
      const named = l.id;
      const t = l.targetPod;
      if (named === null || t === null) continue;
      const wrong: string[] = [];
      if (named.namespace !== t.namespace) wrong.push(`namespace "${named.namespace}" ≠ "${t.namespace}"`);
      if (named.pod !== t.pod) wrong.push(`pod "${named.pod}" ≠ "${t.pod}"`);
      if (named.container !== t.container) wrong.push(`container "${named.container}" ≠ "${t.container}"`);
      const known = facts?.containerPods.get(named.containerId);
      if (known !== undefined && known.podUid !== t.uid)
        wrong.push(
          `container ${named.containerId.slice(0, 12)} belongs to pod uid "${known.podUid}", not "${t.uid}"`,
        );
      if (wrong.length === 0) continue;
      yield {
        subject: `log link ${l.name}`,
        path: l.path,
        message: `the log link's name and its target "${l.target}" disagree: ${wrong.join(", ")}`,
        remedy: "remove the link; kubelet recreates the right one for a running container",
      };
    }
  },
});
