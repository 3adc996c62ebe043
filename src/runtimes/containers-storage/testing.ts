// runtimes/containers-storage/testing.ts — containers/storage's on-disk names under a graphroot, for the unit
// tests that build a store by hand (checks/testing-overlay.ts); reached through runtimes/testing.ts. Not used
// outside tests.

import { join } from "node:path";
import { LAYERS_JSON } from "./load.js";

/** The paths of a containers/storage graphroot with the overlay driver. */
export function containersStorageTestPaths(root: string) {
  return { home: join(root, "overlay"), layersJson: join(root, LAYERS_JSON) };
}
