// links/link-batches.ts — broken links found container by container, for `crifs links` to write its rows as
// they are found (issue 20 part 5) rather than after every container's layers are read. The containers are
// taken in the order the rows are printed (namespace, then id: as readLinkFindings sorts them) in batches of
// 1, 2, 4, … containers (two containers of one name, in two stores, always in one batch: their rows merge),
// each batch one readLinkFindings: the first rows come after the first container's layers are read, and the
// batches cost log2(containers) calls, not one per container. Committed layers are read once for the whole
// run all the same (readLinkFindings's memo of this process); a layer that could not be read is tried again by
// each batch that needs it, and its errors are kept once.

import type { Container, Store } from "../model/store.js";
import { compareText } from "../model/text.js";
import { type LinkFindings, type LinkReportOptions, readLinkFindings } from "./link-report.js";

/** A container to judge, with the store that holds it. */
export type LinkTarget = { readonly store: Store; readonly container: Container };
type Target = LinkTarget;

const nameOf = (t: Target) => `${t.container.namespace}\u0000${t.container.id}`;

/**
 * readLinkFindings of `targets` in batches (see the header), in row order; `scanFor(batch)` gives each
 * batch's scan options (its own progress line, ended before its rows are written). Broken links only (--shared
 * needs every layer at once). With `readAhead`, the next batch's layers are read (in the scanner's threads)
 * while the caller writes this batch's rows, not after: its rendering then costs no wall time of its own.
 * Not where a progress line is drawn: it would be drawn while rows are written.
 */
export async function* readLinkFindingsInBatches(
  targets: readonly Target[],
  scanFor: () => { scan: NonNullable<LinkReportOptions["scan"]>; done: () => void },
  options: { readAhead?: boolean } = {},
): AsyncGenerator<LinkFindings> {
  const order = [...targets].sort(
    (a, b) =>
      compareText(a.container.namespace, b.container.namespace) ||
      compareText(a.container.id, b.container.id),
  );
  const batches: Target[][] = [];
  for (let at = 0, size = 1; at < order.length; size *= 2) {
    let end = Math.min(order.length, at + size);
    while (end < order.length && nameOf(order[end - 1] as Target) === nameOf(order[end] as Target)) end++;
    batches.push(order.slice(at, end));
    at = end;
  }
  const read = (batch: Target[]): Promise<LinkFindings> => {
    const s = scanFor();
    const found = readLinkFindings(batch, { brokenOnly: true, scan: s.scan }).finally(() => s.done());
    // a batch read ahead fails when it is awaited (or never, when the caller stops first), not unhandled
    found.catch(() => {});
    return found;
  };
  let next = batches.length > 0 ? read(batches[0] as Target[]) : null;
  for (let k = 0; next !== null; k++) {
    const found = await next;
    const following = batches[k + 1];
    next = null;
    if (options.readAhead === true && following !== undefined) next = read(following);
    yield found;
    if (options.readAhead !== true && following !== undefined) next = read(following);
  }
}

/**
 * What readLinkFindings of every target would have said, from its batches' findings (their `broken` rows
 * left out: the caller has written them; `brokenCount` is kept): containers, skipped ones and links into
 * mounts in `targets`' order, errors once each, sorted by path.
 */
export function mergeLinkFindings(
  targets: readonly Target[],
  batches: readonly Omit<LinkFindings, "broken">[],
): LinkFindings {
  const position = new Map<string, number>();
  for (const [i, t] of targets.entries()) if (!position.has(nameOf(t))) position.set(nameOf(t), i);
  const at = (namespace: string, id: string) => position.get(`${namespace}\u0000${id}`) ?? 0;
  const inOrder = <T>(xs: T[], key: (x: T) => number) =>
    xs
      .map((x, i) => ({ x, i }))
      .sort((a, b) => key(a.x) - key(b.x) || a.i - b.i)
      .map((e) => e.x);
  const errors = new Map<string, LinkFindings["errors"][number]>();
  for (const b of batches) for (const e of b.errors) errors.set(`${e.path}\u0000${e.message}`, e);
  return {
    containers: inOrder(
      batches.flatMap((b) => b.containers),
      (c) => at(c.namespace, c.id),
    ),
    skipped: inOrder(
      batches.flatMap((b) => b.skipped),
      (s) => at(s.namespace, s.container),
    ),
    broken: [],
    brokenCount: batches.reduce((n, b) => n + b.brokenCount, 0),
    linksIntoMounts: inOrder(
      batches.flatMap((b) => b.linksIntoMounts),
      (l) => at(l.namespace, l.container),
    ),
    sharedFilesChecked: false,
    hardLinkGroups: [],
    duplicates: [],
    savableBytes: 0,
    errors: [...errors.values()].sort((a, b) => compareText(a.path, b.path)),
  };
}
