// model/text.ts — how crifs orders and classes text the same way everywhere: paths, names and subjects sort
// by code unit (as JS strings compare, and as the reports and docs/json.md promise), and a string that is
// printable ASCII without "\" is shown as it is (terminalSafe leaves it alone, one column a character).

/** Code-unit order: what `<` gives, as a comparator. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Each distinct string's rank among `texts` by compareText, or null when one is a prefix of another. When it
 * is not null, two strings that start with different ones of `texts` (a layer dir, then a path in it) compare
 * as those do: they differ within the shorter one.
 */
export function prefixFreeRanks(texts: Iterable<string>): Map<string, number> | null {
  const sorted = [...new Set(texts)].sort(compareText);
  // sorted, a prefix of any string sits right before it or before strings that share it
  for (let k = 1; k < sorted.length; k++)
    if ((sorted[k] as string).startsWith(sorted[k - 1] as string)) return null;
  return new Map(sorted.map((t, k) => [t, k]));
}

/** A character that is not printable ASCII, or "\". */
const NOT_PLAIN = /[^\x20-\x5b\x5d-\x7e]/;

/** Whether `s` is printable ASCII without "\": terminalSafe leaves it as it is, one column a character. A
 * regular expression, not a loop over charCodeAt: a doctor table asks it of 10^5 new path cells, twice. */
export function isPlainText(s: string): boolean {
  return !NOT_PLAIN.test(s);
}
