// model/read-errors.ts — marks the objects whose metadata cannot be read whole: a snapshot whose parent chain
// is broken (a parent that names nothing, a cycle, itself as its parent), an image that stands on such a
// snapshot, a container whose writable snapshot is missing or broken. Pure: a store in, the same store with
// `readError` set out; what a loader already marked keeps its own error. Read commands show these as `?`
// (table) and `error` (JSON); doctor reports the causes (dangling-parent, metadata-corrupt, …).

import { MAX_CHAIN_LENGTH, SnapshotIndex, snapshotRef } from "./chain.js";
import type { Container, Image, ReadError, Snapshot, Store } from "./store.js";

/** Where the records live, for the `path` of an error. */
export interface RecordFiles {
  /** The file (or dir) that holds a snapshot's record, e.g. meta.db, layers.json, layerdb/sha256/<id>. */
  snapshot(s: Snapshot): string;
  /** The file that holds a container's record. */
  container(c: Container): string;
}

/** Why the chain of `s` cannot be followed, and the snapshot whose record breaks it (the one naming a missing
 * parent; on a cycle, the member with the smallest key, so that every snapshot on or above one cycle names the
 * same record), or null when it can. Cost: one lookup per parent, at most MAX_CHAIN_LENGTH. */
export function chainError(index: SnapshotIndex, s: Snapshot): { owner: Snapshot; message: string } | null {
  if (s.parent === s.key) return { owner: s, message: `layer "${s.key}" names itself as its parent` };
  const walked: Snapshot[] = [s];
  const at = new Map<string, number>([[snapshotRef(s), 0]]);
  let cur = s;
  while (cur.parent !== null) {
    const p = index.get(cur.namespace, cur.snapshotter, cur.parent);
    if (p === undefined)
      return {
        owner: cur,
        message: `layer "${cur.key}" names parent "${cur.parent}", which is not in the metadata`,
      };
    if (p.readError !== undefined)
      return { owner: p, message: `its parent "${p.key}" cannot be read: ${p.readError.message}` };
    const seen = at.get(snapshotRef(p));
    if (seen !== undefined || walked.length > MAX_CHAIN_LENGTH) {
      const cycle = walked.slice(seen ?? 0);
      const owner = cycle.reduce((a, b) => (b.key < a.key ? b : a));
      return {
        owner,
        message:
          cycle.length === 1
            ? `layer "${owner.key}" names itself as its parent`
            : `the parent chain through "${owner.key}" loops back on itself (${cycle.length} layers)`,
      };
    }
    at.set(snapshotRef(p), walked.length);
    walked.push(p);
    cur = p;
  }
  return null;
}

type ChainVerdict = { owner: Snapshot; message: string } | null;

/**
 * chainError of every snapshot, each parent's verdict reused by its children: a snapshot's chain breaks
 * where its parent's does, with the same owner and message (the first break up the chain; on a cycle, the
 * same members). Cost: one lookup per snapshot, where a chainError of each was one per parent of each (1,000
 * layers in chains of 200 took 0.2 s). The one verdict that depends on where the walk starts, the length
 * bound, is left to chainError itself: a chain within a few links of MAX_CHAIN_LENGTH, or a cycle, is walked
 * from that snapshot as before.
 */
function chainErrors(index: SnapshotIndex, snapshots: readonly Snapshot[]): Map<Snapshot, ChainVerdict> {
  /** Per snapshot its verdict and how many links up the chain it was decided. */
  const known = new Map<Snapshot, { verdict: ChainVerdict; depth: number }>();
  for (const s of snapshots) {
    if (known.has(s)) continue;
    const path: Snapshot[] = [];
    const onPath = new Set<Snapshot>();
    let top: { verdict: ChainVerdict; depth: number } | undefined;
    for (let cur: Snapshot = s; ; ) {
      path.push(cur);
      onPath.add(cur);
      if (cur.parent === cur.key || path.length > MAX_CHAIN_LENGTH) break; // chainError's own cases
      if (cur.parent === null) {
        top = { verdict: null, depth: 0 };
        break;
      }
      const p = index.get(cur.namespace, cur.snapshotter, cur.parent);
      if (p === undefined) {
        const message = `layer "${cur.key}" names parent "${cur.parent}", which is not in the metadata`;
        top = { verdict: { owner: cur, message }, depth: 0 };
        break;
      }
      if (p.readError !== undefined) {
        const message = `its parent "${p.key}" cannot be read: ${p.readError.message}`;
        top = { verdict: { owner: p, message }, depth: 1 };
        break;
      }
      const above = known.get(p);
      if (above !== undefined) {
        top = { verdict: above.verdict, depth: above.depth + 1 };
        break;
      }
      if (onPath.has(p)) break; // a cycle
      cur = p;
    }
    // path's last member has `top` (undefined: walk it the old way), each one below it one link more
    for (let i = path.length - 1; i >= 0; i--) {
      const t = path[i] as Snapshot;
      const depth = top === undefined ? 0 : top.depth + (path.length - 1 - i);
      const v =
        top === undefined || depth >= MAX_CHAIN_LENGTH - 2
          ? { verdict: chainError(index, t), depth: MAX_CHAIN_LENGTH }
          : { verdict: top.verdict, depth };
      known.set(t, v);
    }
  }
  const out = new Map<Snapshot, ChainVerdict>();
  for (const [s, v] of known) out.set(s, v.verdict);
  return out;
}

/** The store with `readError` set on every snapshot, image and container that cannot be read whole. */
export function markReadErrors(store: Store, files: RecordFiles): Store {
  const index = new SnapshotIndex(store.snapshots);
  const snapErr = new Map<string, ReadError>();
  const verdicts = chainErrors(
    index,
    store.snapshots.filter((s) => s.readError === undefined),
  );
  for (const s of store.snapshots) {
    if (s.readError !== undefined) {
      snapErr.set(snapshotRef(s), s.readError);
      continue;
    }
    const why = verdicts.get(s) ?? null;
    if (why === null) continue;
    // a loader's own error on the breaking record names its file; else the record files say where it lives
    const path = why.owner.readError?.path ?? files.snapshot(why.owner);
    snapErr.set(snapshotRef(s), { path, message: why.message });
  }
  const snapshots = store.snapshots.map((s) => {
    const e = snapErr.get(snapshotRef(s));
    return e === undefined || s.readError !== undefined ? s : { ...s, readError: e };
  });
  const snapshotters = new Set(store.snapshots.map((s) => `${s.namespace}/${s.snapshotter}`));
  const images = store.images.map((i): Image => {
    if (i.readError !== undefined) return i;
    for (const key of i.snapshotKeys) {
      for (const sn of snapshotters) {
        if (!sn.startsWith(`${i.namespace}/`)) continue;
        const e = snapErr.get(`${sn}/${key}`);
        if (e !== undefined)
          return { ...i, readError: { path: e.path, message: `layer "${key}": ${e.message}` } };
      }
    }
    return i;
  });
  const containers = store.containers.map((c): Container => {
    if (c.readError !== undefined || c.snapshotKey === "") return c;
    const s = index.get(c.namespace, c.snapshotter, c.snapshotKey);
    if (s === undefined) {
      return {
        ...c,
        readError: {
          path: files.container(c),
          message: `container "${c.id}" names layer "${c.snapshotKey}", which is not in the metadata`,
        },
      };
    }
    const e = snapErr.get(snapshotRef(s));
    return e === undefined
      ? c
      : { ...c, readError: { path: e.path, message: `its layer "${s.key}": ${e.message}` } };
  });
  return { ...store, snapshots, images, containers };
}

/** Every read error of the stores, by the file that holds the bad records (for one stderr line per file). */
export function readErrorsByFile(stores: readonly Store[]): Map<string, ReadError[]> {
  const out = new Map<string, ReadError[]>();
  for (const s of stores) {
    for (const o of [...s.snapshots, ...s.containers, ...s.images]) {
      if (o.readError === undefined) continue;
      const list = out.get(o.readError.path);
      if (list) list.push(o.readError);
      else out.set(o.readError.path, [o.readError]);
    }
  }
  return out;
}
