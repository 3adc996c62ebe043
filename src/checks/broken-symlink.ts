// checks/broken-symlink.ts — symlinks that lead nowhere inside a container's merged root, judged the way the
// container's kernel would follow them (src/links: absolute targets restart at the container's /, whiteouts
// and opaque dirs hide what they hide). The classic case is the link that works on the build host only: its
// target exists on the host, never in the image ("works on my machine"). Links into what the runtime mounts
// at run time (/proc, /dev, /run, bind mounts) are not judged, so they are never findings.

import { errnoWords } from "../errors.js";
import type { BrokenLinkRows } from "../links/broken-link-rows.js";
import type { BrokenLink } from "../links/broken-links.js";
import { subjectOf as subjectOfObject } from "../model/words.js";
import { defineCheck, EVERY_RUNTIME } from "./check.js";

function subjectOf(b: BrokenLink): string {
  return `${subjectOfObject("container", b.namespace, b.container)}: ${b.path}`;
}

function message(b: BrokenLink): string {
  const where = b.isInLowerLayer
    ? `it comes from image layer ${b.layer.key} (snapshot dir ${b.layer.id}), so every container of the image has it`
    : "the container wrote it (its own writable layer)";
  const hostOnly = b.isHostOnly
    ? `; the target exists on this host but not in the image: the link works only where it was made`
    : "";
  return (
    `symlink ${b.path} -> ${b.target} in ${subjectOfObject("container", b.namespace, b.container)} is broken: ` +
    `${errnoWords(b.reason)} at ${b.at}${hostOnly}; ${where}`
  );
}

const REMEDY_UPPER =
  "fix the link inside the container (ln -sfn <target> <link>), or remove it; crifs never edits a container's files";
const REMEDY_HOST_ONLY =
  "put the target into the image (or mount it into the container at that path) instead of relying on the host, then rebuild the image; crifs never edits image layers";
const REMEDY_LOWER =
  "point the link at a path the image holds, or add the target to the image, then rebuild the image; crifs never edits image layers";

/** The remedy of a link in the container's own layer or an image layer, its target on the host or not. */
function remedy(isInLowerLayer: boolean, isHostOnly: boolean): string {
  return !isInLowerLayer ? REMEDY_UPPER : isHostOnly ? REMEDY_HOST_ONLY : REMEDY_LOWER;
}

/** Link `k` of `parts` taken as one list: its rows and position there (`starts`: where each part begins). */
function rowAt(parts: readonly BrokenLinkRows[], starts: Uint32Array, k: number): [BrokenLinkRows, number] {
  let lo = 0;
  let hi = parts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= k) lo = mid;
    else hi = mid - 1;
  }
  return [parts[lo] as BrokenLinkRows, k - (starts[lo] as number)];
}

/** Every broken symlink of every container's merged root. Cost: one symlink scan per distinct layer. */
export const brokenSymlink = defineCheck<"metadata", number>({
  id: "broken-symlink",
  summary: "a symlink in a container's merged root that leads nowhere inside the container",
  kind: { severity: "warning", needs: ["metadata"], runtimes: EVERY_RUNTIME },
  // the second read judges again only the first read's broken links (doctor-input.ts recheckLinks)
  isRecheckedBySecondRead: true,
  // items are positions in the input's rows, not objects: doctor holds a bad image's 10^5 broken links as
  // packed rows and makes each finding (and its BrokenLink) only when it prints it
  items: (input) => {
    const parts = input.brokenLinks ?? [];
    const starts = new Uint32Array(parts.length);
    let count = 0;
    parts.forEach((p, i) => {
      starts[i] = count;
      count += p.length;
    });
    const items: number[] = [];
    for (let k = 0; k < count; k++) items.push(k);
    return {
      items,
      pathOf: (k) => {
        const [rows, i] = rowAt(parts, starts, k);
        return rows.hostPath(i);
      },
      pathHeadOf: (k) => {
        const [rows, i] = rowAt(parts, starts, k);
        return rows.hostDir(i);
      },
      pathTailOf: (k) => {
        const [rows, i] = rowAt(parts, starts, k);
        return rows.path(i);
      },
      subjectOf: (k) => {
        const [rows, i] = rowAt(parts, starts, k);
        return `${subjectOfObject("container", rows.namespace, rows.container)}: ${rows.path(i)}`;
      },
      found: (k, withMessage = true) => {
        const [rows, i] = rowAt(parts, starts, k);
        const rem = remedy(rows.isInLowerLayer(i), rows.isHostOnly(i));
        if (!withMessage) {
          // doctor's table: no BrokenLink (its target, where it stopped, its layer) for a message not shown
          const path = rows.path(i);
          const subject = `${subjectOfObject("container", rows.namespace, rows.container)}: ${path}`;
          return { subject, path: `${rows.hostDir(i)}${path}`, message: "", remedy: rem };
        }
        const b = rows.get(i);
        return { subject: subjectOf(b), path: b.layer.hostPath, message: message(b), remedy: rem };
      },
    };
  },
});
