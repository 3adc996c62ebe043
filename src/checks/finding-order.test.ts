import assert from "node:assert/strict";
import { test } from "node:test";
import { compareText } from "../model/text.js";
import type { LazyFindings } from "./check.js";
import { orderOf } from "./finding-order.js";

/** Lazy findings of items [head, tail, subject], paths given in two parts. */
function lazy(items: readonly (readonly [string, string, string])[]): LazyFindings {
  const at = (i: number) => items[i] as readonly [string, string, string];
  return {
    count: items.length,
    severity: "warning",
    pathOf: (i) => `${at(i)[0]}${at(i)[1]}`,
    subjectOf: (i) => at(i)[2],
    pathParts: { head: (i) => at(i)[0], tail: (i) => at(i)[1] },
    finding: () => {
      throw new Error("not made when ordering");
    },
  };
}

/** The report's order made the plain way: a stable sort by path, then subject. */
function expected(items: readonly (readonly [string, string, string])[]): number[] {
  const path = (i: number) => `${items[i]?.[0]}${items[i]?.[1]}`;
  const subject = (i: number) => items[i]?.[2] ?? "";
  return items
    .map((_, i) => i)
    .sort((a, b) => compareText(path(a), path(b)) || compareText(subject(a), subject(b)));
}

test("orderOf gives the order of a sort by path, then subject, whether the items come in order per head or not", () => {
  const cases: (readonly [string, string, string])[][] = [
    // each container's links sorted by path, each layer dir one container's (no sort needed)
    [
      ["/s/2/fs", "/a", "c1: /a"],
      ["/s/1/fs", "/b", "c1: /b"],
      ["/s/2/fs", "/c", "c1: /c"],
      ["/s/4/fs", "/a", "c2: /a"],
      ["/s/3/fs", "/b", "c2: /b"],
      ["/s/3/fs", "/d", "c2: /d"],
    ],
    // a shared image layer: two containers' links under one head, interleaved by path (sorted)
    [
      ["/s/1/fs", "/a", "c1: /a"],
      ["/s/1/fs", "/b", "c1: /b"],
      ["/s/1/fs", "/a", "c2: /a"],
      ["/s/1/fs", "/c", "c2: /c"],
    ],
    // ties on path and subject keep their own order
    [
      ["/s/1/fs", "/a", "c1: /a"],
      ["/s/1/fs", "/a", "c1: /a"],
      ["/s/0/fs", "/z", "c1: /z"],
    ],
    // one head a prefix of another: the heads do not order the paths, the whole paths do
    [
      ["/s/1/fs", "/b", "c1: /b"],
      ["/s/1/fs/a", "/x", "c1: /a/x"],
      ["/s/1/fs", "/a/y", "c1: /a/y"],
      ["/s/1/fs", "/a", "c2: /a"],
    ],
    [],
  ];
  for (const items of cases) {
    assert.deepEqual([...orderOf(lazy(items))], expected(items));
    // and without the two parts: the whole paths
    const { pathParts: _, ...whole } = lazy(items);
    assert.deepEqual([...orderOf(whole)], expected(items));
  }
});
