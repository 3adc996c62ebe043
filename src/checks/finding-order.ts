// checks/finding-order.ts — the order of a check's lazily made findings in doctor's report: by path, then
// subject (code-unit order), without making the findings (10^5 broken links are ordered as positions).

import type { LazyFindings } from "./check.js";

/** Code-unit order, as the report sorts paths and subjects. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Each distinct head's rank among `heads` by compareText, or null when one head is a prefix of
 * another (then a head alone does not order two paths). */
function headRanks(heads: readonly string[]): Map<string, number> | null {
  const sorted = [...new Set(heads)].sort(compareText);
  for (let k = 1; k < sorted.length; k++)
    if ((sorted[k] as string).startsWith(sorted[k - 1] as string)) return null;
  return new Map(sorted.map((h, k) => [h, k]));
}

/** Positions of `found` by path, then subject (the report's order within a check). Cost: one sort; a
 * subject is made only for paths that tie (a shared image layer's link in several containers). A path given
 * as head + tail (LazyFindings.pathParts) is compared as (head's rank, tail): when no head is a prefix of
 * another, two paths with different heads differ within the heads, and the tails are short. */
export function orderOf(found: LazyFindings): Uint32Array {
  const parts = found.pathParts;
  const heads: string[] = [];
  const positions: number[] = [];
  for (let i = 0; i < found.count; i++) {
    if (parts !== undefined) heads.push(parts.head(i));
    positions.push(i);
  }
  const ranks = parts === undefined ? null : headRanks(heads);
  let paths: string[];
  let rankOf: Uint32Array | null = null;
  if (parts !== undefined && ranks !== null) {
    rankOf = Uint32Array.from(heads, (h) => ranks.get(h) as number);
    paths = positions.map((i) => parts.tail(i));
  } else paths = positions.map((i) => found.pathOf(i));
  heads.length = 0;
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
  const order = (a: number, b: number) => byPath(a, b) || compareText(subject(a), subject(b));
  if (rankOf !== null) {
    // the usual case needs no sort: each container's links come sorted by path, and a layer dir (a head) is
    // one container's alone; in head order, kept in their own order, they are then in the report's order
    const byHead = inRankOrder(rankOf, ranks?.size ?? 0);
    if (isOrdered(byHead, order)) return byHead;
  }
  positions.sort(order);
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

/** Whether no position of `positions` comes after the next one by `order` (then a stable sort would leave
 * them as they are: equal ones of a rank are in their own order already). */
function isOrdered(positions: Uint32Array, order: (a: number, b: number) => number): boolean {
  for (let k = 1; k < positions.length; k++)
    if (order(positions[k - 1] as number, positions[k] as number) > 0) return false;
  return true;
}
