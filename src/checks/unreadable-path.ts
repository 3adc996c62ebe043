// checks/unreadable-path.ts — dirs and files doctor could not read (not merely absent): every check that
// needed them ran without them, so it may have missed something there.

import { defineCheck, EVERY_RUNTIME } from "./check.js";

/** Read errors met while gathering the disk facts. Cost: none of its own. */
export const unreadablePath = defineCheck({
  id: "unreadable-path",
  summary: "a dir or file in the store that could not be read (the other checks skipped it)",
  kind: { severity: "warning", needs: ["dirs"], runtimes: EVERY_RUNTIME },
  *find(input) {
    for (const e of input.readErrors) {
      yield {
        subject: `path ${e.path}`,
        path: e.path,
        message: e.message,
        remedy: "run crifs as root; if it is root already, the filesystem may be damaged (check dmesg)",
      };
    }
  },
});
