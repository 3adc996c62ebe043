// links/link-report.ts — everything `crifs links` reports for a set of containers, each layer read once:
//
//   containers ──► layer stacks (planMount order) ──► distinct layer dirs (image layers are shared)
//   distinct layer dirs ──► scanTrees({collectSymlinks}) once ──► symlinks per layer
//   per container: findBrokenLinks(view, symlinks per layer)     no walk of the merged tree
//   distinct layer dirs ──► readLayersFiles ──► cross-layer hard links, duplicates   (unless brokenOnly)
//
// A container whose layers cannot be put together (no snapshot, broken chain, missing dir) is listed in
// `skipped` with the reason, and the others go on.

import { lstatSync } from "node:fs";
import { collectGarbage } from "../collect-garbage.js";
import { fsPath } from "../fs/name-codec.js";
import { type ScanOptions, scanTrees } from "../fs/walk.js";
import type { LinkIndex } from "../fs/walk-native.js";
import { SnapshotIndex } from "../model/chain.js";
import type { Container, Snapshot, Store } from "../model/store.js";
import { type BrokenLink, findBrokenLinks, type LayerSymlink, type LinkIntoMount } from "./broken-links.js";
import { type ContainerView, containerView } from "./container-view.js";
import { type LayerFiles, readLayersFiles } from "./layer-files.js";
import {
  type DuplicateGroup,
  findCrossLayerHardLinks,
  findDuplicateFiles,
  type HardLinkGroup,
  type LayerInventory,
} from "./shared-files.js";

/** What this process has scanned of committed layers, by layer path, valid while the layer dir's
 * dev/ino/ctime stay the same (a removed and re-made dir gets a new inode): the symlinks, and the native
 * name index when the scan made one. */
interface LayerLinks {
  readonly stamp: string;
  readonly links: readonly LayerSymlink[];
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

function rememberLayerLinks(
  path: string,
  links: readonly LayerSymlink[],
  index: LinkIndex | undefined,
): void {
  const stamp = layerStamp(path);
  if (stamp !== null) layerLinks.set(path, { stamp, links, index });
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
  scan?: Pick<ScanOptions, "cacheDir" | "threads">;
  /** Whether a host path exists (lstat); tests replace it. Default: lstat on this host. */
  hostHas?: (hostPath: string) => boolean;
  /**
   * Only these links are judged: container paths by containerKey(namespace, id); a container not in the
   * map has none judged. Every container's layers are still scanned (committed ones come from this
   * process's memo), so what cannot be read is reported again. Doctor's second read re-checks the first
   * read's broken links this way. Default: every link of every container.
   */
  only?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** A container's key in LinkReportOptions.only. */
export function containerKey(namespace: string, id: string): string {
  return `${namespace}\u0000${id}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Broken symlinks, cross-layer hard links and duplicate files of `targets`' merged roots. Cost: one symlink
 * scan of every distinct layer (committed layers may come from scanTrees's cache), one lookup + resolve per
 * visible link per container; without brokenOnly also an lstat of every file of every distinct layer and
 * one read of each file whose size another layer also has.
 */
export async function readLinkReport(
  targets: readonly { readonly store: Store; readonly container: Container }[],
  options: LinkReportOptions = {},
): Promise<LinkReport> {
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
  // committed layers never change: what this process already scanned of them (doctor reads twice) is reused
  const symlinks = new Map<string, LayerSymlink[]>();
  const nameIndexes = new Map<string, LinkIndex>();
  const toScan: Snapshot[] = [];
  for (const s of layers.values()) {
    const known = s.kind === "committed" ? recallLayerLinks(s.path) : null;
    if (known !== null) {
      symlinks.set(s.path, [...known.links]);
      if (known.index !== undefined) nameIndexes.set(s.path, known.index);
    } else toScan.push(s);
  }
  // the name index (native engine) lets every link resolve without a system call per name
  const scan = await scanTrees(
    toScan.map((s) => ({ id: s.path, path: s.path, immutable: s.kind === "committed" })),
    { ...options.scan, collectSymlinks: true, usage: false, linkIndex: true },
  );
  for (const [dir, ix] of scan.linkIndexes) nameIndexes.set(dir, ix);
  for (const l of scan.symlinks) {
    // a SymlinkEntry is a LayerSymlink (and its tree): kept as it is, not copied (10^5 on a big image)
    const list = symlinks.get(l.tree);
    if (list === undefined) symlinks.set(l.tree, [l]);
    else list.push(l);
  }
  const failed = (dir: string) => scan.errors.some((e) => e.path === dir || e.path.startsWith(`${dir}/`));
  for (const s of toScan) {
    if (s.kind === "committed" && !failed(s.path))
      rememberLayerLinks(s.path, symlinks.get(s.path) ?? [], nameIndexes.get(s.path));
  }
  const errors: LinkReport["errors"][number][] = [...scan.errors];

  const containers: LinkReportContainer[] = [];
  const brokenLinks: BrokenLink[] = [];
  const linksIntoMounts: LinkIntoMount[] = [];
  // the scan read every link's target: resolving need not read them again
  const knownTargets = new Map<string, Map<string, string>>();
  const targetsOf = (dir: string): Map<string, string> => {
    let m = knownTargets.get(dir);
    if (m === undefined) {
      m = new Map((symlinks.get(dir) ?? []).map((l) => [l.rel, l.target]));
      knownTargets.set(dir, m);
    }
    return m;
  };
  for (const v of views) {
    v.useLinkTargets((i) => {
      const dir = v.layers[i];
      return dir === undefined ? undefined : targetsOf(dir);
    });
    const found = findBrokenLinks(v, symlinks, {
      indexOf: (dir) => nameIndexes.get(dir),
      ...(options.hostHas === undefined ? {} : { hostHas: options.hostHas }),
      ...(only === undefined
        ? {}
        : { only: only.get(containerKey(v.container.namespace, v.container.id)) ?? new Set<string>() }),
    });
    v.forgetLookups(); // one view's lookups at a time in memory, not every container's
    brokenLinks.push(...found.broken);
    linksIntoMounts.push(...found.intoMounts);
    containers.push({
      namespace: v.container.namespace,
      id: v.container.id,
      layers: v.snapshots.map((s, index) => ({ index, key: s.key, id: s.id, path: s.path })),
      symlinks: found.visible,
      broken: found.broken.length,
      mountPoints: v.mountPoints,
    });
  }
  brokenLinks.sort(
    (a, b) =>
      compareText(a.namespace, b.namespace) ||
      compareText(a.container, b.container) ||
      compareText(a.path, b.path),
  );

  let hardLinkGroups: HardLinkGroup[] = [];
  let duplicates: DuplicateGroup[] = [];
  if (options.brokenOnly !== true) {
    // the broken links are judged: their symlinks and native name indexes (100 MB and more on 10^6 entries)
    // are let go before every file of every layer is listed and read (links --shared's peak RSS)
    forgetLayerLinks();
    symlinks.clear();
    nameIndexes.clear();
    knownTargets.clear();
    (scan.linkIndexes as Map<string, LinkIndex>).clear();
    (scan.symlinks as unknown[]).length = 0;
    collectGarbage();
    const dirs = [...layers.values()];
    const read = await readLayersFiles(
      dirs.map((l) => l.path),
      options.scan?.threads === undefined ? {} : { threads: options.scan.threads },
    );
    const inventories: LayerInventory[] = dirs.map((layer, i) => {
      const r = read[i] as LayerFiles;
      errors.push(...r.errors);
      return { layer, files: r.files };
    });
    hardLinkGroups = findCrossLayerHardLinks(inventories);
    const dups = await findDuplicateFiles(inventories);
    duplicates = dups.groups;
    errors.push(...dups.errors);
  }

  return {
    containers,
    skipped,
    brokenLinks,
    linksIntoMounts,
    sharedFilesChecked: options.brokenOnly !== true,
    hardLinkGroups,
    duplicates,
    savableBytes: duplicates.reduce((n, d) => n + d.savableBytes, 0),
    errors: errors.sort((a, b) => compareText(a.path, b.path)),
  };
}
