// links/native-links.ts — the links of container views judged in C over the scan's name indexes
// (native/link-index.c resolveViews), read back without an object per link.
//
//   views ──► resolveViews(every view at once) ──► per view: visible count, rows (10 × u32 a link), `at` bytes
//   a row's path and target: byte ranges of linkText(index) (the index's own arena, not a copy)
//   rows into a mount point ──► LinkIntoMount objects (a few per container)
//   broken rows ──► NativeLinkRows: strings decoded only when a renderer asks for them
//
// One call judges every view (each view's links shared among threads), so a link many containers see has its
// host lstat done once.

import { availableParallelism } from "node:os";
import { decodeName, fsPath } from "../fs/name-codec.js";
import type { ResolveError } from "../fs/resolve-in-root.js";
import {
  type LinkIndex,
  loadNativeScanner,
  type NativeScanner,
  type NativeView,
  type PathSpans,
} from "../fs/walk-native.js";
import type { BrokenLinkRows, LinkPaths } from "./broken-link-rows.js";
import type { BrokenLink, LinkIntoMount, LinkLayer, PathSet } from "./broken-links.js";
import type { ContainerView } from "./container-view.js";

/** A row's fields (native/link-index.c F_*). */
const F_LAYER = 0;
const F_CODE = 1;
const F_MOUNT = 2;
const F_HOST = 3;
const F_REL = 4;
const F_RELLEN = 5;
const F_TLEN = 6;
const F_AT = 7;
const F_ATLEN = 8;
const F_FLAGS = 9;
const FIELDS = 10;
/** F_FLAGS bits (FL_*): ASCII decodes as latin1; PLAIN is printable ASCII without "\". */
const FL_REL_ASCII = 1;
const FL_REL_PLAIN = 2;
const FL_TARGET_ASCII = 4;
const FL_TARGET_PLAIN = 8;
const FL_AT_ASCII = 16;

const reasons: readonly (ResolveError | undefined)[] = [undefined, undefined, "ENOENT", "ENOTDIR", "ELOOP"];
const opaqueCodes = { either: 0, trusted: 1, user: 2 } as const;

/** What the native resolver found in one container view. */
export interface NativeViewLinks {
  /** Symlinks the merged tree shows (of those judged). */
  readonly visible: number;
  /** Sorted by path. */
  readonly broken: BrokenLinkRows;
  /** Sorted by path. */
  readonly intoMounts: LinkIntoMount[];
}

/** Options of judgeViewsNatively. */
export interface NativeJudgeOptions {
  /** The scan's name index of a layer dir. */
  indexOf: (layerDir: string) => LinkIndex | undefined;
  /** Per view: judge only the links at these paths. Default: every link. */
  only?: (view: ContainerView) => PathSet | undefined;
  /** Whether a broken link's target exists on the host, given its path and target; default: lstat in C;
   * false: not asked (every isHostOnly false: doctor's first read, whose links are only candidates). */
  isHostOnly?: ((path: string, target: string) => boolean) | false;
  /** Threads a view's links are shared among. Default: the CPUs available, at most 8. */
  threads?: number;
}

type Resolver = Required<Pick<NativeScanner, "resolveViews" | "linkText">>;

/** The addon's resolver, or null (no addon, an older one, or CRIFS_ENGINE=js). */
export function nativeLinkResolver(): Resolver | null {
  if (process.env.CRIFS_ENGINE === "js") return null;
  const s = loadNativeScanner().scanner;
  return s?.resolveViews !== undefined && s.linkText !== undefined ? (s as Resolver) : null;
}

const texts = new WeakMap<object, Buffer>();

function textOf(resolver: Resolver, index: object): Buffer {
  let t = texts.get(index);
  if (t === undefined) {
    t = resolver.linkText(index);
    texts.set(index, t);
  }
  return t;
}

/** The string of bytes buf[start, start + len): latin1 when they are ASCII, else decodeName's. */
function textAt(buf: Buffer, start: number, len: number, ascii: boolean): string {
  return ascii ? buf.toString("latin1", start, start + len) : decodeName(buf.subarray(start, start + len));
}

/** The paths of `set` as resolveViews takes them. A loop, not Array.from(keys, fsPath): that one left ~17 MB
 * of garbage on the heap for doctor's 255,324 candidates, just before the resolver's own peak. */
function pathList(set: PathSet): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  for (const path of set.keys()) out.push(fsPath(path));
  return out;
}

/**
 * Judges every link of each view's layers natively; per view its findings, or null when the native resolver
 * cannot (no addon, or a layer without a whole index: resolve that view in JS). Cost: a few hash probes per
 * path component of each link (merged dirs are merged once per view), one xattr read per merged dir, one host
 * lstat per broken link.
 */
export function judgeViewsNatively(
  views: readonly ContainerView[],
  options: NativeJudgeOptions,
): (NativeViewLinks | null)[] {
  const resolver = nativeLinkResolver();
  if (resolver === null) return views.map(() => null);
  const specs: NativeView[] = [];
  const judged: number[] = [];
  const layerIndexes: LinkIndex[][] = [];
  views.forEach((view, i) => {
    const indexes: LinkIndex[] = [];
    for (const dir of view.layers) {
      const ix = options.indexOf(dir);
      if (ix === undefined) return;
      indexes.push(ix);
    }
    const only = options.only?.(view);
    judged.push(i);
    layerIndexes.push(indexes);
    specs.push({
      indexes: indexes.map((x) => x.index),
      trees: Uint32Array.from(indexes, (x) => x.tree),
      dirs: view.layers.map(fsPath),
      opaque: opaqueCodes[view.opaqueXattrs],
      mountPoints: view.mountPoints.map(fsPath),
      only: only === undefined ? null : (only.spans?.() ?? pathList(only)),
    });
  });
  const out: (NativeViewLinks | null)[] = views.map(() => null);
  const threads = options.threads ?? Math.min(availableParallelism(), 8);
  const found =
    specs.length === 0 ? [] : resolver.resolveViews(specs, options.isHostOnly === undefined, threads);
  const isHostOnly = options.isHostOnly === false ? undefined : options.isHostOnly;
  judged.forEach((viewIndex, k) => {
    const r = found[k];
    const view = views[viewIndex] as ContainerView;
    if (r === null || r === undefined) return;
    const layerTexts = (layerIndexes[k] as LinkIndex[]).map((x) => textOf(resolver, x.index));
    const rows = new NativeLinkRows(view, r.rows, r.at, layerTexts);
    const intoMounts: LinkIntoMount[] = [];
    const broken: number[] = [];
    for (let j = 0; j < r.rows.length / FIELDS; j++) {
      const mount = r.rows[j * FIELDS + F_MOUNT] as number;
      if (mount === 0) broken.push(j);
      else
        intoMounts.push({
          namespace: view.container.namespace,
          container: view.container.id,
          path: rows.rowPath(j),
          target: rows.rowTarget(j),
          layer: rows.rowLayer(j),
          mountPoint: view.mountPoints[mount - 1] as string,
        });
    }
    rows.pick(Uint32Array.from(broken), isHostOnly);
    out[viewIndex] = { visible: r.visible, broken: rows, intoMounts };
  });
  return out;
}

/** The broken links of one view as resolveViews packed them (BrokenLinkRows over the rows pick() keeps). */
class NativeLinkRows implements BrokenLinkRows {
  readonly namespace: string;
  readonly container: string;
  readonly #view: ContainerView;
  readonly #rows: Uint32Array;
  readonly #at: Buffer;
  readonly #texts: readonly Buffer[];
  /** Per layer: its snapshot's id, and whether it is an image layer. */
  readonly #layerIds: readonly string[];
  readonly #isLower: readonly boolean[];
  #pick: Uint32Array = new Uint32Array(0);
  /** With a host test of the caller's, its answers (1 there); else the rows' F_HOST. */
  #host: Uint8Array | null = null;

  constructor(view: ContainerView, rows: Uint32Array, at: Buffer, texts: readonly Buffer[]) {
    this.namespace = view.container.namespace;
    this.container = view.container.id;
    this.#view = view;
    this.#rows = rows;
    this.#at = at;
    this.#texts = texts;
    this.#layerIds = view.layers.map((_, i) => view.snapshots[i]?.id ?? "");
    this.#isLower = view.layers.map((_, i) => !view.isUpper(i));
  }

  /** Keeps rows `picked` (in that order) as this list's links; isHostOnly: the caller's host test. */
  pick(picked: Uint32Array, isHostOnly: ((path: string, target: string) => boolean) | undefined): void {
    this.#pick = picked;
    if (isHostOnly !== undefined) {
      this.#host = new Uint8Array(picked.length);
      for (let i = 0; i < picked.length; i++)
        this.#host[i] = isHostOnly(this.path(i), this.target(i)) ? 1 : 0;
    }
  }

  get length(): number {
    return this.#pick.length;
  }

  /** The picked rows' paths as spans of the layers' link texts (what resolveViews takes as `only`). */
  pathSpans(): PathSpans {
    const spans = new Uint32Array(this.#pick.length * 3);
    for (let i = 0; i < this.#pick.length; i++) {
      const r = this.#row(i);
      spans[3 * i] = this.#rows[r + F_LAYER] as number;
      spans[3 * i + 1] = this.#rows[r + F_REL] as number;
      spans[3 * i + 2] = this.#rows[r + F_RELLEN] as number;
    }
    return { texts: this.#texts, spans };
  }

  /** The picked rows' paths and layers, 12 bytes a link over the layers' link texts: not the rows (40 bytes
   * a row, broken or not) nor the `at` bytes. */
  paths(): LinkPaths {
    const { texts, spans } = this.pathSpans();
    const ascii = new Uint8Array(this.#pick.length);
    for (let i = 0; i < ascii.length; i++)
      ascii[i] = ((this.#rows[this.#row(i) + F_FLAGS] as number) & FL_REL_ASCII) !== 0 ? 1 : 0;
    const layerIds = this.#layerIds;
    return {
      namespace: this.namespace,
      container: this.container,
      length: ascii.length,
      path: (i) =>
        textAt(
          texts[spans[3 * i] as number] as Buffer,
          spans[3 * i + 1] as number,
          spans[3 * i + 2] as number,
          ascii[i] === 1,
        ),
      layerId: (i) => layerIds[spans[3 * i] as number] ?? "",
      pathSpans: () => ({ texts, spans }),
    };
  }

  #row(i: number): number {
    return (this.#pick[i] as number) * FIELDS;
  }

  rowPath(j: number): string {
    const r = j * FIELDS;
    const rows = this.#rows;
    const text = this.#texts[rows[r + F_LAYER] as number] as Buffer;
    return textAt(
      text,
      rows[r + F_REL] as number,
      rows[r + F_RELLEN] as number,
      ((rows[r + F_FLAGS] as number) & FL_REL_ASCII) !== 0,
    );
  }

  rowTarget(j: number): string {
    const r = j * FIELDS;
    const rows = this.#rows;
    const text = this.#texts[rows[r + F_LAYER] as number] as Buffer;
    return textAt(
      text,
      (rows[r + F_REL] as number) + (rows[r + F_RELLEN] as number),
      rows[r + F_TLEN] as number,
      ((rows[r + F_FLAGS] as number) & FL_TARGET_ASCII) !== 0,
    );
  }

  rowLayer(j: number): LinkLayer {
    const index = this.#rows[j * FIELDS + F_LAYER] as number;
    const snapshot = this.#view.snapshots[index];
    // the entry's host path: its layer dir and its path (canonical, so a concatenation is the join)
    return {
      index,
      key: snapshot?.key ?? "",
      id: snapshot?.id ?? "",
      hostPath: `${this.#view.layers[index]}${this.rowPath(j)}`,
    };
  }

  path(i: number): string {
    return this.rowPath(this.#pick[i] as number);
  }

  hostPath(i: number): string {
    // canonical, so a concatenation is the join
    return `${this.hostDir(i)}${this.path(i)}`;
  }

  hostDir(i: number): string {
    return this.#view.layers[this.#rows[this.#row(i) + F_LAYER] as number] as string;
  }

  target(i: number): string {
    return this.rowTarget(this.#pick[i] as number);
  }

  reason(i: number): ResolveError {
    return reasons[this.#rows[this.#row(i) + F_CODE] as number] ?? "ENOENT";
  }

  at(i: number): string {
    const r = this.#row(i);
    const rows = this.#rows;
    return textAt(
      this.#at,
      rows[r + F_AT] as number,
      rows[r + F_ATLEN] as number,
      ((rows[r + F_FLAGS] as number) & FL_AT_ASCII) !== 0,
    );
  }

  layer(i: number): number {
    return this.#rows[this.#row(i) + F_LAYER] as number;
  }

  layerId(i: number): string {
    return this.#layerIds[this.layer(i)] ?? "";
  }

  isInLowerLayer(i: number): boolean {
    return this.#isLower[this.layer(i)] ?? true;
  }

  isHostOnly(i: number): boolean {
    return this.#host !== null ? this.#host[i] === 1 : this.#rows[this.#row(i) + F_HOST] === 1;
  }

  isPlainPath(i: number): boolean {
    return ((this.#rows[this.#row(i) + F_FLAGS] as number) & FL_REL_PLAIN) !== 0;
  }

  isPlainTarget(i: number): boolean {
    return ((this.#rows[this.#row(i) + F_FLAGS] as number) & FL_TARGET_PLAIN) !== 0;
  }

  plainPathLength(i: number): number {
    return this.#rows[this.#row(i) + F_RELLEN] as number;
  }

  plainTargetLength(i: number): number {
    return this.#rows[this.#row(i) + F_TLEN] as number;
  }

  get(i: number): BrokenLink {
    const j = this.#pick[i] as number;
    return {
      namespace: this.namespace,
      container: this.container,
      path: this.rowPath(j),
      target: this.rowTarget(j),
      layer: this.rowLayer(j),
      reason: this.reason(i),
      at: this.at(i),
      isHostOnly: this.isHostOnly(i),
      isInLowerLayer: this.isInLowerLayer(i),
    };
  }
}
