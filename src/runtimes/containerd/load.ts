// runtimes/containerd/load.ts — builds the storage model from a containerd root and state dir, offline:
//   <root>/io.containerd.metadata.v1.bolt/meta.db             namespaces, images, containers, snapshots, content
//   <root>/io.containerd.snapshotter.v1.<name>/metadata.db    snapshot dir ids and kinds
//   <root>/io.containerd.content.v1.content/blobs/<alg>/<hex> blobs
//   <state>/io.containerd.runtime.v2.task/<ns>/<id>/          tasks
// containerd may be running and writing both bolt files: each file is read consistently by openBolt, and the
// pair is re-read when a snapshot in meta.db has no record in the snapshotter's file yet (a create or a removal
// in flight), so a live daemon's churn is not reported as damage.

import { join } from "node:path";
import { CrifsError } from "../../errors.js";
import { openBolt } from "../../formats/bbolt/index.js";
import { pathExists } from "../../fs/path-exists.js";
import { podOfLabels } from "../../model/pods.js";
import { markReadErrors } from "../../model/read-errors.js";
import type { Anomaly, Container, Image, Snapshot, Store } from "../../model/store.js";
import { configReadOptions, type StoreLoadOptions } from "../load-options.js";
import { locationExtras } from "../store-location.js";
import { type ContainerdConfig, readContainerdConfig } from "./config.js";
import { blobPath } from "./content-store.js";
import { readImageLayers } from "./image-layers.js";
import { type MetaRecords, readMetaDb } from "./meta-db.js";
import { criSettings, storeVersion } from "./runtime-version.js";
import { sandboxPods } from "./sandbox-pods.js";
import { type BackendSnapshot, readSnapshotterDb } from "./snapshotter-db.js";
import { readTasks } from "./state-dir.js";

export const META_DB = join("io.containerd.metadata.v1.bolt", "meta.db");

export type ContainerdLoadOptions = StoreLoadOptions;

/** Where a snapshotter keeps its dirs and how a snapshot id maps to its file tree. */
export function snapshotterLayout(config: ContainerdConfig, snapshotter: string) {
  const home =
    snapshotter === "overlayfs"
      ? config.overlayfsRoot
      : join(config.root, `io.containerd.snapshotter.v1.${snapshotter}`);
  const hasFsSubdir = snapshotter === "overlayfs";
  const snapshotsDir = join(home, "snapshots");
  // ids are decimal numbers (containerd's sequence): those are appended as they are, where path.join's
  // normalizing took a third of a 1,000-layer load; any other id (a damaged record) is joined
  const under = (id: string, leaf: string) =>
    decimalId.test(id) ? `${snapshotsDir}/${id}${leaf}` : join(snapshotsDir, id, leaf);
  return {
    home,
    metadataDb: join(home, "metadata.db"),
    snapshotsDir,
    fsPath: (id: string) => under(id, hasFsSubdir ? "/fs" : ""),
    workPath: (id: string) => (hasFsSubdir ? under(id, "/work") : null),
    dir: (id: string) => under(id, ""),
  };
}

const decimalId = /^[0-9]+$/;

/** snapshotterLayout per config and snapshotter, made once: snapshotFromRecords runs once per snapshot. */
const layouts = new WeakMap<ContainerdConfig, Map<string, ReturnType<typeof snapshotterLayout>>>();

function layoutOf(config: ContainerdConfig, snapshotter: string): ReturnType<typeof snapshotterLayout> {
  let byName = layouts.get(config);
  if (byName === undefined) {
    byName = new Map();
    layouts.set(config, byName);
  }
  let layout = byName.get(snapshotter);
  if (layout === undefined) {
    layout = snapshotterLayout(config, snapshotter);
    byName.set(snapshotter, layout);
  }
  return layout;
}

/** A snapshot's records, from meta.db and its snapshotter's db or from the API: what the model adds to them
 * (its dirs) follows from the snapshotter's layout. */
export type SnapshotRecords = Omit<Snapshot, "path" | "dir" | "workPath">;

/** The model's snapshot for these records: fs/, the snapshot dir and work/ (none for a view) under its home.
 * The one way both readers (this loader and live.ts) place a snapshot's dirs. */
export function snapshotFromRecords(config: ContainerdConfig, r: SnapshotRecords): Snapshot {
  const layout = layoutOf(config, r.snapshotter);
  // the model's field order (JSON output keeps it)
  return {
    namespace: r.namespace,
    snapshotter: r.snapshotter,
    key: r.key,
    parent: r.parent,
    kind: r.kind,
    id: r.id,
    path: layout.fsPath(r.id),
    dir: layout.dir(r.id),
    workPath: r.kind === "view" ? null : layout.workPath(r.id),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    labels: r.labels,
    recordedSize: r.recordedSize,
    runtimeKey: r.runtimeKey,
  };
}

/** A blob's file in the content store: `<content>/blobs/<alg>/<hex>`. */
export function blobPathOf(config: ContainerdConfig, digest: string): string {
  return blobPath(config.contentRoot, digest);
}

/** The dir ids a snapshotter's own db records for one namespace's snapshots, by snapshot name (for a reader
 * that knows the names but not the dirs: the API names no dir of a committed snapshot). Empty without a db. */
export function readSnapshotDirIds(config: ContainerdConfig, snapshotter: string, namespace: string) {
  const layout = snapshotterLayout(config, snapshotter);
  const ids = new Map<string, string>();
  if (!pathExists(layout.metadataDb)) return ids;
  // backend keys are "<ns>/<seq>/<name>"
  for (const [key, b] of readSnapshotterDb(openBolt(layout.metadataDb)).snapshots) {
    if (!key.startsWith(`${namespace}/`)) continue;
    const name = key.slice(key.indexOf("/", key.indexOf("/") + 1) + 1);
    if (!ids.has(name)) ids.set(name, b.id);
  }
  return ids;
}

const JOIN_ATTEMPTS = 4;

function readOnce(config: ContainerdConfig, metaPath: string) {
  const meta = readMetaDb(openBolt(metaPath));
  const snapshotters = new Set(meta.snapshots.map((s) => s.snapshotter));
  const backends = new Map<string, Map<string, BackendSnapshot>>();
  const anomalies: Anomaly[] = [];
  for (const name of snapshotters) {
    const layout = snapshotterLayout(config, name);
    if (!pathExists(layout.metadataDb)) {
      backends.set(name, new Map());
      continue;
    }
    const r = readSnapshotterDb(openBolt(layout.metadataDb));
    backends.set(name, r.snapshots);
    anomalies.push(...r.anomalies);
  }
  const unjoined = meta.snapshots.filter((s) => !backends.get(s.snapshotter)?.has(s.backendKey));
  return { meta, backends, anomalies, unjoined };
}

function buildSnapshots(
  config: ContainerdConfig,
  meta: MetaRecords,
  backends: Map<string, Map<string, BackendSnapshot>>,
  anomalies: Anomaly[],
): Snapshot[] {
  const out: Snapshot[] = [];
  for (const m of meta.snapshots) {
    const b = backends.get(m.snapshotter)?.get(m.backendKey);
    if (b === undefined || b.kind === null) {
      // containerd's own Walk skips these too (the snapshotter answers "not found")
      anomalies.push({
        path: snapshotterLayout(config, m.snapshotter).metadataDb,
        subject: `snapshot ${m.namespace}/${m.snapshotter}/${m.name}`,
        message: `snapshot "${m.name}" in namespace "${m.namespace}" has no record "${m.backendKey}" in the ${m.snapshotter} snapshotter`,
      });
      continue;
    }
    out.push(
      snapshotFromRecords(config, {
        namespace: m.namespace,
        snapshotter: m.snapshotter,
        key: m.name,
        parent: m.parent,
        kind: b.kind,
        id: b.id,
        createdAt: m.createdAt,
        updatedAt: m.updatedAt,
        labels: m.labels,
        recordedSize: b.size,
        runtimeKey: m.backendKey,
      }),
    );
  }
  return out;
}

/** Loads a containerd store from disk. Cost: metadata only (two bolt files, the state dir, /proc). */
export function loadContainerd(options: ContainerdLoadOptions = {}): Store {
  const config = readContainerdConfig(configReadOptions(options));
  const metaPath = join(config.root, META_DB);
  if (!pathExists(config.root)) {
    throw new CrifsError("not-found", "cannot read containerd root: no such directory", {
      path: config.root,
      remedy: "pass --root (and --config) for a containerd installed elsewhere",
    });
  }
  if (!pathExists(metaPath)) {
    throw new CrifsError("not-found", "cannot read containerd metadata: no such file", {
      path: metaPath,
      remedy:
        "this root has no metadata database: is it a containerd root, and has containerd ever started on it?",
    });
  }
  let r = readOnce(config, metaPath);
  for (let i = 1; i < JOIN_ATTEMPTS && r.unjoined.length > 0; i++) r = readOnce(config, metaPath);
  const anomalies: Anomaly[] = [...r.meta.anomalies, ...r.anomalies];
  const snapshots = buildSnapshots(config, r.meta, r.backends, anomalies);

  const images = r.meta.images.map((img): Image => {
    const l = readImageLayers(config.contentRoot, img, `image ${img.namespace}/${img.name}`);
    if (l.anomaly === null) return { ...img, configDigest: l.configDigest, snapshotKeys: l.snapshotKeys };
    anomalies.push(l.anomaly);
    const readError = { path: l.anomaly.path, message: l.anomaly.message };
    return { ...img, configDigest: l.configDigest, snapshotKeys: l.snapshotKeys, readError };
  });
  const tasks = readTasks(config.state, { hostRoot: options.hostRoot });
  const containers: Container[] = r.meta.containers.map((c) => ({
    ...c,
    task: tasks.get(`${c.namespace}/${c.id}`) ?? null,
    pod: podOfLabels(c.labels),
  }));
  const blobs = r.meta.blobs.map((b) => ({ ...b, path: blobPathOf(config, b.digest) }));

  // the markers only: enough for each line's defaults; info asks the binaries (runtime-version.ts)
  const runtimeVersion = storeVersion(config);
  const cri = criSettings(config, runtimeVersion);
  const store: Store = {
    location: {
      runtime: "containerd",
      root: config.root,
      state: config.state,
      configPath: config.path,
      ...locationExtras(options.hostRoot, config.rootLink),
    },
    settings: {
      snapshotter: config.snapshotter,
      sandboxImage: cri.sandboxImage,
      grpcAddress: config.grpcAddress,
      overlayfsRoot: config.overlayfsRoot,
      imageFsMountpoint: config.overlayfsRoot,
      contentRoot: config.contentRoot,
      pluginDir: config.pluginDir ?? "",
      disabledPlugins: config.disabledPlugins.join(","),
      cniBinDir: cri.cniBinDir,
      cniConfDir: config.cniConfDir,
      metadataSchema: r.meta.schemaVersion === null ? "" : `v1 (db version ${r.meta.schemaVersion})`,
    },
    namespaces: r.meta.namespaces,
    images,
    snapshots,
    containers,
    blobs,
    leases: r.meta.leases,
    ingests: r.meta.ingests,
    pods: sandboxPods(containers, r.meta.sandboxes),
    source: { kind: "disk", address: null },
    runtimeVersion,
    anomalies,
    areas: [
      ...[...new Set(["overlayfs", ...snapshots.map((s) => s.snapshotter)])].flatMap((sn) => {
        const layout = snapshotterLayout(config, sn);
        return [
          { role: "snapshot-home" as const, path: layout.snapshotsDir },
          { role: "metadata" as const, path: layout.metadataDb },
        ];
      }),
      { role: "content-blobs", path: join(config.contentRoot, "blobs") },
      { role: "ingest", path: join(config.contentRoot, "ingest") },
      { role: "tmpmounts", path: join(config.root, "tmpmounts") },
      { role: "metadata", path: join(config.root, "io.containerd.metadata.v1.bolt") },
    ],
  };
  return markReadErrors(store, { snapshot: () => metaPath, container: () => metaPath });
}
