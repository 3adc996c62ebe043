// links/link-report.ts — everything `crifs links` reports for a set of containers, each layer read once:
//
//   containers ──► layer stacks (planMount order) ──► distinct layer dirs (image layers are shared)
//   native: distinct layer dirs ──► scanTrees({linkIndex}) once ──► a name index per layer (no JS string a link)
//           every container at once: judgeViewsNatively ──► packed rows per container   no walk of the merged tree
//   JS (no addon, or a layer without a whole index): scanTrees({collectSymlinks}) ──► symlinks per layer
//           per container: findBrokenLinks(view, symlinks per layer), by lstat
//   distinct layer dirs ──► readLayersFiles ──► cross-layer hard links, duplicates   (unless brokenOnly)
//
// readLinkFindings keeps each container's broken links as rows (BrokenLinkRows: a renderer reads the fields it
// prints); readLinkReport makes the objects of the JSON contract.
//
// A container whose layers cannot be put together (no snapshot, broken chain, missing dir) is listed in
// `skipped` with the reason, and the others go on.

import { lstatSync } from "node:fs";
import { collectGarbage, releaseFreeMemory } from "../collect-garbage.js";
import { fsPath } from "../fs/name-codec.js";
import { type ScanOptions, type ScanResult, scanTrees, selectScanEngine } from "../fs/walk.js";
import type { LinkIndex } from "../fs/walk-native.js";
import { SnapshotIndex } from "../model/chain.js";
import type { Container, Snapshot, Store } from "../model/store.js";
import { compareText } from "../model/text.js";
import { arrayRows, type BrokenLinkRows, brokenLinksOf } from "./broken-link-rows.js";
import {
  type BrokenLink,
  findBrokenLinks,
  hostTargetPath,
  type LayerSymlink,
  type LinkIntoMount,
  type PathSet,
} from "./broken-links.js";
import { type ContainerView, containerView } from "./container-view.js";
import { type LayerFiles, readLayersFiles } from "./layer-files.js";
import { judgeViewsNatively, nativeLinkResolver } from "./native-links.js";
import {
  type DuplicateGroup,
  findCrossLayerHardLinks,
  findDuplicateFiles,
  type HardLinkGroup,
  type LayerInventory,
} from "./shared-files.js";

/** What this process has read of committed layers, by layer path, valid while the layer dir's dev/ino/ctime
 * stay the same (a removed and re-made dir gets a new inode): the native name index, the symlinks, or both. */
interface LayerLinks {
  readonly stamp: string;
  readonly links: readonly LayerSymlink[] | undefined;
  readonly index: LinkIndex | undefined;
}
const layerLinks = new Map<string, LayerLinks>();

function layerStamp(path: string): string | null {
  try {
    const st = lstatSync(fsPath(path), { bigint: true });
    return `${st.dev}:${st.ino}:${st.ctimeNs}`;
  } catch {
    return null;
  }
}

function recallLayerLinks(path: string): LayerLinks | null {
  const known = layerLinks.get(path);
  return known !== undefined && known.stamp === layerStamp(path) ? known : null;
}

/**
 * Lets go of what this process remembers of committed layers (their symlinks and name indexes: tens of MB
 * for a big image). Doctor calls it after its second, last look at the links.
 */
export function forgetLayerLinks(): void {
  layerLinks.clear();
}

/** Remembers what was read of the committed layer at `path`, with what this process already knew of it while
 * the dir is the same (the index of one scan, the symlinks of another). One lstat. */
function rememberLayerLinks(path: string, known: Omit<LayerLinks, "stamp">): void {
  const stamp = layerStamp(path);
  if (stamp === null) return;
  const earlier = layerLinks.get(path);
  const same = earlier?.stamp === stamp;
  layerLinks.set(path, {
    stamp,
    links: known.links ?? (same ? earlier?.links : undefined),
    index: known.index ?? (same ? earlier?.index : undefined),
  });
}

/** One container looked at. */
export interface LinkReportContainer {
  readonly namespace: string;
  readonly id: string;
  /** Its layers, top first: {index, key, id, path}. */
  readonly layers: {
    readonly index: number;
    readonly key: string;
    readonly id: string;
    readonly path: string;
  }[];
  /** Symlinks its merged tree shows. */
  readonly symlinks: number;
  /** Broken ones among them. */
  readonly broken: number;
  /** Destinations of its spec's mounts: what the running container sees over the image. */
  readonly mountPoints: readonly string[];
}

export interface LinkReport {
  readonly containers: LinkReportContainer[];
  /** Containers left out, and why. */
  readonly skipped: { readonly namespace: string; readonly container: string; readonly reason: string }[];
  /** Sorted by namespace, container, path. */
  readonly brokenLinks: BrokenLink[];
  /** Links that lie in or lead into a runtime mount (/proc, /run…): not judged. Sorted like brokenLinks. */
  readonly linksIntoMounts: LinkIntoMount[];
  /** False with brokenOnly: hardLinkGroups and duplicates were not looked for. */
  readonly sharedFilesChecked: boolean;
  readonly hardLinkGroups: HardLinkGroup[];
  readonly duplicates: DuplicateGroup[];
  /** Sum of the duplicates' savableBytes. */
  readonly savableBytes: number;
  /** What could not be read (the walks went on). Sorted by path. */
  readonly errors: { readonly path: string; readonly message: string }[];
}

/** Options of readLinkReport. */
export interface LinkReportOptions {
  /** Only broken symlinks: skip the per-file walk and the hashing. Default false. */
  brokenOnly?: boolean;
  /** Passed to scanTrees (cache dir, threads). Default: scanTrees's defaults. */
  scan?: Pick<ScanOptions, "cacheDir" | "threads" | "progress">;
  /** Whether a host path exists (lstat); tests replace it. Default: lstat on this host. */
  hostHas?: (hostPath: string) => boolean;
  /** False: whether a broken link's target exists on the host is not asked (every isHostOnly is false; doctor's
   * first read, whose broken links are only candidates). Default true. */
  askHost?: boolean;
  /**
   * Only these links are judged: container paths by containerKey(namespace, id); a container not in the
   * map has none judged. Every container's layers are still scanned (committed ones come from this
   * process's memo), so what cannot be read is reported again. Doctor's second read re-checks the first
   * read's broken links this way. Default: every link of every container.
   */
  only?: ReadonlyMap<string, PathSet>;
}

/** A container's key in LinkReportOptions.only. */
export function containerKey(namespace: string, id: string): string {
  return `${namespace}\u0000${id}`;
}

const noHost = (): boolean => false;

/** A LinkReport whose broken links are rows per container (what renderers read), not objects. */
export interface LinkFindings extends Omit<LinkReport, "brokenLinks"> {
  /** Per container with broken links, sorted by namespace and container: its broken links, sorted by path. */
  readonly broken: readonly BrokenLinkRows[];
  /** How many rows `broken` holds in all. */
  readonly brokenCount: number;
}

/** The report of `findings`, every broken link an object (the JSON contract). */
export function linkReportOf(findings: LinkFindings): LinkReport {
  const f = findings;
  return {
    containers: f.containers,
    skipped: f.skipped,
    brokenLinks: [...brokenLinksOf(f.broken)],
    linksIntoMounts: f.linksIntoMounts,
    sharedFilesChecked: f.sharedFilesChecked,
    hardLinkGroups: f.hardLinkGroups,
    duplicates: f.duplicates,
    savableBytes: f.savableBytes,
    errors: f.errors,
  };
}

/**
 * Broken symlinks, cross-layer hard links and duplicate files of `targets`' merged roots. Cost: see
 * readLinkFindings, plus an object per broken link.
 */
export async function readLinkReport(
  targets: readonly { readonly store: Store; readonly container: Container }[],
  options: LinkReportOptions = {},
): Promise<LinkReport> {
  return linkReportOf(await readLinkFindings(targets, options));
}

/** The symlinks (JS resolver) or name indexes (native one) of layer dirs, and what could not be read. */
interface LayerReads {
  readonly symlinks: Map<string, LayerSymlink[]>;
  readonly indexes: Map<string, LinkIndex>;
  readonly errors: ScanResult["errors"][number][];
}

/**
 * Reads what resolving needs of `layers`: committed ones from this process's memo, the rest by one scan (a name
 * index each with `native`, else their symlinks). Remembers the committed layers it read whole.
 */
async function readLayers(
  layers: readonly Snapshot[],
  native: boolean,
  scanOptions: LinkReportOptions["scan"],
  into: LayerReads,
): Promise<void> {
  const toScan: Snapshot[] = [];
  for (const s of layers) {
    const known = s.kind === "committed" ? recallLayerLinks(s.path) : null;
    const usable = known !== null && (native ? known.index !== undefined : known.links !== undefined);
    if (known === null || !usable) {
      toScan.push(s);
      continue;
    }
    if (known.links !== undefined) into.symlinks.set(s.path, [...known.links]);
    if (known.index !== undefined) into.indexes.set(s.path, known.index);
  }
  if (toScan.length === 0) return;
  // the name index (native engine) lets every link resolve without a system call per name, and without a JS
  // string per link: the links' paths and targets stay in the index
  const scan = await scanTrees(
    toScan.map((s) => ({ id: s.path, path: s.path, immutable: s.kind === "committed" })),
    native
      ? { ...scanOptions, collectSymlinks: false, usage: false, linkIndex: true }
      : { ...scanOptions, collectSymlinks: true, usage: false },
  );
  for (const [dir, ix] of scan.linkIndexes) into.indexes.set(dir, ix);
  const listed = new Map<string, LayerSymlink[]>();
  if (!native) {
    for (const s of toScan) listed.set(s.path, []);
    // a SymlinkEntry is a LayerSymlink (and its tree): kept as it is, not copied (10^5 on a big image)
    for (const l of scan.symlinks) listed.get(l.tree)?.push(l);
    for (const [dir, links] of listed) into.symlinks.set(dir, links);
  }
  const failed = new Set<string>();
  for (const e of scan.errors) {
    for (const s of toScan) if (e.path === s.path || e.path.startsWith(`${s.path}/`)) failed.add(s.path);
  }
  into.errors.push(...scan.errors);
  for (const s of toScan) {
    if (s.kind !== "committed" || failed.has(s.path)) continue;
    rememberLayerLinks(s.path, { links: listed.get(s.path), index: scan.linkIndexes.get(s.path) });
  }
}

/**
 * Broken symlinks, cross-layer hard links and duplicate files of `targets`' merged roots, the broken links as
 * rows. Cost: one scan of every distinct layer (a name index each; committed layers this process read before
 * come from its memo), a few hash probes per path component of each visible link per container and one host
 * lstat per broken link (without the native addon: a lookup and a resolve by lstat per link instead); without
 * brokenOnly also an lstat of every file of every distinct layer and one read of each file whose size another
 * layer also has.
 */
export async function readLinkFindings(
  targets: readonly { readonly store: Store; readonly container: Container }[],
  options: LinkReportOptions = {},
): Promise<LinkFindings> {
  const indexes = new Map<Store, SnapshotIndex>();
  const views: ContainerView[] = [];
  const skipped: LinkReport["skipped"] = [];
  const only = options.only;
  for (const { store, container } of targets) {
    let index = indexes.get(store);
    if (index === undefined) {
      index = new SnapshotIndex(store.snapshots);
      indexes.set(store, index);
    }
    try {
      views.push(containerView(store, container, { index }));
    } catch (err) {
      skipped.push({
        namespace: container.namespace,
        container: container.id,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }

  // image layers are shared by many containers: each dir once
  const layers = new Map<string, Snapshot>();
  for (const v of views) for (const s of v.snapshots) layers.set(s.path, s);
  const native = selectScanEngine().engine === "native" && nativeLinkResolver() !== null;
  const reads: LayerReads = { symlinks: new Map(), indexes: new Map(), errors: [] };
  await readLayers([...layers.values()], native, options.scan, reads);
  const errors: LinkReport["errors"][number][] = [...reads.errors];

  const none: PathSet = new Set<string>();
  const onlyOf = (v: ContainerView): PathSet =>
    only?.get(containerKey(v.container.namespace, v.container.id)) ?? none;
  const askHost = options.askHost !== false;
  const hostHas = askHost ? options.hostHas : noHost;
  const judged = native
    ? judgeViewsNatively(views, {
        indexOf: (dir) => reads.indexes.get(dir),
        ...(only === undefined ? {} : { only: onlyOf }),
        ...(!askHost
          ? { isHostOnly: false as const }
          : hostHas === undefined
            ? {}
            : { isHostOnly: (path: string, target: string) => hostHas(hostTargetPath(path, target)) }),
        ...(options.scan?.threads === undefined ? {} : { threads: options.scan.threads }),
      })
    : views.map(() => null);
  // what the native resolver could not judge (a layer read with errors, or an index that is not whole) is
  // judged in JS, over its layers' symlinks: read now for the layers that lack them (errors already noted)
  const inJs = views.filter((_, i) => judged[i] === null);
  const unlisted = new Map<string, Snapshot>();
  for (const v of inJs) for (const s of v.snapshots) if (!reads.symlinks.has(s.path)) unlisted.set(s.path, s);
  if (unlisted.size > 0) {
    await readLayers([...unlisted.values()], false, options.scan, {
      symlinks: reads.symlinks,
      indexes: new Map(),
      errors: [],
    });
  }

  const containers: LinkReportContainer[] = [];
  const broken: BrokenLinkRows[] = [];
  const linksIntoMounts: LinkIntoMount[] = [];
  // the scan read every link's target: resolving need not read them again
  const knownTargets = new Map<string, Map<string, string>>();
  const targetsOf = (dir: string): Map<string, string> => {
    let m = knownTargets.get(dir);
    if (m === undefined) {
      m = new Map((reads.symlinks.get(dir) ?? []).map((l) => [l.rel, l.target]));
      knownTargets.set(dir, m);
    }
    return m;
  };
  views.forEach((v, i) => {
    let found = judged[i] ?? null;
    if (found === null) {
      v.useLinkTargets((k) => {
        const dir = v.layers[k];
        return dir === undefined ? undefined : targetsOf(dir);
      });
      const inJs = findBrokenLinks(v, reads.symlinks, {
        ...(hostHas === undefined ? {} : { hostHas }),
        ...(only === undefined ? {} : { only: onlyOf(v) }),
      });
      v.forgetLookups(); // one view's lookups at a time in memory, not every container's
      found = {
        visible: inJs.visible,
        broken: arrayRows(v.container.namespace, v.container.id, inJs.broken),
        intoMounts: inJs.intoMounts,
      };
    }
    if (found.broken.length > 0) broken.push(found.broken);
    linksIntoMounts.push(...found.intoMounts);
    containers.push({
      namespace: v.container.namespace,
      id: v.container.id,
      layers: v.snapshots.map((s, index) => ({ index, key: s.key, id: s.id, path: s.path })),
      symlinks: found.visible,
      broken: found.broken.length,
      mountPoints: v.mountPoints,
    });
  });

  let hardLinkGroups: HardLinkGroup[] = [];
  let duplicates: DuplicateGroup[] = [];
  if (options.brokenOnly !== true) {
    // the broken links are judged: their symlinks and native name indexes (100 MB and more on 10^6 entries)
    // are let go before every file of every layer is listed and read (links --shared's peak RSS)
    forgetLayerLinks();
    reads.symlinks.clear();
    reads.indexes.clear();
    knownTargets.clear();
    await releaseNativeMemory();
    const shared = await sharedFilesOf([...layers.values()], options.scan?.threads, errors);
    hardLinkGroups = shared.hardLinkGroups;
    duplicates = shared.duplicates;
    // the layers' file tables and index (100 MB and more on 10^6 files) are garbage now that the groups are
    // made: collected, and handed back by malloc, before the report is rendered, which would otherwise grow on
    // top of them (collected alone, their pages stayed mapped: 298 MB RSS with 10 MB of ArrayBuffers left)
    releaseFreeMemory();
  }

  const sorted = sortedByContainer(broken);
  return {
    containers,
    skipped,
    broken: sorted,
    brokenCount: sorted.reduce((n, p) => n + p.length, 0),
    linksIntoMounts,
    sharedFilesChecked: options.brokenOnly !== true,
    hardLinkGroups,
    duplicates,
    savableBytes: duplicates.reduce((n, d) => n + d.savableBytes, 0),
    errors: errors.sort((a, b) => compareText(a.path, b.path)),
  };
}

/**
 * Cross-layer hard links and duplicates of `dirs` (every file listed, candidates read), their read errors
 * added to `errors`. A function of its own, so that the file tables it builds are garbage once it returns.
 */
async function sharedFilesOf(
  dirs: readonly Snapshot[],
  threads: number | undefined,
  errors: LinkReport["errors"][number][],
): Promise<{ hardLinkGroups: HardLinkGroup[]; duplicates: DuplicateGroup[] }> {
  const read = await readLayersFiles(
    dirs.map((l) => l.path),
    threads === undefined ? {} : { threads },
  );
  const inventories: LayerInventory[] = dirs.map((layer, i) => {
    const r = read[i] as LayerFiles;
    errors.push(...r.errors);
    return { layer, files: r.files };
  });
  // duplicates first: their reads' keys and candidate arrays (tens of MB) are gone before the hard-link
  // groups are made as objects (one a name shown), which would otherwise be held all through the reads
  const dups = await findDuplicateFiles(inventories);
  errors.push(...dups.errors);
  releaseFreeMemory(); // the reads' keys and shared buffers, the workers' arenas
  const h = findCrossLayerHardLinks(inventories);
  return { hardLinkGroups: h, duplicates: dups.groups };
}

/**
 * A full collection, then, once the finalizers of the native objects it found dead have run (Node runs them
 * after the collection, from the event loop), malloc's free memory handed back: the name indexes of the
 * broken-link phase live in the scanner threads' arenas, which glibc keeps mapped when they are freed.
 */
async function releaseNativeMemory(): Promise<void> {
  collectGarbage();
  await new Promise<void>((resolve) => setImmediate(resolve));
  releaseFreeMemory();
}

/**
 * Containers' rows in namespace, container order (a stable sort: as one sort of every link by namespace,
 * container and path would order them). Two containers of one name (two stores) become one list by path.
 */
function sortedByContainer(parts: readonly BrokenLinkRows[]): BrokenLinkRows[] {
  const byName = (a: BrokenLinkRows, b: BrokenLinkRows) =>
    compareText(a.namespace, b.namespace) || compareText(a.container, b.container);
  const sorted = [...parts].sort(byName);
  const out: BrokenLinkRows[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && byName(sorted[i] as BrokenLinkRows, sorted[j] as BrokenLinkRows) === 0) j++;
    const first = sorted[i] as BrokenLinkRows;
    if (j === i + 1) out.push(first);
    else {
      const links = [...brokenLinksOf(sorted.slice(i, j))].sort((a, b) => compareText(a.path, b.path));
      out.push(arrayRows(first.namespace, first.container, links));
    }
    i = j;
  }
  return out;
}
