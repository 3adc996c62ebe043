// model/chain.ts — parent links between snapshots: chains (nearest parent first), children, cycles.
// Snapshots link by key within one namespace and snapshotter; a parent key that names nothing is a dangling
// parent, and a chain that comes back to itself is a cycle. Both end the walk: they are findings, not hangs.

import type { Snapshot, Store } from "./store.js";

/** The most parents a chain may have before crifs calls it a cycle (overlay itself allows 500 lowers). */
export const MAX_CHAIN_LENGTH = 1000;

export function snapshotRef(s: { namespace: string; snapshotter: string; key: string }): string {
  return `${s.namespace}/${s.snapshotter}/${s.key}`;
}

export interface Chain {
  /** Parents, nearest first (the order of overlay's lowerdir). */
  readonly parents: readonly Snapshot[];
  /** The key that names no snapshot, when the chain ends in a dangling parent. */
  readonly danglingParent: string | null;
  /** True when the walk met a snapshot twice or passed MAX_CHAIN_LENGTH. */
  readonly isCycle: boolean;
}

/** Index of a store's snapshots by namespace/snapshotter/key. */
export class SnapshotIndex {
  readonly #byRef = new Map<string, Snapshot>();
  readonly #children = new Map<string, Snapshot[]>();

  constructor(snapshots: readonly Snapshot[]) {
    for (const s of snapshots) this.#byRef.set(snapshotRef(s), s);
    for (const s of snapshots) {
      if (s.parent === null) continue;
      const p = snapshotRef({ namespace: s.namespace, snapshotter: s.snapshotter, key: s.parent });
      const list = this.#children.get(p);
      if (list) list.push(s);
      else this.#children.set(p, [s]);
    }
  }

  get(namespace: string, snapshotter: string, key: string): Snapshot | undefined {
    return this.#byRef.get(snapshotRef({ namespace, snapshotter, key }));
  }

  children(s: Snapshot): readonly Snapshot[] {
    return this.#children.get(snapshotRef(s)) ?? [];
  }

  /** Parents of `s`, nearest first. Cost: one map lookup per parent. */
  chain(s: Snapshot): Chain {
    const parents: Snapshot[] = [];
    const seen = new Set<string>([snapshotRef(s)]);
    let cur = s;
    while (cur.parent !== null) {
      const p = this.get(cur.namespace, cur.snapshotter, cur.parent);
      if (p === undefined) return { parents, danglingParent: cur.parent, isCycle: false };
      const ref = snapshotRef(p);
      if (seen.has(ref) || parents.length >= MAX_CHAIN_LENGTH)
        return { parents, danglingParent: null, isCycle: true };
      seen.add(ref);
      parents.push(p);
      cur = p;
    }
    return { parents, danglingParent: null, isCycle: false };
  }
}

export function indexSnapshots(store: Store): SnapshotIndex {
  return new SnapshotIndex(store.snapshots);
}
