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
import type { StoreLoadOptions } from "../load-options.js";
import { driverStore } from "../overlay-driver/index.js";
import { locationExtras } from "../store-location.js";
import { readDockerConfig } from "./config.js";
import { containerAreas, readContainers } from "./containers.js";
import { readImages } from "./imagedb.js";
import { readContainerLayers, readLayers } from "./layerdb.js";
import { DockerMetadataReader, dockerLayout, list, STORAGE_DRIVER } from "./layout.js";

/** state: dockerd's --exec-root; config: daemon.json. */
export type DockerLoadOptions = StoreLoadOptions;

/** Loads a Docker overlay2 data-root from disk. Cost: metadata only (small files, /proc for running ones). */
export function loadDocker(options: DockerLoadOptions = {}): Store {
  const config = readDockerConfig({
    path: options.config,
    root: options.root,
    execRoot: options.state,
    hostRoot: options.hostRoot,
  });
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
    areas: [
      { role: "snapshot-home", path: layout.overlay, ignore: ["l"] },
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
