// runtimes/containerd/testing.ts — containerd's on-disk names under a root, for the unit tests that build a
// store by hand (checks/testing.ts); reached through runtimes/testing.ts. Not used outside tests.

import { join } from "node:path";
import { META_DB } from "./load.js";

/** The paths of a containerd root with the overlayfs snapshotter, and the runc shim's runtime name. */
export function containerdTestPaths(root: string) {
  const overlayfsRoot = join(root, "io.containerd.snapshotter.v1.overlayfs");
  return {
    overlayfsRoot,
    snapshots: join(overlayfsRoot, "snapshots"),
    snapshotterDb: join(overlayfsRoot, "metadata.db"),
    content: join(root, "io.containerd.content.v1.content"),
    metaDb: join(root, META_DB),
    runtime: "io.containerd.runc.v2",
  };
}
