// runtimes/overlay-driver/driver-store.ts — the Store of a runtime built on the overlay driver home
// (containers/storage, Docker overlay2): one implicit namespace, no content store, leases or ingests.

import type { Store } from "../../model/store.js";

/** What an overlay-driver runtime's loader reads; the rest of its Store is fixed. */
export type DriverStoreParts = Omit<Store, "namespaces" | "blobs" | "leases" | "ingests" | "pods" | "source">;

/** The Store with its fixed parts filled in, fields in the Store's order (JSON output keeps it). Pure. */
export function driverStore(p: DriverStoreParts): Store {
  return {
    location: p.location,
    settings: p.settings,
    namespaces: [{ name: "", labels: {} }],
    images: p.images,
    snapshots: p.snapshots,
    containers: p.containers,
    blobs: [],
    leases: [],
    ingests: [],
    anomalies: p.anomalies,
    areas: p.areas,
    ...(p.runtimeVersion === undefined ? {} : { runtimeVersion: p.runtimeVersion }),
  };
}
