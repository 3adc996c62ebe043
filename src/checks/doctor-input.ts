// checks/doctor-input.ts — everything the doctor checks look at, gathered once per read: the store model (or
// why it could not be read, a MetadataRead from the runtime's adapter) and the disk facts around it. Checks
// are pure functions of this; only the gathering (and the final size walk in the doctor command) touches
// the disk. The fact types are model/doctor-facts.ts; each runtime gathers its own (runtimes/index.ts):
//
//   <root>                                      lstat / readlink / owner and mode of the link's target
//   containerd's snapshot dirs, blobs, ingests, tmpmounts, and --verify's layer contents
//                                               (runtimes/containerd/doctor-facts.ts, layer-contents.ts)
//   /proc/self/mountinfo                        overlay mounts (lowerdir, upperdir, workdir)
//   every container's layer dirs                symlinks, resolved in each container's merged root (src/links)
// Any read error other than "absent" is kept in readErrors and the gathering goes on.

import { lstatSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { FactReader, realpathOrNull } from "../fs/fact-reader.js";
import { overlayOptions, readMountinfo } from "../fs/mountinfo.js";
import { fsPath } from "../fs/name-codec.js";
import { readLinkExact } from "../fs/read-exact.js";
import type { BrokenLink } from "../links/broken-links.js";
import { containerKey, forgetLayerLinks, readLinkReport } from "../links/link-report.js";
import type { PodLogFacts } from "../logs/log-facts.js";
import type {
  BlobFileFact,
  IngestDirFact,
  LayerContentFact,
  MetadataRead,
  OverlayDriverFacts,
  OverlayMountFact,
  ReadProblem,
  RootFact,
  SnapshotterFacts,
  TmpmountFact,
} from "../model/doctor-facts.js";
import type { Store } from "../model/store.js";
import type { RuntimeWords } from "../model/words.js";
import { readContainerdDiskFacts, readLayerContents } from "../runtimes/index.js";

export interface DoctorInput {
  /** The store root as given (may be a symlink). */
  readonly root: string;
  readonly contentRoot: string;
  /** Milliseconds since the epoch when this input was gathered. */
  readonly now: number;
  /** Objects younger than this (ms) are taken as still being written. */
  readonly graceMs: number;
  /** The store model, or null when its metadata could not be read (see metadataProblems). */
  readonly store: Store | null;
  /** How findings speak of this store's runtime (its tools, its files): never containerd's for podman. */
  readonly words: RuntimeWords;
  /** Bolt files that did not decode; non-empty means store is null. */
  readonly metadataProblems: readonly ReadProblem[];
  readonly snapshotters: readonly SnapshotterFacts[];
  readonly blobFiles: readonly BlobFileFact[];
  readonly ingestDirs: readonly IngestDirFact[];
  readonly tmpmounts: readonly TmpmountFact[];
  readonly overlayMounts: readonly OverlayMountFact[];
  /** Broken symlinks of every container's merged root, found by src/links; absent when not gathered. */
  readonly brokenLinks?: readonly BrokenLink[];
  /** Every image layer's snapshot beside its blob's contents; only gathered for --verify. */
  readonly layerContents?: readonly LayerContentFact[];
  readonly rootFact: RootFact;
  /** Dirs and files that exist but could not be read; the checks carry on without them. */
  readonly readErrors: readonly ReadProblem[];
  /** blob path → "sha256:<hex>" of its bytes; only gathered for --verify. */
  readonly blobHashes: ReadonlyMap<string, string> | null;
  /** The overlay driver home of a containers/storage (or docker) store; absent for containerd. */
  readonly overlayDriver?: OverlayDriverFacts;
  /** kubelet's pod log dirs and links beside the pods the runtimes know (src/logs); absent when not read. */
  readonly podLogs?: PodLogFacts;
  /** The same store read through the runtime's API (src/live) when it answered; absent otherwise. */
  readonly live?: Store;
}

export interface GatherOptions {
  /** Default: Date.now() */
  readonly now?: number;
  /** Default: 60 s */
  readonly graceMs?: number;
  /** Re-hash every blob file (reads all content). Default false. */
  readonly verify?: boolean;
  /** Default /proc/self/mountinfo */
  readonly mountinfoPath?: string;
  /** Find the broken symlinks of every container (one symlink scan per distinct layer). Default true. */
  readonly links?: boolean;
  /**
   * Re-check only these broken links (a first read's): a link that was fine then cannot be broken in
   * both reads, so the second read need not resolve it. Default: every link of every container.
   */
  readonly recheckLinks?: readonly BrokenLink[];
  /** Read every image layer's blob and its snapshot's files to compare them. Default: `verify`. */
  readonly layers?: boolean;
}

export const DEFAULT_GRACE_MS = 60_000;

function readRootFact(root: string): RootFact {
  let isSymlink = false;
  let linkTarget: string | null = null;
  try {
    isSymlink = lstatSync(fsPath(root)).isSymbolicLink();
    if (isSymlink) linkTarget = readLinkExact(root);
  } catch {
    // a root that does not exist: the loader has said so already
  }
  const resolved = realpathOrNull(root);
  let targetUid: number | null = null;
  let targetMode: number | null = null;
  if (resolved !== null) {
    try {
      const st = statSync(resolved);
      targetUid = st.uid;
      targetMode = st.mode & 0o7777;
    } catch {
      // raced away
    }
  }
  return { path: root, isSymlink, linkTarget, resolved, targetUid, targetMode };
}

/** Container paths of `links`, by containerKey: what readLinkReport's `only` takes. */
function linksByContainer(links: readonly BrokenLink[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const b of links) {
    const k = containerKey(b.namespace, b.container);
    const paths = out.get(k);
    if (paths === undefined) out.set(k, new Set([b.path]));
    else paths.add(b.path);
  }
  return out;
}

/** Broken symlinks of every container whose root can be put together (the others are other checks'
 * business); with `recheck`, only those links are judged again. */
async function readBrokenLinks(
  r: FactReader,
  store: Store,
  recheck: readonly BrokenLink[] | undefined,
): Promise<BrokenLink[]> {
  const report = await readLinkReport(
    store.containers.map((container) => ({ store, container })),
    {
      brokenOnly: true,
      ...(recheck === undefined ? {} : { only: linksByContainer(recheck) }),
    },
  );
  for (const e of report.errors) {
    // a container (and its dir) removed while we looked is not a read error
    if (!e.message.endsWith(": no such file or directory")) r.errors.push(e);
  }
  // a re-check is doctor's second and last look: the layers' symlinks and indexes are not needed again
  if (recheck !== undefined) forgetLayerLinks();
  return report.brokenLinks;
}

/** Overlay mounts of mountinfo, and every mount point (tmpmounts are matched against them). */
function readMounts(r: FactReader, mountinfoPath: string | undefined) {
  try {
    const all = readMountinfo(mountinfoPath);
    const overlays: OverlayMountFact[] = all
      .filter((m) => m.fsType === "overlay")
      .map((m) => {
        const o = overlayOptions(m.superOptions);
        return { mountPoint: m.mountPoint, lowerdir: o.lowerdir, upperdir: o.upperdir, workdir: o.workdir };
      });
    return { overlays, mountPoints: new Set(all.map((m) => m.mountPoint)) };
  } catch (err) {
    r.errors.push({ path: mountinfoPath ?? "/proc/self/mountinfo", message: (err as Error).message });
    return { overlays: [], mountPoints: new Set<string>() };
  }
}

/**
 * Gathers the disk facts around a store read. Cost: a few readdirs and one lstat per snapshot dir, blob
 * file, ingest file and tmpmount; a symlink scan of every container's layers (`links`); with `verify`, a
 * full read of every sha256 blob, and (`layers`) of every image layer's blob and snapshot files.
 */
export async function gatherDoctorInput(
  meta: MetadataRead,
  options: GatherOptions = {},
): Promise<DoctorInput> {
  const now = options.now ?? Date.now();
  const r = new FactReader();
  const mounts = readMounts(r, options.mountinfoPath);
  const disk = readContainerdDiskFacts(r, meta, {
    mountPoints: mounts.mountPoints,
    verify: options.verify === true,
  });
  const store = meta.store;
  const brokenLinks =
    store !== null && options.links !== false
      ? await readBrokenLinks(r, store, options.recheckLinks)
      : undefined;
  const layerContents =
    store !== null && (options.layers ?? options.verify === true)
      ? readLayerContents(r, store, meta.contentRoot)
      : undefined;
  return {
    root: meta.root,
    contentRoot: meta.contentRoot,
    now,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    store: meta.store,
    words: meta.words,
    metadataProblems: meta.metadataProblems,
    ...disk,
    overlayMounts: mounts.overlays,
    ...(brokenLinks === undefined ? {} : { brokenLinks }),
    ...(layerContents === undefined ? {} : { layerContents }),
    rootFact: readRootFact(meta.root),
    readErrors: r.errors,
    ...(meta.overlayDriver === undefined ? {} : { overlayDriver: meta.overlayDriver }),
  };
}

/** Whether `p` lies inside `dir` (both absolute, normalised). */
export function isInside(dir: string, p: string): boolean {
  return isAbsolute(p) && (p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`));
}
