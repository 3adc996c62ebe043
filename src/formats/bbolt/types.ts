// types.ts — what the bbolt reader hands out: a database (the chosen meta page and its root bucket),
// buckets, entries and page statistics. Everything is parsed at open; nothing here touches the disk.
//
//   BoltDb ── root: BoltBucket ── entries (bytewise key order)
//                                   ├─ key → value                 (value: Uint8Array, bucket: null)
//                                   └─ key → nested BoltBucket     (value: null, bucket: BoltBucket)

export interface BoltBucket {
  /** bbolt's NextSequence counter of this bucket. */
  readonly sequence: bigint;
  /** Number of entries (plain values and nested buckets). */
  readonly size: number;
  /** Value of a plain key (undefined if absent or if the key is a nested bucket). Binary search. */
  get(key: string | Uint8Array): Uint8Array | undefined;
  /** A nested bucket (undefined if absent or if the key holds a plain value). Binary search. */
  bucket(name: string | Uint8Array): BoltBucket | undefined;
  /** All entries in bytewise key order; exactly one of value/bucket is non-null. */
  entries(): Iterable<BoltEntry>;
}

export interface BoltEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
  readonly bucket: BoltBucket | null;
}

/** Page counts found while parsing (all pages are visited at open). */
export interface BoltStats {
  /** Size of the file image in bytes. */
  readonly fileBytes: number;
  /** The meta's high-water mark: pages in use (the file may be longer). */
  readonly pages: number;
  readonly branchPages: number;
  readonly leafPages: number;
  /** Additional pages spanned by branch/leaf pages (a leaf with overflow=2 adds 2). */
  readonly overflowPages: number;
  /** Page ids listed in the freelist (0 when the freelist is not persisted). */
  readonly freePages: number;
  /**
   * Pages below the high-water mark that are neither meta, freelist, free nor reachable: bbolt's
   * "unreachable unfreed" (bbolt 1.3.6 leaks a few under some workloads). When the freelist is not
   * persisted, every free page counts here.
   */
  readonly unaccountedPages: number;
  /** Nested buckets (the root bucket not counted); inline ones are counted in both. */
  readonly buckets: number;
  readonly inlineBuckets: number;
  /** Plain key/value pairs. */
  readonly values: number;
}

export interface BoltDb {
  /** The file's path (openBolt) or the name given to parseBolt. */
  readonly path: string;
  readonly pageSize: number;
  /** Transaction id of the meta page used. */
  readonly txid: bigint;
  /** Which meta page was used (the valid one with the higher txid). */
  readonly metaPage: 0 | 1;
  readonly root: BoltBucket;
  readonly stats: BoltStats;
}
