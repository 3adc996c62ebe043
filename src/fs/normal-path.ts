// fs/normal-path.ts — posix.normalize without its cost for a path that is normal already. normalize walks the
// path a character at a time in JS and builds a new string; the planner and the repair's re-check ask it of
// every action's path (10^4 actions: three times each), and those paths are the listing's, normal already.

import { posix } from "node:path";

/** posix.normalize(p): `p` itself when it is normal already (no empty, `.` or `..` segment, no trailing
 * slash, not empty), else what normalize makes of it. */
export function normalPath(p: string): string {
  if (p === "" || p.charCodeAt(0) === 46 /* . */ || p.endsWith("/") || p.includes("//") || p.includes("/."))
    return posix.normalize(p);
  return p;
}
