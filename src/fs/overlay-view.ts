// overlay-view.ts — the merged view of an overlay layer stack, computed from the layer dirs with
// lstat/readdir/lgetxattr, without mounting anything.
//
//   layers[0]   upper dir (when there is one)      ┐ top first: the order of overlay's
//   layers[1]   lowerdir nearest the container     │ upperdir followed by its lowerdir list
//   …                                              │
//   layers[n-1] the base image layer               ┘
//
// The rules, as the kernel applies them (fs/overlayfs/namei.c, readdir.c; checked in overlay-view.test.ts
// against a real mount):
// - a name is taken from the topmost layer that has it; a whiteout (char device 0:0) there means the name
//   is gone, in that layer and all below;
// - only dirs merge: the topmost dir merges with the same-named dirs below it until a layer has a non-dir,
//   a whiteout or an opaque dir (overlay.opaque="y", which still merges itself) there; a dir below a
//   non-dir is never merged;
// - the root merges every layer: the kernel ignores an opaque xattr on a layer's root dir;
// - a whiteout is never listed here. The kernel does list whiteouts found in a dir that is not merged
//   (in one layer only), as names that lstat says do not exist; this view leaves those ghosts out.
// Not handled (off in the kernels and runtimes crifs targets): redirect_dir (overlay.redirect), metacopy,
// and xattr whiteouts (a zero-size file with overlay.whiteout, in a dir with overlay.opaque="x").
// Names are bytes (fs/name-codec.ts): a name or link target that is not valid UTF-8 is carried in decodeName's
// form (U+DC80+byte per stray byte) and every host call gets fsPath() of its path, so such a name is listed,
// looked up, stat'ed and read like any other.

import {
  closeSync,
  constants,
  type Dir,
  type Dirent,
  lstatSync,
  opendirSync,
  openSync,
  readFileSync,
  type Stats,
} from "node:fs";
import { isAbsolute, join } from "node:path";
import { CrifsError, errnoWords, fromFsError } from "../errors.js";
import { decodeName, fsPath } from "./name-codec.js";
import { type LayerKind, pathKind } from "./path-kind.js";
import { direntName, readDirents, readLinkExact } from "./read-exact.js";
import {
  assertComponent,
  type EntryKind,
  entryKind,
  type HostEntry,
  type ResolveOptions,
  type ResolveResult,
  type RootTree,
  resolveInRoot,
} from "./resolve-in-root.js";
import { isOpaqueDir, isWhiteout, type OverlayXattrs } from "./xattr.js";

/** One entry of the merged tree. */
export interface OverlayEntry extends HostEntry {
  /** The layer that provides it: an index into OverlayView.layers (0 = top). */
  readonly layerIndex: number;
  /** For a dir: the layers whose same-named dirs merge into it, top first. For a non-dir: [layerIndex]. */
  readonly mergedLayers: readonly number[];
}

/** One name in a merged directory listing. */
export interface OverlayDirent {
  readonly name: string;
  readonly kind: EntryKind;
  /** The layer the name comes from (0 = top). */
  readonly layerIndex: number;
}

/** Options of the OverlayView constructor. */
export interface OverlayViewOptions {
  /**
   * Per layer (same order as `layers`): true when the layer never changes (a committed snapshot). What
   * such a layer holds at a path is remembered for the whole process and shared by every view over it,
   * so that many containers on the same image, and doctor's second read, ask the disk once.
   */
  immutable?: readonly boolean[];
  /**
   * Which overlay.opaque xattr counts: "trusted" (a default mount), "user" (mounted with userxattr),
   * or "either". Default "either".
   */
  opaqueXattrs?: OverlayXattrs;
}

/** What one layer holds at a name, before the rules are applied. */
interface Probe {
  readonly kind: LayerKind;
  /** lstat of the name, when already known. */
  readonly stats?: Stats;
  /** The kind comes from lstat (now or remembered), not from a listing's d_type. */
  readonly known?: boolean;
}

function lstatOrNull(hostPath: string): Stats | null {
  try {
    // throwIfNoEntry: an absent name is the common answer, and a thrown error costs several times the lstat
    return lstatSync(fsPath(hostPath), { throwIfNoEntry: false }) ?? null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw fromFsError(err, hostPath, "stat");
  }
}

/** What one immutable layer holds, learnt by any view over it: the kind at each path looked up (null:
 * absent), opaque-xattr answers and link targets. Valid while the layer dir keeps its dev/ino/ctime (a
 * removed and re-made dir gets a new inode). Kinds only, no Stats: a memo of a big image stays small. */
interface LayerMemo {
  readonly stamp: string;
  readonly kinds: Map<string, LayerKind | null>;
  readonly opaque: Map<string, boolean>;
  readonly targets: Map<string, string>;
}

const layerMemos = new Map<string, LayerMemo>();

function layerMemo(dir: string, st: Stats): LayerMemo {
  const stamp = `${st.dev}:${st.ino}:${st.ctimeMs}`;
  const known = layerMemos.get(dir);
  if (known !== undefined && known.stamp === stamp) return known;
  const memo = { stamp, kinds: new Map(), opaque: new Map(), targets: new Map() };
  layerMemos.set(dir, memo);
  return memo;
}

/** One shared answer per kind: lookups allocate no probe. */
const knownProbes: Readonly<Record<LayerKind, Probe>> = {
  file: { kind: "file", known: true },
  dir: { kind: "dir", known: true },
  symlink: { kind: "symlink", known: true },
  other: { kind: "other", known: true },
  whiteout: { kind: "whiteout", known: true },
};

/**
 * One entry of a view. Its host path and lstat are worked out when asked for: resolving thousands of
 * links needs only kinds, and a view holds many entries.
 */
class MergedEntry implements OverlayEntry {
  readonly kind: EntryKind;
  readonly path: string;
  readonly layerIndex: number;
  readonly mergedLayers: readonly number[];
  readonly #layerDir: string;
  #stats: Stats | undefined;
  /** For a dir: the view it belongs to and its children looked up so far (name → entry, null: absent). */
  readonly view: OverlayView | undefined;
  children: Map<string, OverlayEntry | null> | undefined;

  constructor(
    view: OverlayView,
    layerDir: string,
    kind: EntryKind,
    path: string,
    layerIndex: number,
    mergedLayers: readonly number[],
    stats?: Stats,
  ) {
    this.view = kind === "dir" ? view : undefined;
    this.#layerDir = layerDir;
    this.kind = kind;
    this.path = path;
    this.layerIndex = layerIndex;
    this.mergedLayers = mergedLayers;
    this.#stats = stats;
  }

  get hostPath(): string {
    // paths are canonical ("/a/b") and layer dirs have no trailing slash: a concatenation is the join
    return this.path === "/" ? this.#layerDir : `${this.#layerDir}${this.path}`;
  }

  /** lstat of hostPath (taken on first use; throws CrifsError when the file has gone since). */
  get stats(): Stats {
    if (this.#stats === undefined) {
      const st = lstatOrNull(this.hostPath);
      if (st === null)
        throw new CrifsError(
          "not-found",
          "cannot stat: no such file or directory (removed since it was looked up)",
          {
            path: this.hostPath,
          },
        );
      this.#stats = st;
    }
    return this.#stats;
  }
}

/** Names per sorted run of OverlayView.entryBatches: dirs up to this size are listed sorted, whole. */
export const streamRun = 50_000;

/** A name listed by entryBatches, before its entry is made. */
interface Listed {
  readonly name: string;
  readonly layer: number;
  readonly probe: Probe;
}

function byName(a: Listed, b: Listed): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const dirProbe: Probe = { kind: "dir" };
const fileProbe: Probe = { kind: "file" };
const linkProbe: Probe = { kind: "symlink" };
const otherProbe: Probe = { kind: "other" };

function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

/**
 * The merged tree of an overlay layer stack, read from the layer dirs (never from a mount).
 * `layers`: absolute dirs, TOP FIRST (the upper dir when there is one, then the lowerdirs nearest parent
 * first: the order of `upperdir=` followed by `lowerdir=`). All methods are synchronous and follow no
 * host symlink; paths are container paths ("/etc/passwd").
 */
export class OverlayView implements RootTree<OverlayEntry> {
  readonly layers: readonly string[];
  readonly root: OverlayEntry;
  readonly #root: MergedEntry;
  readonly #opaqueXattrs: OverlayXattrs;
  /** Per layer: the process-wide memo of an immutable layer, or null. */
  readonly #memos: readonly (LayerMemo | null)[];

  /** Cost: one lstat per layer. Throws CrifsError when a layer is not an absolute path to a dir. */
  constructor(layers: readonly string[], options: OverlayViewOptions = {}) {
    if (layers.length === 0) throw new CrifsError("usage", "cannot build an overlay view: no layers given");
    const stamps: Stats[] = [];
    for (const dir of layers) {
      if (!isAbsolute(dir)) {
        throw new CrifsError("usage", "cannot use as an overlay layer: not an absolute path", { path: dir });
      }
      const st = lstatOrNull(dir);
      if (st === null || !st.isDirectory()) {
        throw new CrifsError("not-found", "cannot use as an overlay layer: not a directory", {
          path: dir,
          remedy: "the snapshot dir is missing: run crifs doctor",
        });
      }
      stamps.push(st);
    }
    this.layers = layers.map((d) => (d.length > 1 && d.endsWith("/") ? d.replace(/\/+$/, "") || "/" : d));
    this.#memos = this.layers.map((dir, i) =>
      options.immutable?.[i] === true ? layerMemo(dir, stamps[i] as Stats) : null,
    );
    this.#opaqueXattrs = options.opaqueXattrs ?? "either";
    this.#single = this.layers.map((_, i) => [i]);
    const top = this.layers[0] as string;
    // The root merges all layers whatever their opaque xattrs say (what the kernel does).
    this.#root = new MergedEntry(
      this,
      top,
      "dir",
      "/",
      0,
      this.layers.map((_, i) => i),
      stamps[0],
    );
    this.root = this.#root;
  }

  /** Which overlay.opaque xattr counts (the constructor's opaqueXattrs). */
  get opaqueXattrs(): OverlayXattrs {
    return this.#opaqueXattrs;
  }

  /** Link targets the caller already read (a scan of the layers), by layer and path. */
  #targetsKnown: ((layer: number) => ReadonlyMap<string, string> | undefined) | undefined;

  /**
   * Tells the view the link targets a scan of its layers just read, so that resolving does not read
   * them again: `targets(i)` for layer i, a map from path in the layer to target.
   */
  useLinkTargets(targets: (layer: number) => ReadonlyMap<string, string> | undefined): void {
    this.#targetsKnown = targets;
  }

  /** [i] for each layer i: the mergedLayers of a non-dir, shared by every such entry of that layer. */
  readonly #single: readonly (readonly number[])[] = [];

  /**
   * Lets go of the answers lookups keep (a view over a big image keeps tens of thousands): call it when
   * done with the view's lookups. What immutable layers hold stays known to the process.
   */
  forgetLookups(): void {
    this.#root.children = undefined;
  }

  #hostPath(layer: number, path: string): string {
    // paths are canonical ("/a/b") and layer dirs have no trailing slash: a concatenation is the join
    return path === "/" ? (this.layers[layer] as string) : `${this.layers[layer] as string}${path}`;
  }

  /** What `layer` holds at `path` (null: absent), from the layer's memo when it is immutable. */
  #probe(layer: number, path: string): Probe | null {
    const memo = this.#memos[layer];
    const known = memo?.kinds.get(path);
    if (known !== undefined) return known === null ? null : knownProbes[known];
    const kind = pathKind(this.#hostPath(layer, path));
    memo?.kinds.set(path, kind);
    return kind === null ? null : knownProbes[kind];
  }

  /** #probe without remembering the answer: streaming a huge dir must not grow a layer's memo by its size. */
  #probeOnce(layer: number, path: string): Probe | null {
    const known = this.#memos[layer]?.kinds.get(path);
    if (known !== undefined) return known === null ? null : knownProbes[known];
    const kind = pathKind(this.#hostPath(layer, path));
    return kind === null ? null : knownProbes[kind];
  }

  /** Whether dir `path` of `layer` is opaque, from the layer's memo when it is immutable. */
  #isOpaque(layer: number, path: string): boolean {
    const memo = this.#memos[layer];
    if (memo === null || memo === undefined)
      return isOpaqueDir(this.#hostPath(layer, path), { xattrs: this.#opaqueXattrs });
    const key = `${this.#opaqueXattrs}\u0000${path}`;
    const known = memo.opaque.get(key);
    if (known !== undefined) return known;
    const opaque = isOpaqueDir(this.#hostPath(layer, path), { xattrs: this.#opaqueXattrs });
    memo.opaque.set(key, opaque);
    return opaque;
  }

  /**
   * Applies the overlay rules to name `name` of merged dir `dir`, given what each of dir's layers holds
   * there (`probe` → null when absent). Probes layers top first and stops as soon as the answer is known.
   */
  #merge(dir: OverlayEntry, name: string, probe: (layer: number) => Probe | null): OverlayEntry | null {
    const path = childPath(dir.path, name);
    const below = dir.mergedLayers;
    let top: { layer: number; probe: Probe } | undefined;
    const merged: number[] = [];
    for (let k = 0; k < below.length; k++) {
      const layer = below[k] as number;
      const p = probe(layer);
      if (p === null) continue;
      if (p.kind === "whiteout") break; // hides this name here and in every lower layer
      if (top === undefined) top = { layer, probe: p };
      if (p.kind !== "dir") break; // a non-dir hides everything below; below a dir, it ends the merge
      merged.push(layer);
      const isLast = k === below.length - 1;
      if (!isLast && this.#isOpaque(layer, path)) break;
    }
    if (top === undefined) return null;
    const mergedLayers = top.probe.kind === "dir" ? merged : (this.#single[top.layer] as number[]);
    const layerDir = this.layers[top.layer] as string;
    if (top.probe.kind === "whiteout") return null;
    if (top.probe.known === true)
      return new MergedEntry(this, layerDir, top.probe.kind, path, top.layer, mergedLayers, top.probe.stats);
    // a name from a listing: lstat it now (it may have been removed since it was listed)
    const stats = top.probe.stats ?? lstatOrNull(this.#hostPath(top.layer, path));
    if (stats === null) return null;
    return new MergedEntry(this, layerDir, entryKind(stats), path, top.layer, mergedLayers, stats);
  }

  /**
   * The entry `name` in merged dir `dir`, not following a symlink at `name`; null when absent or whited
   * out. Cost: one lstat per layer of `dir` down to the first one that settles it, plus one xattr read
   * per dir that merges with one below.
   */
  lookupChild(dir: OverlayEntry, name: string): OverlayEntry | null {
    assertComponent(name);
    if (dir.kind !== "dir") return null;
    // a view answers for one moment: resolving thousands of links walks the same dirs again and again.
    // The answers hang off the view's own dir entries (no path string built for a repeated lookup); a dir
    // entry of another view is answered without keeping anything.
    let kids: Map<string, OverlayEntry | null> | undefined;
    if (dir instanceof MergedEntry && dir.view === this) {
      dir.children ??= new Map();
      kids = dir.children;
    }
    const known = kids?.get(name);
    if (known !== undefined) return known;
    const key = childPath(dir.path, name);
    const entry = this.#merge(dir, name, (layer) => this.#probe(layer, key));
    kids?.set(name, entry);
    return entry;
  }

  /** The target of symlink `link`, as stored in its layer. Cost: one readlink. */
  readLinkTarget(link: OverlayEntry): string {
    const memo = this.#memos[link.layerIndex];
    const known = memo?.targets.get(link.path) ?? this.#targetsKnown?.(link.layerIndex)?.get(link.path);
    if (known !== undefined) return known;
    let target: string;
    try {
      target = readLinkExact(link.hostPath);
    } catch (err) {
      throw fromFsError(err, link.hostPath, "read symlink");
    }
    memo?.targets.set(link.path, target);
    return target;
  }

  /**
   * The entry at a canonical container path, looking components up WITHOUT following any symlink: a
   * symlink or file used as a dir gives null, like a missing name. "." and ".." are taken as they come
   * (".." at the root stays there). Use resolve() for paths that may cross symlinks.
   * Cost: lookupChild per component.
   */
  lookup(containerPath: string): OverlayEntry | null {
    const stack: OverlayEntry[] = [];
    let current = this.root;
    // components by index, not split(): this runs for every link of every container
    for (let i = 0, end = 0; i <= containerPath.length; i = end + 1) {
      end = containerPath.indexOf("/", i);
      if (end < 0) end = containerPath.length;
      if (end === i) continue;
      const name = containerPath.slice(i, end);
      if (name === ".") continue;
      if (name === "..") {
        stack.pop();
        current = stack.at(-1) ?? this.root;
        continue;
      }
      const child = current.kind === "dir" ? this.lookupChild(current, name) : null;
      if (child === null) return null;
      stack.push(child);
      current = child;
    }
    return current;
  }

  /**
   * Resolves `containerPath` inside the merged tree as the kernel would inside the container (see
   * resolveInRoot: absolute symlinks stay in the stack, 40 hops at most). Cost: lookupChild per component.
   */
  resolve(containerPath: string, options: ResolveOptions = {}): ResolveResult<OverlayEntry> {
    return resolveInRoot(this, containerPath, options);
  }

  /** Reads one layer dir of a merged dir; whiteouts come back as kind "whiteout". */
  #listLayer(layer: number, dirPath: string): Map<string, Probe> {
    const hostDir = this.#hostPath(layer, dirPath);
    const out = new Map<string, Probe>();
    let dirents: (Dirent | Dirent<Buffer>)[];
    try {
      dirents = readDirents(hostDir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return out; // removed since the lookup
      throw fromFsError(err, hostDir, "read directory");
    }
    for (const d of dirents) {
      const name = direntName(d);
      if (d.isCharacterDevice()) {
        // d_type cannot tell a whiteout from another char device: lstat says which (rdev 0:0).
        const stats = lstatOrNull(join(hostDir, name));
        if (stats === null) continue;
        out.set(name, { kind: isWhiteout(stats) ? "whiteout" : "other", stats });
      } else if (d.isDirectory()) out.set(name, { kind: "dir" });
      else if (d.isFile()) out.set(name, { kind: "file" });
      else if (d.isSymbolicLink()) out.set(name, { kind: "symlink" });
      else out.set(name, { kind: "other" });
    }
    return out;
  }

  /** The listings of every layer of merged dir `dir`, top first, and the sorted union of their names. */
  #listMerged(dir: OverlayEntry): { listings: Map<number, Map<string, Probe>>; names: string[] } {
    const listings = new Map<number, Map<string, Probe>>();
    const names = new Set<string>();
    for (const layer of dir.mergedLayers) {
      const listing = this.#listLayer(layer, dir.path);
      listings.set(layer, listing);
      for (const name of listing.keys()) names.add(name);
    }
    return { listings, names: [...names].sort() };
  }

  #dirOrThrow(containerPath: string, verb: string): OverlayEntry {
    const entry = this.lookup(containerPath);
    if (entry === null || entry.kind !== "dir") {
      throw new CrifsError(
        "not-found",
        `cannot ${verb} ${JSON.stringify(containerPath)} in the layer stack: ${errnoWords(entry === null ? "ENOENT" : "ENOTDIR")}`,
      );
    }
    return entry;
  }

  /**
   * The merged listing of the dir at canonical `containerPath` (no symlink followed), sorted by name
   * (UTF-16 order), each name with the layer it comes from; whiteouts and what they hide are left out.
   * Cost: one readdir per layer of the dir and one lstat per char device listed; kinds come from d_type,
   * so no per-entry lstat and no xattr read.
   */
  readdir(containerPath: string): OverlayDirent[] {
    const dir = this.#dirOrThrow(containerPath, "list");
    const { listings, names } = this.#listMerged(dir);
    const out: OverlayDirent[] = [];
    for (const name of names) {
      for (const layer of dir.mergedLayers) {
        const p = listings.get(layer)?.get(name);
        if (p === undefined) continue;
        if (p.kind !== "whiteout") out.push({ name, kind: p.kind, layerIndex: layer });
        break;
      }
    }
    return out;
  }

  /**
   * Calls `visit` for every entry of the merged tree, the root first, then depth first with names in
   * sorted order (what `find` prints, sorted). `visit` returning "skip" for a dir skips its contents;
   * any other return value (or none) descends.
   * Symlinks are reported, never followed. Cost: a full walk: one readdir per layer of every merged dir,
   * one lstat per entry, one xattr read per dir that merges with one below.
   */
  walk(visit: (entry: OverlayEntry) => unknown): void {
    const pending: OverlayEntry[] = [this.root];
    while (pending.length > 0) {
      const entry = pending.pop() as OverlayEntry;
      if (visit(entry) === "skip" || entry.kind !== "dir") continue;
      const { listings, names } = this.#listMerged(entry);
      const children: OverlayEntry[] = [];
      for (const name of names) {
        const child = this.#merge(entry, name, (layer) => listings.get(layer)?.get(name) ?? null);
        if (child !== null) children.push(child);
      }
      for (let i = children.length - 1; i >= 0; i--) pending.push(children[i] as OverlayEntry);
    }
  }

  /**
   * The entries of merged dir `dir` in bounded memory, sorted by name (UTF-16 order) in runs of at most `run`
   * names (default streamRun): a dir of fewer names comes sorted whole, as readdir() lists it; a bigger one in
   * sorted runs, layer by layer, in the order the layers' dirs list them. They come as chunks of at most
   * `chunk` entries (default 1,000), each entry stat'ed when its chunk is made. Each layer dir is read with
   * opendir (a bounded buffer, never all names at once), names as bytes (decodeName); a name of a lower layer
   * is that layer's when no layer above it in the merge has the name (the rules of #merge: a whiteout or any
   * entry above takes it). Nothing is remembered, whatever the size: a run holds names, not entries.
   * Cost: one lstat per entry, plus one per layer above the entry's own and one xattr read per dir that merges
   * with one below.
   */
  *entryBatches(
    dir: OverlayEntry,
    options: { run?: number; chunk?: number } = {},
  ): Generator<OverlayEntry[]> {
    if (dir.kind !== "dir") return;
    const runSize = Math.max(1, options.run ?? streamRun);
    const chunkSize = Math.max(1, options.chunk ?? 1000);
    const layers = dir.mergedLayers;
    let run: Listed[] = [];
    const flush = function* (this: OverlayView): Generator<OverlayEntry[]> {
      run.sort(byName);
      let chunk: OverlayEntry[] = [];
      for (const item of run) {
        const path = childPath(dir.path, item.name);
        const at = layers.indexOf(item.layer);
        // layers above the item's own do not have the name (checked when it was listed): absent
        const entry = this.#merge(dir, item.name, (l) =>
          l === item.layer ? item.probe : layers.indexOf(l) < at ? null : this.#probeOnce(l, path),
        );
        if (entry === null) continue; // removed since it was listed
        chunk.push(entry);
        if (chunk.length >= chunkSize) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length > 0) yield chunk;
      run = [];
    }.bind(this);
    for (let k = 0; k < layers.length; k++) {
      const layer = layers[k] as number;
      const hostDir = this.#hostPath(layer, dir.path);
      let handle: Dir;
      try {
        // names as Buffers: Node's opendir takes encoding "buffer" (its types only list text encodings)
        handle = opendirSync(fsPath(hostDir), { encoding: "buffer" as BufferEncoding, bufferSize: 256 });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") continue; // removed since the lookup
        throw fromFsError(err, hostDir, "read directory");
      }
      try {
        for (;;) {
          let d: Dirent<Buffer> | null;
          try {
            d = handle.readSync() as unknown as Dirent<Buffer> | null;
          } catch (err) {
            throw fromFsError(err, hostDir, "read directory");
          }
          if (d === null) break;
          const name = decodeName(d.name);
          const path = childPath(dir.path, name);
          let probe: Probe;
          if (d.isCharacterDevice()) {
            // d_type cannot tell a whiteout from another char device: lstat says which (rdev 0:0)
            const stats = lstatOrNull(this.#hostPath(layer, path));
            if (stats === null || isWhiteout(stats)) continue;
            probe = { kind: "other", stats };
          } else
            probe = d.isDirectory()
              ? dirProbe
              : d.isFile()
                ? fileProbe
                : d.isSymbolicLink()
                  ? linkProbe
                  : otherProbe;
          // a layer above that has the name (anything, a whiteout too) takes it: listed there, or hidden
          let above = false;
          for (let j = 0; j < k && !above; j++) above = this.#probeOnce(layers[j] as number, path) !== null;
          if (above) continue;
          run.push({ name, layer, probe });
          if (run.length >= runSize) yield* flush();
        }
      } finally {
        handle.closeSync();
      }
    }
    if (run.length > 0) yield* flush();
  }

  /**
   * `entry` and everything below it, depth first, each dir's entries in entryBatches' order (sorted, in
   * runs for a huge dir); symlinks are reported, never followed. Memory: one run of names and one chunk of
   * entries per dir level being walked, never a whole tree. Cost: entryBatches of every dir.
   */
  *walkFrom(entry: OverlayEntry, options: { run?: number; chunk?: number } = {}): Generator<OverlayEntry> {
    yield entry;
    if (entry.kind !== "dir") return;
    const stack = [{ batches: this.entryBatches(entry, options), batch: [] as OverlayEntry[], next: 0 }];
    for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
      if (top.next >= top.batch.length) {
        const n = top.batches.next();
        if (n.done === true) stack.pop();
        else {
          top.batch = n.value;
          top.next = 0;
        }
        continue;
      }
      const e = top.batch[top.next++] as OverlayEntry;
      yield e;
      if (e.kind === "dir") stack.push({ batches: this.entryBatches(e, options), batch: [], next: 0 });
    }
  }

  /** Resolves with resolve() or throws a CrifsError naming the container path. */
  #resolveOrThrow(containerPath: string, followLast: boolean, verb: string): OverlayEntry {
    const r = this.resolve(containerPath, { followLast });
    if (r.ok) return r.entry;
    const where = r.at === containerPath ? "" : ` (at ${JSON.stringify(r.at)})`;
    throw new CrifsError(
      "not-found",
      `cannot ${verb} ${JSON.stringify(containerPath)} in the layer stack: ${errnoWords(r.error)}${where}`,
    );
  }

  /**
   * The contents of the regular file at `containerPath`, following symlinks inside the stack (like `cat`
   * in the container). The host file is opened with O_NOFOLLOW. Cost: resolve() plus one read.
   */
  readFile(containerPath: string): Buffer {
    const entry = this.#resolveOrThrow(containerPath, true, "read");
    if (entry.kind !== "file") {
      throw new CrifsError(
        entry.kind === "dir" ? "usage" : "unsupported",
        `cannot read ${JSON.stringify(containerPath)} in the layer stack: ${entry.kind === "dir" ? "is a directory" : "not a regular file"}`,
      );
    }
    let fd: number;
    try {
      fd = openSync(fsPath(entry.hostPath), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      throw fromFsError(err, entry.hostPath);
    }
    try {
      return readFileSync(fd);
    } catch (err) {
      throw fromFsError(err, entry.hostPath);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The target of the symlink at `containerPath` (symlinks before the last component are followed
   * inside the stack, the last is not). Cost: resolve() plus one readlink.
   */
  readlink(containerPath: string): string {
    const entry = this.#resolveOrThrow(containerPath, false, "read symlink");
    if (entry.kind !== "symlink") {
      throw new CrifsError(
        "usage",
        `cannot read symlink ${JSON.stringify(containerPath)} in the layer stack: not a symbolic link`,
      );
    }
    return this.readLinkTarget(entry);
  }
}
