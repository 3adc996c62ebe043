// runtimes/containerd/snapshotter-db.ts — a snapshotter's own metadata (containerd's snapshots/storage
// MetaStore), e.g. io.containerd.snapshotter.v1.overlayfs/metadata.db:
//
//   v1/
//     snapshots/                      sequence = last allocated numeric id
//       <backend key "<ns>/<seq>/<name>">/
//         id       uvarint            the dir snapshots/<id>
//         kind     1 byte             1 view, 2 active, 3 committed
//         parent   backend key of the parent (absent for a base)
//         createdat updatedat labels/
//         size inodes  varints        committed only: usage recorded at commit
//     parents/                        uvarint(parent id) 0x00 uvarint(child id) -> child backend key
// Pure: a parsed bolt tree in, records out.

import type { BoltDb } from "../../formats/bbolt/index.js";
import { text } from "../../formats/bbolt/index.js";
import { decodeGoTime, varintNumber } from "../../formats/go/encoding.js";
import type { Anomaly, SnapshotKind } from "../../model/store.js";
import { snapshotKinds, usageOf } from "./bolt-fields.js";

export interface BackendSnapshot {
  readonly backendKey: string;
  readonly id: string;
  readonly kind: SnapshotKind | null;
  readonly parentKey: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly size: { readonly bytes: number; readonly inodes: number } | null;
}

/** All snapshot records of one snapshotter, keyed by backend key. Cost: metadata only. */
export function readSnapshotterDb(db: BoltDb): {
  snapshots: Map<string, BackendSnapshot>;
  sequence: bigint;
  anomalies: Anomaly[];
} {
  const snapshots = new Map<string, BackendSnapshot>();
  const anomalies: Anomaly[] = [];
  const sb = db.root.bucket("v1")?.bucket("snapshots");
  if (sb === undefined) return { snapshots, sequence: 0n, anomalies };
  for (const e of sb.entries()) {
    if (e.bucket === null) continue;
    const key = text(e.key);
    const b = e.bucket;
    try {
      const id = b.get("id");
      const kind = b.get("kind");
      const parent = b.get("parent");
      const created = b.get("createdat");
      const updated = b.get("updatedat");
      const size = b.get("size");
      const inodes = b.get("inodes");
      if (id === undefined) throw new Error("no id");
      snapshots.set(key, {
        backendKey: key,
        id: String(varintNumber(id, false)),
        kind: kind === undefined || kind.length !== 1 ? null : (snapshotKinds[kind[0] as number] ?? null),
        parentKey: parent === undefined || parent.length === 0 ? null : text(parent),
        createdAt: created === undefined ? null : decodeGoTime(created),
        updatedAt: updated === undefined ? null : decodeGoTime(updated),
        size: usageOf(size, inodes),
      });
    } catch (err) {
      anomalies.push({
        path: db.path,
        subject: `snapshot ${key}`,
        message: `cannot decode snapshot ${key}: ${(err as Error).message}`,
      });
    }
  }
  return { snapshots, sequence: sb.sequence, anomalies };
}
