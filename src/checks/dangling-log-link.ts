// checks/dangling-log-link.ts — kubelet's /var/log/containers/<pod>_<ns>_<container>-<id>.log links whose
// target is gone: the pod's log dir was removed (pod deleted) and the link was not. Harmless to the runtime,
// but log shippers that tail /var/log/containers/*.log keep failing on it.

import { defineCheck, EVERY_RUNTIME, isInFlight } from "./check.js";

/** Links in the containers log dir whose target does not exist. Cost: one readdir and a stat per link. */
export const danglingLogLink = defineCheck({
  id: "dangling-log-link",
  summary: "a /var/log/containers link whose target log file is gone",
  kind: { severity: "warning", needs: ["dirs"], runtimes: EVERY_RUNTIME },
  *find(input) {
    for (const l of input.podLogs?.links ?? []) {
      if (l.target === null || l.resolves || isInFlight(input, l.mtimeMs)) continue;
      yield {
        subject: `log link ${l.name}`,
        path: l.path,
        message: `the log link points to "${l.target}", which does not exist (its pod's log dir was removed)`,
        remedy: "remove the link (kubelet removes it with the container it names)",
      };
    }
  },
});
