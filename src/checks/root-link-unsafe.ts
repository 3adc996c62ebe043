// checks/root-link-unsafe.ts — a storage root reached through a symlink that can change under containerd: a
// relative link (it means something else once the link or its parent dir is moved or bind-mounted), a
// dangling one, or one whose target another user can write to (not owned by root, or group/world-writable:
// whoever can write there can swap the store's files under every container).

import { isAbsolute } from "node:path";
import type { Severity } from "./check.js";
import { defineCheck, EVERY_RUNTIME } from "./check.js";

/** The storage root's symlink, when it has one, checked. Cost: one lstat, readlink and stat. */
export const rootLinkUnsafe = defineCheck({
  id: "root-link-unsafe",
  summary: "the storage root is a symlink that is relative, dangling, or points at a dir others can write to",
  kind: { severity: "warning", needs: ["dirs"], runtimes: EVERY_RUNTIME },
  *find(input) {
    const r = input.rootFact;
    if (!r.isSymlink || r.linkTarget === null) return;
    const reasons: string[] = [];
    let severity: Severity = "warning";
    if (!isAbsolute(r.linkTarget)) reasons.push(`its target "${r.linkTarget}" is relative`);
    if (r.resolved === null) {
      reasons.push("it does not resolve (dangling)");
      severity = "error";
    } else {
      if (r.targetUid !== null && r.targetUid !== 0) {
        reasons.push(`its target ${r.resolved} is owned by uid ${r.targetUid}, not root`);
        severity = "error";
      }
      if (r.targetMode !== null && (r.targetMode & 0o022) !== 0) {
        const who = [
          (r.targetMode & 0o020) !== 0 ? "group" : "",
          (r.targetMode & 0o002) !== 0 ? "others" : "",
        ];
        const mode = r.targetMode.toString(8).padStart(4, "0");
        reasons.push(
          `its target ${r.resolved} is writable by ${who.filter(Boolean).join(" and ")} (mode ${mode})`,
        );
        severity = "error";
      }
    }
    if (reasons.length === 0) return;
    yield {
      severity,
      subject: `root ${r.path}`,
      path: r.path,
      message: `the storage root is a symlink and ${reasons.join("; ")}`,
      remedy:
        r.resolved === null
          ? `point the link at the real root with an absolute path, or set ${input.words.rootSetting} to the real dir`
          : `set ${input.words.rootSetting} to ${r.resolved} (or make the link absolute), owned by root and writable only by it`,
    };
  },
});
