// freelist.ts — the freelist page: ids of pages free for reuse. Not needed to read data; parsed to
// validate it and to count pages that are neither reachable nor free.
//
//   count < 0xFFFF:  ┌────────┬──────────┬──────────┬─────┐
//                    │ header │ pgid u64 │ pgid u64 │ ... │   count ids
//                    └────────┴──────────┴──────────┴─────┘
//   count = 0xFFFF:  ┌────────┬──────────────┬──────────┬─────┐
//                    │ header │ real count u64│ pgid u64 │ ... │
//                    └────────┴──────────────┴──────────┴─────┘
//   The page may span overflow pages. A meta freelist pgid of ~0 means the freelist is not persisted.

import { corrupt, type PageFile, pageHeaderSize } from "./page.js";

/** Free page ids listed in the freelist page `pgid` (validated: each in 2..high-water mark). */
export function readFreelist(file: PageFile, pgid: bigint): number[] {
  const page = file.page(pgid, "freelist", () => "the freelist");
  const view = file.view;
  const body = page.offset + pageHeaderSize;
  const end = page.offset + page.span;
  const fail = (state: string) => corrupt(file.name, `cannot read freelist page ${page.id}: ${state}`);
  let count = page.count;
  let first = body;
  if (count === 0xffff) {
    if (body + 8 > end) throw fail("the count does not fit in the page");
    const real = view.getBigUint64(body, true);
    if (real > BigInt(Math.floor((end - body - 8) / 8)))
      throw fail(`${real} ids do not fit in ${page.span} bytes`);
    count = Number(real);
    first = body + 8;
  }
  if (first + count * 8 > end) throw fail(`${count} ids do not fit in ${page.span} bytes`);
  const ids = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const low = view.getUint32(first + i * 8, true);
    const high = view.getUint32(first + i * 8 + 4, true);
    if (high !== 0 || low < 2 || low >= file.highWater) {
      throw fail(
        `entry ${i} is page ${view.getBigUint64(first + i * 8, true)}, outside 2..${file.highWater - 1}`,
      );
    }
    ids[i] = low;
  }
  return ids;
}
