// checks/finding-order.ts — the order of a check's lazily made findings in doctor's report: by path, then
// subject (code-unit order), without making the findings (10^5 broken links are ordered as positions).

import { compareText, prefixFreeRanks } from "../model/text.js";
import type { LazyFindings } from "./check.js";

/** Positions of `found` by path, then subject (the report's order within a check). Cost: one sort; a
 * subject is made only for paths that tie (a shared image layer's link in several containers). A path given
 * as head + tail (LazyFindings.pathParts) is compared as (head's rank, tail): when no head is a prefix of
 * another, two paths with different heads differ within the heads, and the tails are short. */
export function orderOf(found: LazyFindings): Uint32Array {
  const parts = found.pathParts;
  if (parts !== undefined) {
    const heads: string[] = [];
    for (let i = 0; i < found.count; i++) heads.push(parts.head(i));
    const ranks = prefixFreeRanks(heads);
    if (ranks !== null) {
      const rankOf = Uint32Array.from(heads, (h) => ranks.get(h) as number);
      heads.length = 0;
      // the usual case needs no sort: each container's links come sorted by path, and a layer dir (a head) is
      // one container's alone; in head order, kept in their own order, they are then in the report's order.
      // Checked pair by pair, each tail made when it is compared: no string of every finding at once (255,000
      // broken links: 40 MB of heap)
      const byHead = inRankOrder(rankOf, ranks.size);
      if (
        isOrdered(
          byHead,
          rankOf,
          (i) => parts.tail(i),
          (i) => found.subjectOf(i),
        )
      )
        return byHead;
      return sortedBy(found, (i) => parts.tail(i), rankOf);
    }
  }
  return sortedBy(found, (i) => found.pathOf(i), null);
}

/** Positions of `found` sorted by (rankOf, pathOf), then subject: every path made once, up front. */
function sortedBy(
  found: LazyFindings,
  pathOf: (i: number) => string,
  rankOf: Uint32Array | null,
): Uint32Array {
  const positions: number[] = [];
  const paths: string[] = [];
  for (let i = 0; i < found.count; i++) {
    positions.push(i);
    paths.push(pathOf(i));
  }
  const subjects: (string | undefined)[] = [];
  const subject = (i: number): string => {
    let s = subjects[i];
    if (s === undefined) {
      s = found.subjectOf(i);
      subjects[i] = s;
    }
    return s;
  };
  const byPath =
    rankOf === null
      ? (a: number, b: number) => compareText(paths[a] as string, paths[b] as string)
      : (a: number, b: number) =>
          (rankOf[a] as number) - (rankOf[b] as number) ||
          compareText(paths[a] as string, paths[b] as string);
  positions.sort((a, b) => byPath(a, b) || compareText(subject(a), subject(b)));
  return Uint32Array.from(positions);
}

/** Positions 0..rankOf.length - 1 by rank (ranks below `ranks`), each rank's in their own order: a counting
 * sort, one pass to count and one to place. */
function inRankOrder(rankOf: Uint32Array, ranks: number): Uint32Array {
  const start = new Uint32Array(ranks + 1);
  for (const r of rankOf) (start[r + 1] as number)++;
  for (let r = 0; r < ranks; r++) start[r + 1] = (start[r + 1] as number) + (start[r] as number);
  const out = new Uint32Array(rankOf.length);
  rankOf.forEach((r, i) => {
    out[start[r] as number] = i;
    start[r] = (start[r] as number) + 1;
  });
  return out;
}

/** Whether no position of `positions` comes after the next one by (rankOf, tailOf), then subjectOf (then a
 * stable sort would leave them as they are: equal ones of a rank are in their own order already). Each tail is
 * made once, when its position is reached. */
function isOrdered(
  positions: Uint32Array,
  rankOf: Uint32Array,
  tailOf: (i: number) => string,
  subjectOf: (i: number) => string,
): boolean {
  if (positions.length === 0) return true;
  let a = positions[0] as number;
  let tailA = tailOf(a);
  for (let k = 1; k < positions.length; k++) {
    const b = positions[k] as number;
    const tailB = tailOf(b);
    const order =
      (rankOf[a] as number) - (rankOf[b] as number) ||
      compareText(tailA, tailB) ||
      compareText(subjectOf(a), subjectOf(b));
    if (order > 0) return false;
    a = b;
    tailA = tailB;
  }
  return true;
}
