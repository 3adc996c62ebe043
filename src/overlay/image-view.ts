// overlay/image-view.ts — an image's root file system: its unpacked layers merged, no upper dir, as a container
// started from it would see them before writing anything. The layers are the adapter's answer (the image's
// snapshot keys, each snapshot's dir and parent in the model), in the order planMount gives a read-only
// mount of the image's top layer: the top layer first, then its parents nearest first.

import { CrifsError } from "../errors.js";
import { OverlayView } from "../fs/overlay-view.js";
import { SnapshotIndex } from "../model/chain.js";
import { planMount } from "../model/mounts.js";
import type { Image, Snapshot, Store } from "../model/store.js";

/** The snapshotters whose layer dirs are overlay layers (containerd, containers/storage, docker). */
const overlaySnapshotters = ["overlayfs", "overlay", "overlay2"];

/** Options of imageLayers and imageView. */
export interface ImageViewOptions {
  /** The store's snapshots indexed once. Default: a new index of `store.snapshots`. */
  index?: SnapshotIndex;
}

/**
 * The snapshots of `image`'s root, TOP FIRST (its top layer, then the parents nearest first). Cost: metadata
 * only. Throws CrifsError when the image has no unpacked layers in an overlay snapshotter, or when the chain
 * of its top layer is broken (planMount's errors).
 */
export function imageLayers(store: Store, image: Image, options: ImageViewOptions = {}): Snapshot[] {
  const name = `${image.namespace === "" ? "" : `${image.namespace}/`}${image.name}`;
  const topKey = image.snapshotKeys.at(-1);
  if (topKey === undefined) {
    throw new CrifsError(
      "not-found",
      `cannot read the root of image "${name}": crifs knows none of its layers`,
      {
        ...(image.readError === undefined ? {} : { path: image.readError.path }),
        remedy:
          image.readError === undefined
            ? "the image is not unpacked (ctr images unpack, or run a container from it)"
            : `its metadata could not be read (${image.readError.message}): run crifs doctor`,
      },
    );
  }
  const top = store.snapshots.find(
    (s) => s.namespace === image.namespace && s.key === topKey && overlaySnapshotters.includes(s.snapshotter),
  );
  if (top === undefined) {
    throw new CrifsError(
      "not-found",
      `cannot read the root of image "${name}": its top layer "${topKey}" is in no overlay snapshotter`,
      {
        remedy: "the image is not unpacked here (ctr images unpack), or crifs doctor names the missing layer",
      },
    );
  }
  const index = options.index ?? new SnapshotIndex(store.snapshots);
  planMount(top, index, { indexOff: false, userxattr: false }); // throws on a dangling parent or a cycle
  return [top, ...index.chain(top).parents];
}

/**
 * The merged root of `image` (an OverlayView over imageLayers, top first, every layer immutable). Cost:
 * metadata plus one lstat per layer; throws CrifsError (not-found) when a layer dir is missing.
 */
export function imageView(store: Store, image: Image, options: ImageViewOptions = {}): OverlayView {
  const layers = imageLayers(store, image, options);
  return new OverlayView(
    layers.map((s) => s.path),
    { opaqueXattrs: "trusted", immutable: layers.map(() => true) },
  );
}
