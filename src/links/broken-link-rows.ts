// links/broken-link-rows.ts — one container's broken symlinks as rows read one field at a time.
//
// A bad image has 10^5 broken links; the table `crifs links` prints needs a few strings of each, not an object
// graph per link. BrokenLinkRows is what the readers give and the renderers take:
//
//   native resolver (native-links.ts)  packed rows over the scan's bytes: strings decoded when asked
//   JS resolver (broken-links.ts)      BrokenLink objects already made: arrayRows wraps them
//
// get(i) makes the BrokenLink of the docs' JSON contract (docs/json.md#links) for whoever wants objects.

import type { ResolveError } from "../fs/resolve-in-root.js";
import type { PathSpans } from "../fs/walk-native.js";
import { isPlainText } from "../model/text.js";
import type { BrokenLink } from "./broken-links.js";

/** The broken links of one container, sorted by path (code-unit order). */
export interface BrokenLinkRows {
  readonly namespace: string;
  readonly container: string;
  readonly length: number;
  /** The link's path in the container. */
  path(i: number): string;
  /** Its target, as stored. */
  target(i: number): string;
  reason(i: number): ResolveError;
  /** Where resolution stopped. */
  at(i: number): string;
  /** Its layer's position in the container's stack, 0 = top. */
  layer(i: number): number;
  /** Its layer's snapshot id. */
  layerId(i: number): string;
  /** The host path of the link file: its layer dir and path (get(i).layer.hostPath, without the object). */
  hostPath(i: number): string;
  /** Its layer dir on the host: hostPath(i) is hostDir(i) + path(i) (so a caller with path(i) decodes no more). */
  hostDir(i: number): string;
  isInLowerLayer(i: number): boolean;
  isHostOnly(i: number): boolean;
  /** path(i) is printable ASCII without "\": terminalSafe leaves it as it is, and it is as wide as it is long. */
  isPlainPath(i: number): boolean;
  /** target(i) is printable ASCII without "\". */
  isPlainTarget(i: number): boolean;
  /** The path's length when isPlainPath, without making the string. */
  plainPathLength(i: number): number;
  /** The target's length when isPlainTarget, without making the string. */
  plainTargetLength(i: number): number;
  /** Link i as an object. */
  get(i: number): BrokenLink;
  /** Every row's path as a span of a Buffer, where the rows lie in Buffers (the native resolver's). */
  pathSpans?(): PathSpans;
  /** The rows' paths and layers alone, in as little memory as the rows can keep them (doctor's candidates). */
  paths?(): LinkPaths;
}

/** Where a container's links are: path and layer id of each, sorted by path. */
export type LinkPaths = Pick<
  BrokenLinkRows,
  "namespace" | "container" | "length" | "path" | "layerId" | "pathSpans"
>;

/** Rows over BrokenLink objects of one container, sorted by path (the JS resolver's findings). */
export function arrayRows(
  namespace: string,
  container: string,
  links: readonly BrokenLink[],
): BrokenLinkRows {
  const at = (i: number) => links[i] as BrokenLink;
  return {
    namespace,
    container,
    length: links.length,
    path: (i) => at(i).path,
    target: (i) => at(i).target,
    reason: (i) => at(i).reason,
    at: (i) => at(i).at,
    layer: (i) => at(i).layer.index,
    layerId: (i) => at(i).layer.id,
    hostPath: (i) => at(i).layer.hostPath,
    // the host path is the layer dir and the path, concatenated (broken-links.ts)
    hostDir: (i) => {
      const b = at(i);
      return b.layer.hostPath.slice(0, b.layer.hostPath.length - b.path.length);
    },
    isInLowerLayer: (i) => at(i).isInLowerLayer,
    isHostOnly: (i) => at(i).isHostOnly,
    isPlainPath: (i) => isPlainText(at(i).path),
    isPlainTarget: (i) => isPlainText(at(i).target),
    plainPathLength: (i) => at(i).path.length,
    plainTargetLength: (i) => at(i).target.length,
    get: at,
  };
}

/** The rows of `rows` at positions `picked`, in that order (a subset that makes no object per row). */
export function pickedRows(rows: BrokenLinkRows, picked: Uint32Array): BrokenLinkRows {
  const j = (i: number) => picked[i] as number;
  return {
    namespace: rows.namespace,
    container: rows.container,
    length: picked.length,
    path: (i) => rows.path(j(i)),
    target: (i) => rows.target(j(i)),
    reason: (i) => rows.reason(j(i)),
    at: (i) => rows.at(j(i)),
    layer: (i) => rows.layer(j(i)),
    layerId: (i) => rows.layerId(j(i)),
    hostPath: (i) => rows.hostPath(j(i)),
    hostDir: (i) => rows.hostDir(j(i)),
    isInLowerLayer: (i) => rows.isInLowerLayer(j(i)),
    isHostOnly: (i) => rows.isHostOnly(j(i)),
    isPlainPath: (i) => rows.isPlainPath(j(i)),
    isPlainTarget: (i) => rows.isPlainTarget(j(i)),
    plainPathLength: (i) => rows.plainPathLength(j(i)),
    plainTargetLength: (i) => rows.plainTargetLength(j(i)),
    get: (i) => rows.get(j(i)),
  };
}

/** Every row's object, in order. */
export function* brokenLinksOf(parts: Iterable<BrokenLinkRows>): Generator<BrokenLink> {
  for (const p of parts) for (let i = 0; i < p.length; i++) yield p.get(i);
}
