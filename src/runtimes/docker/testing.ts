// runtimes/docker/testing.ts — Docker's on-disk names under a data-root, for the unit tests that build a store
// by hand (checks/testing-docker.ts); reached through runtimes/testing.ts. Not used outside tests.

import { join } from "node:path";
import { LAYERDB } from "./config.js";
import { STORAGE_DRIVER } from "./layout.js";

/** The paths of a Docker overlay2 data-root. */
export function dockerTestPaths(root: string) {
  return {
    driver: STORAGE_DRIVER,
    home: join(root, STORAGE_DRIVER),
    repositories: join(root, "image", STORAGE_DRIVER, "repositories.json"),
    /** layerdb/sha256/<hex>: an image layer's entry, by chain id. */
    layerEntry: (hex: string) => join(root, LAYERDB, "sha256", hex),
  };
}
