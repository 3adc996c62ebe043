// inode-set.test.ts — InodeSet answers as a Set of "dev:ino" strings does, across growth and large numbers.

import assert from "node:assert/strict";
import { test } from "node:test";
import { InodeSet } from "./inode-set.js";

/** A deterministic stream of pairs with many repeats, small and large devs, and inos up to 2^53. */
function* pairs(n: number): Generator<[number, number]> {
  let x = 12345;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  for (let i = 0; i < n; i++) {
    const dev = [2049, 64768, 0, 4294967295][next() % 4] as number;
    const kind = next() % 3;
    const ino =
      kind === 0
        ? next() % 5000
        : kind === 1
          ? next() * 4096 + (next() % 4096)
          : 2 ** 53 - 1 - (next() % 1000);
    yield [dev, ino];
  }
}

test("add reports new pairs exactly as a Set of strings does, while the table grows from its minimum", () => {
  const set = new InodeSet();
  const ref = new Set<string>();
  for (const [dev, ino] of pairs(200_000)) {
    const k = `${dev}:${ino}`;
    assert.equal(set.add(dev, ino), !ref.has(k), k);
    ref.add(k);
  }
  assert.equal(set.size, ref.size);
  assert.ok(set.size > 10_000, "the stream repeats but is not tiny");
  for (const [dev, ino] of pairs(1000)) assert.equal(set.add(dev, ino), false, "added before");
  assert.equal(set.size, ref.size);
});

test("the same ino on two devices is two inodes; sized up front, the answers are the same", () => {
  const set = new InodeSet(4);
  assert.equal(set.add(1, 7), true);
  assert.equal(set.add(2, 7), true);
  assert.equal(set.add(1, 7), false);
  assert.equal(set.add(1, 7 + 2 ** 32), true, "inos that differ only above 32 bits differ");
  assert.equal(set.size, 3);
  assert.equal(set.add(3, 7), true);
});
