// link-batches.test.ts — broken links read container by container in batches of 1, 2, 4, …: the batches'
// order and contents, with and without reading the next batch ahead, on layers planted in a temp dir.

import assert from "node:assert/strict";
import { test } from "node:test";
import { type LinkTarget, readLinkFindingsInBatches } from "./link-batches.js";
import { tempStores } from "./testing.js";

const fresh = tempStores();

test("batches come in row order, the same with the next batch read ahead, which starts before this one is taken", async () => {
  const t = fresh();
  t.layer("base", null, ["f bin/sh x"]);
  for (const id of ["c5", "c1", "c4", "c2", "c3"]) {
    t.layer(id, "base", [`l ${id}-broken /missing/${id}`, "l ok /bin/sh"], "active");
    t.container(id);
  }
  const store = t.store();
  const targets: LinkTarget[] = store.containers.map((container) => ({ store, container }));
  const run = async (readAhead: boolean) => {
    let reads = 0;
    const seen: { readsBefore: number; ids: string[]; broken: string[] }[] = [];
    for await (const f of readLinkFindingsInBatches(
      targets,
      () => {
        reads++;
        return { scan: {}, done: () => {} };
      },
      { readAhead },
    )) {
      seen.push({
        readsBefore: reads,
        ids: f.containers.map((c) => c.id),
        broken: f.broken.flatMap((rows) => Array.from({ length: rows.length }, (_, i) => rows.path(i))),
      });
    }
    return seen;
  };
  const plain = await run(false);
  const ahead = await run(true);
  const contents = (s: typeof plain) => s.map(({ ids, broken }) => ({ ids, broken }));
  assert.deepEqual(contents(plain), [
    { ids: ["c1"], broken: ["/c1-broken"] },
    { ids: ["c2", "c3"], broken: ["/c2-broken", "/c3-broken"] },
    { ids: ["c4", "c5"], broken: ["/c4-broken", "/c5-broken"] },
  ]);
  assert.deepEqual(contents(ahead), contents(plain));
  // when a batch reaches the caller: without read-ahead only it was read; with it, the next one is under way
  assert.deepEqual(
    plain.map((s) => s.readsBefore),
    [1, 2, 3],
  );
  assert.deepEqual(
    ahead.map((s) => s.readsBefore),
    [2, 3, 3],
  );
});
