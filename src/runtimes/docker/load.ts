// runtimes/docker/load.ts — builds the storage model from a Docker (20.10, overlay2) data-root, offline.
// layout.ts draws the data-root; layerdb.ts, imagedb.ts, containers.ts and tasks.ts read its parts.
// Into the model: snapshots are the layerdb layers (key = chain id "sha256:…", id = cache-id) plus, per
// container, its "-init" layer and its rw layer (key = id = the dir name in overlay2/; rw → init → image top).
// Docker has no namespaces: everything is in namespace "". A file that does not decode is an anomaly (doctor:
// metadata-corrupt) and the object is left out; only an unreadable repositories.json stops the load, as it
// stops dockerd.

import { join } from "node:path";
import { CrifsError } from "../../errors.js";
import { pathExists } from "../../fs/path-exists.js";
import { markReadErrors } from "../../model/read-errors.js";
import type { Store } from "../../model/store.js";
import { configReadOptions, type StoreLoadOptions } from "../load-options.js";
import { driverStore } from "../overlay-driver/index.js";
import { locationExtras } from "../store-location.js";
import { type DockerConfig, readDockerConfig } from "./config.js";
import {
  containerSnapshots,
  dockerImages,
  EMBEDDED_ROOT,
  type EmbeddedContainerd,
  embeddedOptions,
  isContainerdImageStore,
  MOBY_NAMESPACE,
} from "./containerd-store.js";
import { containerAreas, readContainers } from "./containers.js";
import { readImages } from "./imagedb.js";
import { type ContainerLayers, readContainerLayers, readLayers } from "./layerdb.js";
import { DockerMetadataReader, dockerLayout, list, STORAGE_DRIVER } from "./layout.js";

/** state: dockerd's --exec-root; config: daemon.json; embedded: the containerd adapter, for a data-root that
 * keeps its images in containerd (containerd-store.ts). */
export interface DockerLoadOptions extends StoreLoadOptions {
  readonly embedded?: EmbeddedContainerd | undefined;
}

/** Loads a Docker overlay2 data-root from disk. Cost: metadata only (small files, /proc for running ones). */
export function loadDocker(options: DockerLoadOptions = {}): Store {
  const config = readDockerConfig(configReadOptions(options));
  if (config.storageDriver !== "" && config.storageDriver !== STORAGE_DRIVER) {
    throw new CrifsError(
      "unsupported",
      `cannot read storage driver "${config.storageDriver}": crifs reads overlay2 only`,
      {
        path: config.path ?? config.root,
      },
    );
  }
  if (!pathExists(config.root)) {
    throw new CrifsError("not-found", "cannot read docker data-root: no such directory", {
      path: config.root,
      remedy: "pass --root (or --config with data-root) for a Docker installed elsewhere",
    });
  }
  const layout = dockerLayout(config.root);
  if (options.embedded !== undefined && isContainerdImageStore(config.root, config.containerdSnapshotter))
    return loadDockerOnContainerd(options.embedded, config, options.hostRoot);
  if (!pathExists(layout.layers)) {
    throw new CrifsError("not-found", "cannot read docker layer metadata: no image/overlay2/layerdb", {
      path: config.root,
      remedy:
        "this is not a Docker overlay2 data-root (another storage driver, or dockerd never started on it)",
    });
  }
  const r = new DockerMetadataReader(layout, options.hostRoot);
  const committed = readLayers(r);
  const images = readImages(r);
  const perContainer = readContainerLayers(r);
  const imageIds = new Set(list(layout.imageConfigs).map((h) => `sha256:${h}`));
  const containers = readContainers(r, config, perContainer, imageIds);
  const snapshots = [
    ...committed,
    ...[...perContainer.values()].flatMap((c) => (c.init === null ? [c.rw] : [c.init, c.rw])),
  ];
  const store = driverStore({
    location: {
      runtime: "docker",
      root: config.root,
      state: config.execRoot,
      configPath: config.path,
      ...locationExtras(options.hostRoot, config.rootLink),
    },
    settings: {
      versionMarker: versionMarker(config.root),
      storageDriver: STORAGE_DRIVER,
      snapshotter: STORAGE_DRIVER,
      dataRoot: config.root,
      execRoot: config.execRoot,
      liveRestore: String(config.liveRestore),
      logDriver: config.logDriver,
      overlayRoot: layout.overlay,
      imageFsMountpoint: layout.overlay,
    },
    images,
    snapshots,
    containers,
    anomalies: r.anomalies,
    runtimeVersion: pathExists(join(config.root, "engine-id")) ? { version: "23+", source: "store" } : null,
    areas: [
      { role: "snapshot-home", path: layout.overlay, ignore: ["l", ".crifs-quarantine"] },
      { role: "metadata", path: join(config.root, "image") },
      ...containerAreas(layout.containers),
    ],
  });
  // a layer's parent link is its layerdb entry's `parent` file; a container's layers are layerdb/mounts/<id>
  return markReadErrors(store, {
    snapshot: (s) => join(config.root, s.runtimeKey, s.kind === "committed" ? "parent" : ""),
    container: (c) => join(layout.mounts, c.id),
  });
}

/** A data-root whose images are in dockerd's containerd: containerd's objects of namespace moby (read by the
 * containerd adapter) under docker's names, and docker's containers on their snapshots. Cost: containerd's
 * metadata and docker's container files. */
export function loadDockerOnContainerd(
  embedded: EmbeddedContainerd,
  config: DockerConfig,
  hostRoot: string | undefined,
): Store {
  const ctd = embedded.load(embeddedOptions({ root: config.root, execRoot: config.execRoot, hostRoot }));
  const layout = dockerLayout(config.root);
  const r = new DockerMetadataReader(layout, hostRoot);
  const images = dockerImages(ctd);
  const perContainer = new Map<string, ContainerLayers>();
  for (const id of list(layout.containers)) {
    const l = containerSnapshots(ctd, id);
    if (l !== undefined) perContainer.set(id, l);
  }
  const ctdRoot = join(config.root, EMBEDDED_ROOT);
  const containers = readContainers(r, config, perContainer, new Set(images.map((i) => i.digest)), {
    namespace: MOBY_NAMESPACE,
    snapshotter: ctd.settings.snapshotter ?? "overlayfs",
    layerRecord: () => ({
      path: join(ctdRoot, "io.containerd.metadata.v1.bolt", "meta.db"),
      what: "containerd's snapshots",
    }),
    imageRecord: () => ({
      path: join(ctdRoot, "io.containerd.metadata.v1.bolt", "meta.db"),
      what: "containerd's images",
    }),
    rootfs: (id) => join(config.root, "rootfs", ctd.settings.snapshotter ?? "overlayfs", id),
  });
  const moby = <T extends { namespace: string }>(xs: readonly T[]) =>
    xs.filter((x) => x.namespace === MOBY_NAMESPACE);
  return {
    location: {
      runtime: "docker",
      root: config.root,
      state: config.execRoot,
      configPath: config.path,
      ...locationExtras(hostRoot, config.rootLink),
    },
    settings: {
      ...ctd.settings,
      versionMarker: "dockerd >= 24: images in containerd's store (containerd-snapshotter)",
      storageDriver: "",
      imageStore: `containerd (namespace ${MOBY_NAMESPACE}, root ${ctdRoot})`,
      dataRoot: config.root,
      execRoot: config.execRoot,
      liveRestore: String(config.liveRestore),
      logDriver: config.logDriver,
    },
    namespaces: ctd.namespaces.filter((n) => n.name === MOBY_NAMESPACE),
    images,
    snapshots: moby(ctd.snapshots),
    containers,
    blobs: moby(ctd.blobs),
    leases: moby(ctd.leases),
    ingests: moby(ctd.ingests),
    anomalies: [...ctd.anomalies, ...r.anomalies],
    areas: [...ctd.areas, ...containerAreas(layout.containers)],
    // the containerd image store is an option since dockerd 24
    runtimeVersion: { version: "24+", source: "store" },
  };
}

/** What the data-root says of the dockerd that wrote it, where it says anything (the version itself is
 * dockerd's to tell: info's daemon.serverVersion when it answers). Cost: one stat. */
function versionMarker(root: string): string {
  return pathExists(join(root, "engine-id"))
    ? "dockerd >= 23 (engine-id), overlay2"
    : "dockerd < 23 (no engine-id), overlay2";
}
