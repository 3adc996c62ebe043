// model/testing.ts — for tests only: a Store with nothing in it, the start of every hand-made store.

import type { Store, StoreLocation } from "./store.js";

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
