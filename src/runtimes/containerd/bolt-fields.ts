// runtimes/containerd/bolt-fields.ts — the field decoders containerd's two bolt files share, for the whole-file
// readers (meta-db.ts, snapshotter-db.ts) and the lookups of one record (find-snapshot.ts) alike: a string
// field, a Go time, a labels bucket, a snapshot's kind byte and its usage varints.

import type { BoltBucket } from "../../formats/bbolt/index.js";
import { text } from "../../formats/bbolt/index.js";
import { decodeGoTime, varintNumber } from "../../formats/go/encoding.js";
import type { Labels, SnapshotKind } from "../../model/store.js";

/** The snapshotter's kind byte (containerd's snapshots.Kind): 1 view, 2 active, 3 committed. */
export const snapshotKinds: Record<number, SnapshotKind> = { 1: "view", 2: "active", 3: "committed" };

/** A string field of `b` ("" when absent). */
export function str(b: BoltBucket, key: string): string {
  const v = b.get(key);
  return v === undefined ? "" : text(v);
}

/** A Go time field of `b` (null when absent or empty). */
export function time(b: BoltBucket, key: string): string | null {
  const v = b.get(key);
  return v === undefined || v.length === 0 ? null : decodeGoTime(v);
}

/** A labels bucket as key → value (its nested buckets left out). */
export function labelsOf(b: BoltBucket | undefined): Labels {
  const out: Record<string, string> = {};
  if (b !== undefined) for (const e of b.entries()) if (e.value !== null) out[text(e.key)] = text(e.value);
  return out;
}

/** A snapshot's usage from its `size` and `inodes` varints: null when it has neither. */
export function usageOf(
  size: Uint8Array | undefined,
  inodes: Uint8Array | undefined,
): { bytes: number; inodes: number } | null {
  if (size === undefined && inodes === undefined) return null;
  return {
    bytes: size === undefined ? 0 : varintNumber(size, true),
    inodes: inodes === undefined ? 0 : varintNumber(inodes, true),
  };
}
