// links/broken-links.ts — the symlinks of a container's merged root that lead nowhere inside the container.
//
//   symlinks of each layer dir (scanTrees, once per layer) ──► per container view:
//     lookup(path) is that very layer's link?   no ──► hidden (whited out, shadowed, under an opaque dir)
//     resolve(path) inside the view              ok ──► fine
//                                                 ENOENT / ENOTDIR / ELOOP ──► broken
//
// This is the JS resolver, by lstat through the view; with the native addon and every layer's name index,
// the same rules run in C (native-links.ts, native/link-index.c) and findBrokenLinks takes that way.
//
// Every symlink of the merged tree is the link of exactly one layer, so the layers' symlinks cover the view
// without walking the merged tree. Targets resolve inside the container root (resolveInRoot: absolute
// targets restart at the container's /, 40 hops at most); the host is only asked, by lstat, whether the
// target exists THERE: a link that works on the build host and not in the image.
//
// What the view cannot see: mounts the runtime adds at run time (/proc, /sys, /dev, /run, bind mounts; the
// destinations of the OCI spec's mounts). A link that lies under one of them, or whose resolution fails at
// or below one, or ends strictly below one, is not judged (`/etc/mtab -> ../proc/self/mounts` works in every container): it is
// listed apart, with the mount point, instead of as broken.

import { lstatSync } from "node:fs";
import { posix } from "node:path";
import { fsPath } from "../fs/name-codec.js";
import type { ResolveError, ResolveResult } from "../fs/resolve-in-root.js";
import { type LinkIndex, loadNativeScanner, type PathSpans } from "../fs/walk-native.js";
import { type ContainerView, mountPointOf } from "./container-view.js";
import { judgeViewsNatively } from "./native-links.js";

/** A symlink as found in a layer dir. */
export interface LayerSymlink {
  /** Path inside the layer, "/"-rooted (the link's path in the container). */
  readonly rel: string;
  readonly target: string;
}

/** Where a link file lives. */
export interface LinkLayer {
  /** Position in the container's layer stack, 0 = top (the container's own snapshot). */
  readonly index: number;
  readonly key: string;
  readonly id: string;
  /** Host path of the link file itself. */
  readonly hostPath: string;
}

export interface BrokenLink {
  readonly namespace: string;
  readonly container: string;
  /** The link's path in the container. */
  readonly path: string;
  /** Its target, as stored. */
  readonly target: string;
  readonly layer: LinkLayer;
  /** Why the container's kernel would fail to follow it. */
  readonly reason: ResolveError;
  /** Where resolution stopped: the missing path (ENOENT), the non-dir (ENOTDIR), the 41st link (ELOOP). */
  readonly at: string;
  /** The target, read as a host path (relative ones from the link's dir), exists on the host. */
  readonly isHostOnly: boolean;
  /** The link comes from an image layer, not from what the container wrote. */
  readonly isInLowerLayer: boolean;
}

/** Container paths to judge: a Set, or a Map keyed by them (doctor's candidates, passed as they are). */
export interface PathSet {
  has(path: string): boolean;
  keys(): Iterable<string>;
  /** The same paths as spans of Buffers, where the set has them so (the native resolver hashes them there,
   * no string made of each). */
  spans?(): PathSpans;
}

/** Options of findBrokenLinks. */
export interface BrokenLinkOptions {
  /** Whether a host path exists, not following its last component. Default: lstat on this host. */
  hostHas?: (hostPath: string) => boolean;
  /** Judge only the links at these container paths (the others are neither counted nor resolved). */
  only?: PathSet;
  /**
   * The native scan's name index of a layer dir (scanTrees with linkIndex). When every layer of the view has
   * one, the links are judged over the indexes in C (no lstat per name); else through the view. Default: none.
   */
  indexOf?: (layerDir: string) => LinkIndex | undefined;
}

/** lstat on the host: true when the name exists, even as a dangling link. Never follows the last component.
 * With the native addon: one lstat and no Stats object (doctor asks it for every broken link, twice). */
export function hostHas(hostPath: string): boolean {
  const kind = loadNativeScanner().scanner?.kind;
  if (kind !== undefined) return kind(fsPath(hostPath)) > 0; // 0: absent; < 0: an error, not there to use
  try {
    return lstatSync(fsPath(hostPath), { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false; // ENOTDIR, EACCES…: not there as far as anyone can use it
  }
}

/** The target read as a path on the host: absolute as is, relative from the link's dir. Pure. */
export function hostTargetPath(linkPath: string, target: string): string {
  return posix.resolve(posix.dirname(linkPath), target);
}

/** A link that leads into a runtime mount: only the running container can say whether it works. */
export interface LinkIntoMount {
  readonly namespace: string;
  readonly container: string;
  readonly path: string;
  readonly target: string;
  readonly layer: LinkLayer;
  /** The spec mount's destination the resolution reached. */
  readonly mountPoint: string;
}

/** What findBrokenLinks found in one container. */
export interface ContainerLinks {
  /** Symlinks the merged tree shows (layer links not hidden by a whiteout, an opaque dir or a name above). */
  readonly visible: number;
  /** Sorted by path. */
  readonly broken: BrokenLink[];
  /** Links resolving into a runtime mount, not judged. Sorted by path. */
  readonly intoMounts: LinkIntoMount[];
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * The runtime mount point that decides whether the link at `linkPath` works, given its resolution in the
 * image, or null when the image alone decides: a link at or below a mount point is itself covered by the
 * mount; a target strictly below one is hidden by it; a failure at or below one is the image lacking what
 * the runtime puts there. Pure.
 */
export function mountPointReached(
  mountPoints: readonly string[],
  linkPath: string,
  r: ResolveResult<unknown>,
): string | null {
  const own = mountPointOf(mountPoints, linkPath);
  if (own !== null) return own;
  if (!r.ok) return mountPointOf(mountPoints, r.at);
  const mp = mountPointOf(mountPoints, r.path);
  return mp === r.path ? null : mp;
}

/** A link of a layer to judge, and the layer's position in the view (0 = top). */
interface Candidate {
  readonly link: LayerSymlink;
  readonly index: number;
}

/** The links of the view's layers that `options.only` keeps, layer by layer, top first. */
function candidates(
  view: ContainerView,
  symlinksByLayer: ReadonlyMap<string, readonly LayerSymlink[]>,
  only: PathSet | undefined,
): Candidate[] {
  const out: Candidate[] = [];
  view.layers.forEach((dir, index) => {
    for (const link of symlinksByLayer.get(dir) ?? []) {
      if (link.rel === "/" || link.rel === "") continue; // a layer root that is a link is not a layer
      if (only !== undefined && !only.has(link.rel)) continue;
      out.push({ link, index });
    }
  });
  return out;
}

/**
 * The symlinks of `view` and the broken ones among them, given each layer's symlinks (keyed by layer dir,
 * as in view.layers). A layer link hidden in the merged tree is skipped. Cost per link: with every layer's
 * native index (options.indexOf), a few hash probes per path component and no system call but one xattr read
 * per merged dir; else one lookup and one resolve in the view (a few lstats per path component). Plus one
 * host lstat per broken link.
 */
export function findBrokenLinks(
  view: ContainerView,
  symlinksByLayer: ReadonlyMap<string, readonly LayerSymlink[]>,
  options: BrokenLinkOptions = {},
): ContainerLinks {
  const has = options.hostHas ?? hostHas;
  if (options.indexOf !== undefined) {
    const only = options.only;
    const [native] = judgeViewsNatively([view], {
      indexOf: options.indexOf,
      ...(only === undefined ? {} : { only: () => only }),
      ...(options.hostHas === undefined
        ? {}
        : { isHostOnly: (path: string, target: string) => has(hostTargetPath(path, target)) }),
    });
    if (native !== null && native !== undefined) {
      const broken: BrokenLink[] = [];
      for (let i = 0; i < native.broken.length; i++) broken.push(native.broken.get(i));
      return { visible: native.visible, broken, intoMounts: native.intoMounts };
    }
  }
  return findBrokenLinksInJs(view, symlinksByLayer, has, options.only);
}

/** findBrokenLinks through the view: one lookup and one resolve per link (lstats). */
function findBrokenLinksInJs(
  view: ContainerView,
  symlinksByLayer: ReadonlyMap<string, readonly LayerSymlink[]>,
  has: (hostPath: string) => boolean,
  only: PathSet | undefined,
): ContainerLinks {
  const out: BrokenLink[] = [];
  const intoMounts: LinkIntoMount[] = [];
  let visible = 0;
  for (const { link, index } of candidates(view, symlinksByLayer, only)) {
    const entry = view.lookup(link.rel);
    if (entry === null || entry.layerIndex !== index || entry.kind !== "symlink") continue;
    const r: ResolveResult<unknown> = view.resolve(link.rel);
    visible++;
    const mountPoint = mountPointReached(view.mountPoints, link.rel, r);
    if (r.ok && mountPoint === null) continue;
    const snapshot = view.snapshots[index];
    const dir = view.layers[index] as string;
    // the entry's host path: its layer dir and its path (canonical, so a concatenation is the join)
    const layer = { index, key: snapshot?.key ?? "", id: snapshot?.id ?? "", hostPath: `${dir}${link.rel}` };
    const { namespace, id } = view.container;
    // object literals, not spreads of a shared part: a spread costs microseconds, and a bad image has 10^5
    if (mountPoint !== null) {
      intoMounts.push({ namespace, container: id, path: link.rel, target: link.target, layer, mountPoint });
    } else if (!r.ok) {
      out.push({
        namespace,
        container: id,
        path: link.rel,
        target: link.target,
        layer,
        reason: r.error,
        at: r.at,
        isHostOnly: has(hostTargetPath(link.rel, link.target)),
        isInLowerLayer: !view.isUpper(index),
      });
    }
  }
  return { visible, broken: out.sort(byPath), intoMounts: intoMounts.sort(byPath) };
}
