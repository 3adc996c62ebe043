// index.ts — crifs's own read-only bbolt reader (go.etcd.io/bbolt 1.3.x files: containerd's meta.db,
// the overlayfs snapshotter's metadata.db, podman's bolt_state.db). Written from the format
// description in docs/on-disk.md §1, not from bbolt's code.
//
//   open.ts      openBolt: read a file that a writer may change, retry until the view is consistent
//   lookup.ts    lookupBolt: a few lookups reading only the pages on their way (lazy-tree.ts), same checks
//   parse.ts     parseBolt: image → tree of the current meta (everything validated at parse time)
//   meta.ts      the two meta pages, checksums, which one is current
//   page.ts      page header, bounds-checked page access, cycle detection
//   bucket.ts    bucket trees (branch, leaf, overflow, inline), bucketAt
//   freelist.ts  the freelist page
//   dump.ts      dumpBolt: stable text of a whole tree
//   bytes.ts     bytewise order, utf8, hex

export { bucketAt, maxBucketDepth, maxTreeDepth } from "./bucket.js";
export { compareBytes, hex, quoteBytes, text } from "./bytes.js";
export { dumpBolt } from "./dump.js";
export type { LookupBoltOptions } from "./lookup.js";
export { lookupBolt } from "./lookup.js";
export type { BoltFileIo, OpenBoltOptions } from "./open.js";
export { fsBoltIo, openBolt } from "./open.js";
export { parseBolt } from "./parse.js";
export type { BoltBucket, BoltDb, BoltEntry, BoltStats } from "./types.js";
