// cli/commands/snapshots.ts — `crifs snapshots` and `crifs snapshots tree`: every snapshot (layer) of every
// namespace and snapshotter; the tree hangs each snapshot under its parent and marks its kind.

import { MAX_CHAIN_LENGTH, SnapshotIndex, snapshotRef } from "../../model/chain.js";
import type { Snapshot, Store } from "../../model/store.js";
import { renderTree, type TreeNode, UNREADABLE } from "../render/format.js";
import { type GlobalOptions, namespaceField, renderRecords } from "../stores.js";

/** JSON contract: docs/json.md#snapshots. */
export function snapshotRows(stores: readonly Store[]) {
  return stores.flatMap((s) => {
    // a writable snapshot belongs to its container's pod
    const pods = new Map(
      s.containers.map((c) => [`${c.namespace}/${c.snapshotter}/${c.snapshotKey}`, c.pod ?? null] as const),
    );
    return s.snapshots.map((x) => ({
      runtime: s.location.runtime,
      ...namespaceField(s, x.namespace),
      snapshotter: x.snapshotter,
      key: x.key,
      parent: x.parent,
      kind: x.kind,
      id: x.id,
      path: x.path,
      workPath: x.workPath,
      createdAt: x.createdAt,
      updatedAt: x.updatedAt,
      labels: x.labels,
      recordedSize: x.recordedSize,
      pod: pods.get(`${x.namespace}/${x.snapshotter}/${x.key}`) ?? null,
      ...(x.readError === undefined ? {} : { error: x.readError }),
    }));
  });
}

/** Whether `s` is itself on a parent cycle (its parents lead back to it), bounded by the chain's length. */
function isOnCycle(index: SnapshotIndex, s: Snapshot): boolean {
  let cur: Snapshot | undefined = s;
  for (let i = 0; i <= MAX_CHAIN_LENGTH && cur?.parent != null; i++) {
    cur = index.get(cur.namespace, cur.snapshotter, cur.parent);
    if (cur === s) return true;
  }
  return false;
}

/** One tree per namespace/snapshotter; roots are base layers and snapshots whose parent is missing. */
export function snapshotForest(store: Store): TreeNode[] {
  const index = new SnapshotIndex(store.snapshots);
  const groups = new Map<string, Snapshot[]>();
  for (const s of store.snapshots) {
    const g = `${s.namespace}/${s.snapshotter}`;
    const list = groups.get(g);
    if (list) list.push(s);
    else groups.set(g, [s]);
  }
  const node = (s: Snapshot, seen: Set<string>): TreeNode => {
    seen.add(snapshotRef(s));
    const kids = index
      .children(s)
      .filter((c) => !seen.has(snapshotRef(c)))
      .map((c) => node(c, seen));
    // a snapshot whose chain cannot be followed (a dangling parent or cycle below it) is marked `?`
    const mark = s.readError === undefined ? "" : ` ${UNREADABLE}`;
    return { label: `${s.key} [${s.kind}] (${s.id})${mark}`, children: kids };
  };
  const out: TreeNode[] = [];
  for (const [g, list] of groups) {
    const seen = new Set<string>();
    const roots = list.filter((s) => s.parent === null).map((s) => node(s, seen));
    for (const s of list) {
      if (seen.has(snapshotRef(s))) continue;
      if (s.parent !== null && index.get(s.namespace, s.snapshotter, s.parent) === undefined) {
        roots.push({ label: `${s.parent} [missing]`, children: [node(s, seen)] });
      }
    }
    // whatever is still unseen sits on a parent cycle, or above one
    for (const s of list) {
      if (seen.has(snapshotRef(s))) continue;
      const where = isOnCycle(index, s) ? "(cycle)" : "(above a cycle)";
      roots.push({ label: `${s.key} [${s.kind}] ${where} ${UNREADABLE}`, children: [] });
    }
    const head = g.startsWith("/") ? g.slice(1) : g; // no empty namespace for runtimes without them
    out.push({ label: `${store.location.runtime} ${head}`, children: roots });
  }
  return out;
}

export function snapshotsCommand(stores: readonly Store[], g: GlobalOptions, asTree = false): string {
  return renderRecords(stores, {
    g: asTree && g.output === "table" ? { ...g, output: "tree" } : g, // `snapshots tree` prints the tree
    rows: snapshotRows,
    id: (r) => r.key,
    columns: {
      snapshotter: (r) => r.snapshotter,
      key: (r) => r.key,
      // its chain cannot be followed: the parent shown is not one it can be mounted on
      parent: (r) => (r.error === undefined ? (r.parent ?? "") : `${UNREADABLE} ${r.parent ?? ""}`.trimEnd()),
      kind: (r) => r.kind,
      id: (r) => r.id,
    },
    tree: () => renderTree(stores.flatMap(snapshotForest)),
  });
}
