// runtimes/containerd/find-snapshot.ts — one container's or snapshot's dir, found by lookups in meta.db and the
// snapshotter's metadata.db (bbolt lookupBolt: only the pages on the way are read), not by loading the store.
// What `crifs clone` of one dir needs on a store of 1,000 snapshots: loadContainerd reads and decodes every
// record of both files, the images' manifests and the state dir (~0.5 s of CPU); this reads a few pages.
//
//   meta.db  v1/<ns>/containers/<ref>                 snapshotter, snapshotKey   (a container named exactly ref)
//            v1/<ns>/snapshots/<snapshotter>/<ref>    name (backend key), parent (a snapshot keyed exactly ref)
//   <snapshotter>/metadata.db  v1/snapshots/<backend key>   id (the dir), kind
//
// It answers only what it can answer as resolveRef would over the loaded store (exact names win; a container
// before a snapshot; one match): exactly one container named ref, else exactly one snapshot keyed ref. Anything
// else — a prefix, an image, two matches, a record that does not decode or join — returns null, and the caller
// loads the store, whose resolveRef gives the answer or the error.

import { join } from "node:path";
import { CrifsError } from "../../errors.js";
import { type BoltBucket, lookupBolt, text } from "../../formats/bbolt/index.js";
import { varintNumber } from "../../formats/go/encoding.js";
import { pathExists } from "../../fs/path-exists.js";
import type { Labels, Snapshot, SnapshotKind } from "../../model/store.js";
import { configReadOptions, type StoreLoadOptions } from "../load-options.js";
import { labelsOf, snapshotKinds, str, time, usageOf } from "./bolt-fields.js";
import { readContainerdConfig } from "./config.js";
import { META_DB, snapshotFromRecords, snapshotterLayout } from "./load.js";

export type FoundRef =
  | {
      readonly type: "container";
      readonly namespace: string;
      readonly id: string;
      readonly snapshot: Snapshot;
    }
  | { readonly type: "snapshot"; readonly snapshot: Snapshot };

/** A snapshot record of meta.db, copied out of the file. */
interface MetaRecord {
  readonly namespace: string;
  readonly snapshotter: string;
  readonly key: string;
  readonly backendKey: string;
  readonly parent: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly labels: Labels;
}

function recordOf(namespace: string, snapshotter: string, key: string, b: BoltBucket): MetaRecord {
  const parent = b.get("parent");
  return {
    namespace,
    snapshotter,
    key,
    backendKey: str(b, "name"),
    parent: parent === undefined || parent.length === 0 ? null : text(parent),
    createdAt: time(b, "createdat"),
    updatedAt: time(b, "updatedat"),
    labels: labelsOf(b.bucket("labels")),
  };
}

type MetaHit = { container: { namespace: string; id: string } | null; record: MetaRecord };

/** The one container or snapshot named exactly `ref` in meta.db (in `namespace` only, when given), or null. */
function findInMeta(root: BoltBucket, ref: string, namespace: string | undefined): MetaHit | null {
  const v1 = root.bucket("v1");
  if (v1 === undefined) return null;
  const containers: { ns: string; b: BoltBucket; snapshots: BoltBucket | undefined }[] = [];
  const snapshots: MetaRecord[] = [];
  for (const e of v1.entries()) {
    if (e.bucket === null) continue;
    const ns = text(e.key);
    if (namespace !== undefined && ns !== namespace) continue;
    const byKind = e.bucket.bucket("snapshots");
    const c = e.bucket.bucket("containers")?.bucket(ref);
    if (c !== undefined) containers.push({ ns, b: c, snapshots: byKind });
    if (byKind === undefined) continue;
    for (const s of byKind.entries()) {
      const r = s.bucket?.bucket(ref);
      if (r !== undefined) snapshots.push(recordOf(ns, text(s.key), ref, r));
    }
  }
  if (containers.length > 1) return null;
  const c = containers[0];
  if (c !== undefined) {
    const snapshotter = str(c.b, "snapshotter");
    const key = str(c.b, "snapshotKey");
    const r = key === "" ? undefined : c.snapshots?.bucket(snapshotter)?.bucket(key);
    if (r === undefined) return null;
    return { container: { namespace: c.ns, id: ref }, record: recordOf(c.ns, snapshotter, key, r) };
  }
  const only = snapshots[0];
  return snapshots.length === 1 && only !== undefined ? { container: null, record: only } : null;
}

/**
 * The container or snapshot `ref` names exactly, with its snapshot's dir, or null when only the loaded store
 * can say (see the header). Throws the bbolt reader's one-line errors (a corrupt page on the way, a file that
 * cannot be read). Cost: a few pages of each file.
 */
export function findContainerdRef(
  options: StoreLoadOptions,
  ref: string,
  namespace: string | undefined,
): FoundRef | null {
  const config = readContainerdConfig(configReadOptions(options));
  const metaPath = join(config.root, META_DB);
  if (ref === "" || !pathExists(metaPath)) return null;
  let hit: MetaHit | null;
  try {
    hit = lookupBolt(metaPath, (root) => findInMeta(root, ref, namespace));
  } catch (err) {
    if (err instanceof CrifsError) throw err; // the reader's own one-line errors
    return null; // a record that does not decode: the loader reports it
  }
  if (hit === null) return null;
  const r = hit.record;
  const layout = snapshotterLayout(config, r.snapshotter);
  if (r.backendKey === "" || !pathExists(layout.metadataDb)) return null;
  let backend: { id: string; kind: SnapshotKind; size: Snapshot["recordedSize"] } | null;
  try {
    backend = lookupBolt(layout.metadataDb, (root) => {
      const b = root.bucket("v1")?.bucket("snapshots")?.bucket(r.backendKey);
      const id = b?.get("id");
      const kind = b?.get("kind");
      if (b === undefined || id === undefined || kind?.length !== 1) return null;
      const k = snapshotKinds[kind[0] as number];
      if (k === undefined) return null;
      return { id: String(varintNumber(id, false)), kind: k, size: usageOf(b.get("size"), b.get("inodes")) };
    });
  } catch (err) {
    if (err instanceof CrifsError) throw err;
    return null;
  }
  // no record yet (a create or removal in flight) or one that does not decode: the loader re-reads and says
  if (backend === null) return null;
  const snapshot = snapshotFromRecords(config, {
    namespace: r.namespace,
    snapshotter: r.snapshotter,
    key: r.key,
    parent: r.parent,
    kind: backend.kind,
    id: backend.id,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    labels: r.labels,
    recordedSize: backend.size,
    runtimeKey: r.backendKey,
  });
  if (hit.container === null) return { type: "snapshot", snapshot };
  return { type: "container", namespace: hit.container.namespace, id: hit.container.id, snapshot };
}
