// dump.ts — dumpBolt: the whole tree as stable text, for debugging and for comparing with the real bbolt
// library (test/tools/boltdump/main.go prints the same format):
//
//   page-size=4096 txid=340
//   "v1"/ seq=0
//     "crifs-b"/ seq=0
//       "labels"/ seq=0
//         "crifs.test/owner" = "fixtures"
//     "version" = 0x03
//
// Keys and values are quoted when every byte is printable ASCII other than `"` and `\`, hex (0x…)
// otherwise. A nested bucket is `<key>/ seq=<sequence>`, its entries indented by two more spaces.

import { quoteBytes } from "./bytes.js";
import type { BoltBucket, BoltDb } from "./types.js";

function dumpBucket(bucket: BoltBucket, indent: string, lines: string[]): void {
  for (const e of bucket.entries()) {
    if (e.bucket !== null) {
      lines.push(`${indent}${quoteBytes(e.key)}/ seq=${e.bucket.sequence}`);
      dumpBucket(e.bucket, `${indent}  `, lines);
    } else if (e.value !== null) {
      lines.push(`${indent}${quoteBytes(e.key)} = ${quoteBytes(e.value)}`);
    }
  }
}

/** The whole tree as text, one line per entry, ending in a newline. Cost: a walk of the parsed tree. */
export function dumpBolt(db: BoltDb): string {
  const lines = [`page-size=${db.pageSize} txid=${db.txid}`];
  dumpBucket(db.root, "", lines);
  lines.push("");
  return lines.join("\n");
}
