// links/container-view.ts — a container's root file system as the kernel would merge it, read from the
// snapshot dirs without mounting anything.
//
//   layers[0]    the container's own snapshot (its upper dir, where the task's writes land)
//   layers[1]    its parent: the image's top layer          ┐ lowerdir, nearest parent first,
//   …                                                       │ exactly as planMount builds the mount
//   layers[n-1]  the image's base layer                      ┘
//
// The layer list comes from planMount (model/mounts.ts), so a broken chain (dangling parent, cycle) fails
// here the way it fails `crifs mounts`. Shared by `crifs fs`, `crifs links` and doctor.

import { posix } from "node:path";
import { CrifsError } from "../errors.js";
import { OverlayView } from "../fs/overlay-view.js";
import { SnapshotIndex } from "../model/chain.js";
import { planMount } from "../model/mounts.js";
import type { Container, Snapshot, Store } from "../model/store.js";

/** Options of containerView and containerLayers. */
export interface ContainerViewOptions {
  /**
   * The store's snapshots indexed once (pass one when building views of many containers). Default: a new
   * index of `store.snapshots`.
   */
  index?: SnapshotIndex;
  /**
   * The overlay is mounted with `userxattr` (rootless): only user.overlay.opaque marks opaque dirs.
   * Default false: trusted.overlay.opaque does, as the kernel reads it for a rootful mount.
   */
  userxattr?: boolean;
}

/** A container's merged root: an OverlayView plus which snapshot each layer is. */
export class ContainerView extends OverlayView {
  readonly container: Container;
  /** The snapshot behind each entry of `layers`, same order (top first). */
  readonly snapshots: readonly Snapshot[];
  /** Where the runtime mounts something over the image at run time (runtimeMountPoints). */
  readonly mountPoints: readonly string[];

  constructor(container: Container, snapshots: readonly Snapshot[], options: { userxattr: boolean }) {
    super(
      snapshots.map((s) => s.path),
      {
        opaqueXattrs: options.userxattr ? "user" : "trusted",
        // committed snapshots never change: what one view learns of them serves every other
        immutable: snapshots.map((s) => s.kind === "committed"),
      },
    );
    this.container = container;
    this.snapshots = snapshots;
    this.mountPoints = runtimeMountPoints(container);
  }

  /** True when layer `index` is the container's own (writable) snapshot, not an image layer. */
  isUpper(index: number): boolean {
    return (
      this.snapshots[index]?.key === this.container.snapshotKey && this.snapshots[index]?.kind === "active"
    );
  }
}

/**
 * The destinations of the mounts in the container's OCI spec (`/proc`, `/dev`, `/run`, bind mounts…),
 * normalized, deduplicated and sorted: places where the running container sees something else than the
 * image. Pure; an absent or odd spec gives [].
 */
export function runtimeMountPoints(container: Pick<Container, "spec">): string[] {
  const mounts = (container.spec as { mounts?: unknown } | null | undefined)?.mounts;
  if (!Array.isArray(mounts)) return [];
  const out = new Set<string>();
  for (const m of mounts) {
    const dest = (m as { destination?: unknown } | null)?.destination;
    if (typeof dest !== "string" || !dest.startsWith("/")) continue;
    const p = posix.normalize(dest);
    out.add(p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p);
  }
  return [...out].sort();
}

/** The mount point of `mountPoints` that holds container path `path` (at it or below it), or null. Pure. */
export function mountPointOf(mountPoints: readonly string[], path: string): string | null {
  let best: string | null = null;
  for (const mp of mountPoints) {
    // no template string per mount point: this runs for every link of every container
    if (mp === "/" || (path.startsWith(mp) && (path.length === mp.length || path[mp.length] === "/"))) {
      if (best === null || mp.length > best.length) best = mp;
    }
  }
  return best;
}

/** The container's snapshot record; throws not-found when metadata lacks it. Cost: one scan of snapshots. */
export function containerSnapshot(store: Store, container: Container): Snapshot {
  if (container.snapshotKey === "") {
    throw new CrifsError("not-found", `container "${container.id}" has no snapshot`, {
      remedy: "it was created without a root file system; there is nothing to read",
    });
  }
  const s = store.snapshots.find(
    (x) =>
      x.namespace === container.namespace &&
      x.snapshotter === container.snapshotter &&
      x.key === container.snapshotKey,
  );
  if (s === undefined) {
    throw new CrifsError(
      "not-found",
      `container "${container.id}" has no snapshot "${container.snapshotKey}" in ${container.snapshotter}`,
      { remedy: "run crifs doctor: the container's writable layer is missing from metadata" },
    );
  }
  return s;
}

/**
 * The snapshots of the container's root, TOP FIRST: its own snapshot when it is mounted as the upper dir,
 * then the lowerdirs nearest parent first (the order planMount gives). Cost: metadata only.
 * Throws CrifsError when the snapshot is missing, its chain is broken, or the snapshotter is not overlayfs
 * (containerd), overlay (containers/storage) or overlay2 (docker).
 */
export function containerLayers(
  store: Store,
  container: Container,
  options: ContainerViewOptions = {},
): Snapshot[] {
  if (!["overlayfs", "overlay", "overlay2"].includes(container.snapshotter)) {
    throw new CrifsError(
      "unsupported",
      `cannot read the root of container "${container.id}": snapshotter "${container.snapshotter}" is not supported`,
      { remedy: "crifs reads overlay layers only; mount the container and look inside instead" },
    );
  }
  const s = containerSnapshot(store, container);
  const index = options.index ?? new SnapshotIndex(store.snapshots);
  const spec = planMount(s, index, { indexOff: false, userxattr: options.userxattr ?? false });
  const dirs =
    spec.type === "bind"
      ? [spec.source]
      : [...(spec.upperdir === null ? [] : [spec.upperdir]), ...spec.lowerdir];
  // planMount speaks in dirs (a lower by its lowerPath when it has one: c/storage's l/ links); map them back
  // to the snapshots of the chain (dirs are unique per snapshot)
  const byPath = new Map(
    [s, ...index.chain(s).parents].flatMap((x) => [
      [x.path, x] as const,
      ...(x.lowerPath === undefined ? [] : [[x.lowerPath, x] as const]),
    ]),
  );
  return dirs.map((d) => {
    const x = byPath.get(d);
    if (x === undefined) throw new Error(`planMount returned ${d}, which is not in the chain of ${s.key}`);
    return x;
  });
}

/**
 * The merged root of `container` (an OverlayView over containerLayers, top first). Cost: metadata plus
 * one lstat per layer; throws CrifsError (not-found) when a layer dir is missing.
 */
export function containerView(
  store: Store,
  container: Container,
  options: ContainerViewOptions = {},
): ContainerView {
  return new ContainerView(container, containerLayers(store, container, options), {
    userxattr: options.userxattr ?? false,
  });
}
