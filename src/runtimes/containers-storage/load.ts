// runtimes/containers-storage/load.ts — builds the storage model from a containers/storage store (Podman,
// CRI-O), offline, overlay driver:
//   <graphroot>/overlay-layers/layers.json          layers → snapshots (key = layer id)
//   <runroot>/overlay-layers/volatile-layers.json   more layers, when any were created volatile
//   <graphroot>/overlay-images/images.json          images, one per name; layers from the top layer's parents
//   <graphroot>/overlay-images/<id>/manifest        the manifest: the image's media type
//   <graphroot>/overlay-containers/containers.json  containers; their layer is an active snapshot
//   <graphroot>/overlay/<id>/{diff,work,link,lower}  the driver home (runtimes/overlay-driver)
//   <runroot>/overlay-containers/<id>/userdata/pidfile   the container's init pid → task status via /proc
//   <graphroot>/db.sql                               Podman 5's libpod state (libpod-state.ts): the names
//                                                    `podman ps` shows
// c/storage has no namespaces: everything is in namespace "". A layer is `committed` unless a container
// record names it (then `active`). Each snapshot's lowerPath is its short link `<home>/l/<short>`, the name
// c/storage mounts it under.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CrifsError, fromFsError } from "../../errors.js";
import { pathExists } from "../../fs/path-exists.js";
import { isProcAlive } from "../../fs/proc-stat.js";
import { markReadErrors } from "../../model/read-errors.js";
import type {
  Anomaly,
  Container,
  Image,
  ReadError,
  RuntimeId,
  Snapshot,
  Store,
  Task,
} from "../../model/store.js";
import type { StoreLoadOptions } from "../load-options.js";
import { driverStore, type OverlayHome, readOverlayHome, SHORT_LINK_DIR } from "../overlay-driver/index.js";
import { locationExtras } from "../store-location.js";
import { readStorageConfig, type StorageConfig } from "./config.js";
import { LIBPOD_SQLITE, libpodVersionMarker, readLibpodState } from "./libpod-state.js";
import {
  type ContainerRecord,
  type ImageRecord,
  type LayerRecord,
  manifestMediaType,
  parseContainers,
  parseImages,
  parseLayers,
} from "./records.js";

/** Entries of the driver home that are not layer dirs: the short links, the driver's feature-probe file, and
 * crifs repair's quarantine (c/storage bind-mounts the home onto itself, so what is moved out of it must stay
 * on that mount: src/repair/apply.ts). */
export const HOME_NOT_LAYERS: readonly string[] = [SHORT_LINK_DIR, ".has-mount-program", ".crifs-quarantine"];

/** The file whose presence marks a graphroot (detection by layout). */
export const LAYERS_JSON = join("overlay-layers", "layers.json");

export interface ContainersStorageLoadOptions extends StoreLoadOptions {
  readonly runtime: "podman" | "crio";
}

/** The paths of a store, from its config. */
export function storeLayout(config: StorageConfig) {
  const g = config.graphroot;
  const d = config.driver;
  return {
    home: join(g, d),
    layersJson: join(g, `${d}-layers`, "layers.json"),
    volatileLayersJson: join(config.runroot, `${d}-layers`, "volatile-layers.json"),
    imagesJson: join(g, `${d}-images`, "images.json"),
    imagesDir: join(g, `${d}-images`),
    containersJson: join(g, `${d}-containers`, "containers.json"),
    mountpointsJson: join(config.runroot, `${d}-layers`, "mountpoints.json"),
    userdata: (id: string) => join(config.runroot, `${d}-containers`, id, "userdata"),
  };
}

export type StoreLayout = ReturnType<typeof storeLayout>;

/** A record file's bytes, or null when absent (c/storage creates them lazily); isOptional: null for any error. */
function readRecordFile(path: string, options: { isOptional?: boolean } = {}): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === "ENOENT" || options.isOptional === true) return null;
    throw fromFsError(err, path, "read");
  }
}

/** An image's manifest media type, "" when the manifest is absent or unreadable (the image still lists). */
function readManifestMediaType(path: string): string {
  const b = readRecordFile(path, { isOptional: true });
  return b === null ? "" : manifestMediaType(b);
}

export interface ContainersStorageRecords {
  readonly layers: readonly LayerRecord[];
  readonly images: readonly ImageRecord[];
  readonly containers: readonly ContainerRecord[];
}

/** Reads the three record files. Throws CrifsError("corrupt") with the byte offset for one that does not parse. */
export function readRecords(layout: StoreLayout): ContainersStorageRecords {
  const layers: LayerRecord[] = [];
  for (const p of [layout.layersJson, layout.volatileLayersJson]) {
    const b = readRecordFile(p);
    if (b !== null) layers.push(...parseLayers(b, p));
  }
  const ib = readRecordFile(layout.imagesJson);
  const cb = readRecordFile(layout.containersJson);
  return {
    layers,
    images: ib === null ? [] : parseImages(ib, layout.imagesJson),
    containers: cb === null ? [] : parseContainers(cb, layout.containersJson),
  };
}

/** The container's OCI spec (podman keeps it in the graphroot's userdata, CRI-O in the runroot's), or null.
 * links and broken-symlink need its mounts: /proc, /dev, /sys are not in the image. */
function readSpec(candidates: readonly string[]): unknown {
  for (const path of candidates) {
    try {
      return JSON.parse(readFileSync(path, "utf8")) as unknown;
    } catch {
      // absent or unreadable: try the next place; a container without a spec is still listed
    }
  }
  return null;
}

/**
 * A container's task from its runroot userdata: no pidfile → created (never started); a pidfile whose process
 * lives → running; else stopped. Cost: two small reads.
 */
export function readTask(
  userdata: string,
  rootfs: string,
  options: { hostRoot?: string | undefined } = {},
): Task {
  let text: string | null = null;
  try {
    text = readFileSync(join(userdata, "pidfile"), "utf8");
  } catch {
    text = null;
  }
  const pid = text === null ? 0 : Number.parseInt(text.trim(), 10) || 0;
  if (text === null) return { status: "created", pid: 0, bundle: userdata, rootfs };
  // a node's disk (--host-root): its processes are not this machine's to look up in /proc
  if (options.hostRoot !== undefined) return { status: "unknown", pid, bundle: userdata, rootfs };
  const alive = pid !== 0 && isProcAlive(pid);
  return { status: alive ? "running" : "stopped", pid, bundle: userdata, rootfs };
}

/** Keys of an image's layers, base first: its top layer and the parents' chain; `error` says where the chain
 * breaks (a layer layers.json does not list, a cycle). Bounded by MAX_LAYERS. */
function imageLayers(
  top: string | null,
  byId: ReadonlyMap<string, LayerRecord>,
): { keys: string[]; error: string | null } {
  if (top === null) return { keys: [], error: null };
  const keys: string[] = [];
  const seen = new Set<string>();
  let cur: string | null = top;
  while (cur !== null) {
    if (seen.has(cur) || keys.length >= MAX_LAYERS)
      return { keys: keys.reverse(), error: `its layers' parent chain loops back to layer "${cur}"` };
    const rec = byId.get(cur);
    if (rec === undefined)
      return { keys: keys.reverse(), error: `it needs layer "${cur}", which layers.json does not list` };
    seen.add(cur);
    keys.push(cur);
    cur = rec.parent;
  }
  return { keys: keys.reverse(), error: null };
}

/** The most layers an image's chain may have before crifs calls it a cycle. */
const MAX_LAYERS = 1000;

/** The records with the first of each id kept; each repeated id becomes an anomaly and a read error on the
 * one kept (c/storage's own index would keep one of them, which one depends on its version). */
function dedupe<T extends { readonly id: string }>(
  records: readonly T[],
  path: string,
  what: "layer" | "image" | "container",
  anomalies: Anomaly[],
): { records: T[]; duplicates: Map<string, ReadError> } {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  const duplicates = new Map<string, ReadError>();
  for (const [id, n] of counts) {
    if (n < 2) continue;
    const message = `${path.split("/").pop()} lists ${what} "${id}" ${n} times`;
    duplicates.set(id, { path, message });
    anomalies.push({ path, subject: `${what} ${id}`, message });
  }
  const seen = new Set<string>();
  const kept: T[] = [];
  for (const r of records) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    kept.push(r);
  }
  return { records: kept, duplicates };
}

export interface LoadedContainersStorage {
  readonly store: Store;
  readonly config: StorageConfig;
  readonly layout: StoreLayout;
  /** The driver home as read (the checks compare it with the records). */
  readonly home: OverlayHome;
  /** Ids of layers whose record carries the `incomplete` flag. */
  readonly incompleteLayers: ReadonlySet<string>;
}

/** Loads a containers/storage store from disk, with the facts doctor needs. Cost: metadata only. */
export function loadContainersStorageDetailed(
  options: ContainersStorageLoadOptions,
): LoadedContainersStorage {
  const config = readStorageConfig({
    path: options.config,
    root: options.root,
    runroot: options.state,
    crio: options.runtime === "crio",
    hostRoot: options.hostRoot,
  });
  if (config.driver !== "overlay")
    throw new CrifsError("unsupported", `cannot read the "${config.driver}" storage driver`, {
      path: config.path ?? config.graphroot,
      remedy: "crifs reads containers/storage stores with the overlay driver",
    });
  if (!pathExists(config.graphroot))
    throw new CrifsError("not-found", `cannot read ${options.runtime} graphroot: no such directory`, {
      path: config.graphroot,
      remedy: "pass --root (the graphroot) and --state (the runroot) for a store elsewhere",
    });
  const layout = storeLayout(config);
  const records = readRecords(layout);
  const home = readOverlayHome(layout.home);
  const anomalies: Anomaly[] = [];

  const layers = dedupe(records.layers, layout.layersJson, "layer", anomalies);
  const imageRecords = dedupe(records.images, layout.imagesJson, "image", anomalies);
  const containerRecords = dedupe(records.containers, layout.containersJson, "container", anomalies);
  const byId = new Map(layers.records.map((l) => [l.id, l]));
  const containerLayers = new Set(containerRecords.records.map((c) => c.layer));
  const snapshots: Snapshot[] = layers.records.map((l) => {
    const duplicate = layers.duplicates.get(l.id);
    const dir = join(layout.home, l.id);
    const link = home.layers.get(l.id)?.link ?? null;
    return {
      namespace: "",
      snapshotter: config.driver,
      key: l.id,
      parent: l.parent,
      kind: containerLayers.has(l.id) ? "active" : "committed",
      id: l.id,
      path: join(dir, "diff"),
      dir,
      workPath: join(dir, "work"),
      createdAt: l.created,
      updatedAt: l.created,
      labels: l.names.length === 0 ? {} : { "containers.storage/names": l.names.join(",") },
      recordedSize: null,
      runtimeKey: l.id,
      ...(link === null ? {} : { lowerPath: join(layout.home, SHORT_LINK_DIR, link) }),
      ...(duplicate === undefined ? {} : { readError: duplicate }),
    };
  });

  const images: Image[] = imageRecords.records.flatMap((img) => {
    const chain = imageLayers(img.topLayer, byId);
    const readError: ReadError | undefined =
      imageRecords.duplicates.get(img.id) ??
      (chain.error === null ? undefined : { path: layout.layersJson, message: chain.error });
    const base = {
      namespace: "",
      digest: img.digest ?? `sha256:${img.id}`,
      mediaType: readManifestMediaType(join(layout.imagesDir, img.id, "manifest")),
      // as podman counts it (c/storage's ImageSize): the layers' uncompressed sizes and the big data
      size: chain.keys.reduce((n, k) => n + (byId.get(k)?.diffSize ?? 0), img.bigDataBytes),
      createdAt: img.created,
      updatedAt: img.created,
      labels: { "containers.storage/image-id": img.id },
      configDigest: `sha256:${img.id}`,
      snapshotKeys: chain.keys,
      ...(readError === undefined ? {} : { readError }),
    };
    const names = img.names.length === 0 ? [""] : img.names;
    return names.map((name) => ({ ...base, name }));
  });

  const libpod = options.runtime === "podman" ? readLibpodState(config.graphroot, anomalies) : null;
  const imageIds = new Set(imageRecords.records.map((i) => i.id));
  const containers: Container[] = containerRecords.records.map((c) => {
    let readError = containerRecords.duplicates.get(c.id);
    if (readError === undefined && c.image !== "" && !imageIds.has(c.image)) {
      const message = `container "${c.names[0] ?? c.id}" names image "${c.image}", which images.json does not list`;
      readError = { path: layout.containersJson, message };
      anomalies.push({ path: layout.containersJson, subject: `container ${c.id}`, message });
    }
    return {
      namespace: "",
      id: c.id,
      // podman's own name for it when its state says one (c/storage's names are a copy podman keeps)
      names: libpod?.containers.has(c.id) === true ? [libpod.containers.get(c.id)?.name ?? ""] : c.names,
      image: c.imageName ?? c.image,
      snapshotter: config.driver,
      snapshotKey: c.layer,
      runtime: options.runtime,
      createdAt: c.created,
      updatedAt: c.created,
      labels: { "containers.storage/image-id": c.image },
      spec: readSpec([
        join(config.graphroot, `${config.driver}-containers`, c.id, "userdata", "config.json"),
        join(layout.userdata(c.id), "config.json"),
      ]),
      task: readTask(layout.userdata(c.id), join(layout.home, c.layer, "merged"), {
        hostRoot: options.hostRoot,
      }),
      ...(readError === undefined ? {} : { readError }),
    };
  });

  const runtime: RuntimeId = options.runtime;
  const store = driverStore({
    location: {
      runtime,
      root: config.graphroot,
      state: config.runroot,
      ...locationExtras(options.hostRoot, config.rootLink),
      configPath: config.crioPaths.at(-1) ?? config.path,
    },
    settings: {
      ...(options.runtime === "podman"
        ? { versionMarker: libpodVersionMarker(config.graphroot, libpod) }
        : {}),
      snapshotter: config.driver,
      driver: config.driver,
      graphroot: config.graphroot,
      runroot: config.runroot,
      storageConf: config.path ?? "",
      mountopt: config.mountopt,
      mountProgram: config.mountProgram,
      imageFsMountpoint: layout.home,
    },
    images,
    snapshots,
    containers,
    anomalies,
    // podman >= 4.8 can keep its state in SQLite (5.0's default); nothing on disk dates an older one
    runtimeVersion:
      options.runtime === "podman" && (libpod !== null || pathExists(join(config.graphroot, LIBPOD_SQLITE)))
        ? { version: "4.8+", source: "store" }
        : null,
    areas: [
      { role: "snapshot-home", path: layout.home, ignore: HOME_NOT_LAYERS },
      { role: "metadata", path: join(layout.home, SHORT_LINK_DIR) },
      { role: "metadata", path: join(config.graphroot, `${config.driver}-layers`) },
      { role: "metadata", path: join(config.graphroot, `${config.driver}-images`) },
      { role: "container-data", path: join(config.graphroot, `${config.driver}-containers`) },
    ],
  });
  const incompleteLayers = new Set(records.layers.filter((l) => l.isIncomplete).map((l) => l.id));
  const marked = markReadErrors(store, {
    snapshot: () => layout.layersJson,
    container: () => layout.containersJson,
  });
  return { store: marked, config, layout, home, incompleteLayers };
}

/** Loads a containers/storage store (Podman or CRI-O). Cost: metadata only. */
export function loadContainersStorage(options: ContainersStorageLoadOptions): Store {
  return loadContainersStorageDetailed(options).store;
}
