// checks/unreadable-path.ts — dirs and files doctor could not read (not merely absent): every check that
// needed them ran without them, so it may have missed something there.

import type { Check } from "./check.js";
import { EVERY_RUNTIME } from "./check.js";

/** Read errors met while gathering the disk facts. Cost: none of its own. */
export const unreadablePath: Check = {
  id: "unreadable-path",
  needs: ["dirs"],
  runtimes: EVERY_RUNTIME,
  summary: "a dir or file in the store that could not be read (the other checks skipped it)",
  run(input) {
    return input.readErrors.map((e) => ({
      check: "unreadable-path",
      severity: "warning",
      subject: `path ${e.path}`,
      path: e.path,
      bytes: 0,
      message: e.message,
      remedy: "run crifs as root; if it is root already, the filesystem may be damaged (check dmesg)",
    }));
  },
};
