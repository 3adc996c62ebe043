// model/testing.ts — for tests only: a Store with nothing in it, the start of every hand-made store, and a
// CRI container of containerd's k8s.io namespace.

import type { Container, Store, StoreLocation } from "./store.js";

/** An empty Store at `location` (state and configPath null unless given); `over` replaces whole fields.
 * Pure. */
export function emptyStore(
  location: Pick<StoreLocation, "runtime" | "root"> & Partial<StoreLocation>,
  over: Partial<Omit<Store, "location">> = {},
): Store {
  return {
    location: { state: null, configPath: null, ...location },
    settings: {},
    namespaces: [],
    images: [],
    snapshots: [],
    containers: [],
    blobs: [],
    leases: [],
    ingests: [],
    anomalies: [],
    areas: [],
    ...over,
  };
}

/** A stopped, never-started container `id` of containerd's CRI namespace, on snapshot `id`; `over` replaces
 * whole fields. Pure. */
export function k8sContainer(id: string, over: Partial<Container> = {}): Container {
  return {
    namespace: "k8s.io",
    id,
    image: "",
    snapshotter: "overlayfs",
    snapshotKey: id,
    runtime: "io.containerd.runc.v2",
    createdAt: null,
    updatedAt: null,
    labels: {},
    spec: null,
    task: null,
    ...over,
  };
}
