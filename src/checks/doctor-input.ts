// checks/doctor-input.ts — everything the doctor checks look at, gathered once per read: the store model (or
// why it could not be read, a MetadataRead from the runtime's adapter) and the disk facts around it. Checks
// are pure functions of this; only the gathering (and the final size walk in the doctor command) touches
// the disk. The fact types are model/doctor-facts.ts. What is the same for every runtime is gathered here;
// a runtime's own objects are its adapter's to gather (Adapter.readDoctorFacts, runtimes/index.ts):
//
//   <root>                                      lstat / readlink / owner and mode of the link's target
//   the runtime's own objects                   Adapter.readDoctorFacts (containerd: snapshot dirs, blobs,
//                                               ingests, tmpmounts, and --verify's layer contents)
//   /proc/self/mountinfo                        overlay mounts (lowerdir, upperdir, workdir)
//   every container's layer dirs                symlinks, resolved in each container's merged root (src/links)
// Any read error other than "absent" is kept in readErrors and the gathering goes on.

import { lstatSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { FactReader, realpathOrNull } from "../fs/fact-reader.js";
import { type MountEntry, overlayOptions, readMountinfo } from "../fs/mountinfo.js";
import { fsPath } from "../fs/name-codec.js";
import { readLinkExact } from "../fs/read-exact.js";
import { type BrokenLinkRows, type LinkPaths, pickedRows } from "../links/broken-link-rows.js";
import type { PathSet } from "../links/broken-links.js";
import { containerKey, forgetLayerLinks, readLinkFindings } from "../links/link-report.js";
import type { PodLogFacts } from "../logs/log-facts.js";
import {
  type DoctorFacts,
  type MetadataRead,
  noDoctorFacts,
  type OverlayMountFact,
  type ReadProblem,
  type RootFact,
} from "../model/doctor-facts.js";
import type { Store } from "../model/store.js";
import type { Adapter } from "../runtimes/index.js";

/** What the checks read: the adapter's MetadataRead (its snapshotters' records come with their dirs in
 * DoctorFacts.snapshotters), the runtime's DoctorFacts, and what every runtime has. */
export interface DoctorInput
  extends Pick<
      MetadataRead,
      "root" | "contentRoot" | "store" | "words" | "metadataProblems" | "overlayDriver"
    >,
    DoctorFacts {
  /** Milliseconds since the epoch when this input was gathered. */
  readonly now: number;
  /** Objects younger than this (ms) are taken as still being written. */
  readonly graceMs: number;
  readonly overlayMounts: readonly OverlayMountFact[];
  /** Broken symlinks of every container's merged root, found by src/links, as rows per container (sorted by
   * namespace, container, path: fields made into strings when read, no object per link); absent when not
   * gathered, or gathered as candidates only (`linkCandidates`). */
  readonly brokenLinks?: readonly BrokenLinkRows[];
  /** With GatherOptions.linksAreCandidates: where the broken links are, for a second read to judge again
   * (no object per link is kept: 10^5 on a bad image). */
  readonly linkCandidates?: LinkCandidates;
  readonly rootFact: RootFact;
  /** Dirs and files that exist but could not be read; the checks carry on without them. */
  readonly readErrors: readonly ReadProblem[];
  /** kubelet's pod log dirs and links beside the pods the runtimes know (src/logs); absent when not read. */
  readonly podLogs?: PodLogFacts;
  /** The same store read through the runtime's API (src/live) when it answered; absent otherwise. */
  readonly live?: Store;
}

export interface GatherOptions {
  /** The adapter that read `meta`: its readDoctorFacts gathers the runtime's own objects. Default: none (only
   * what every runtime has is gathered). */
  readonly adapter?: Pick<Adapter, "readDoctorFacts">;
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
   * Re-check only these broken links (a first read's linkCandidates): a link that was fine then cannot be
   * broken in both reads, so the second read need not resolve it; one that is broken now in another layer
   * than then (another host path: another finding) is left out. Default: every link of every container.
   */
  readonly recheckLinks?: LinkCandidates;
  /**
   * The broken links found are only candidates for a second read to judge again (doctor's first read):
   * the input gets linkCandidates instead of brokenLinks, and whether a target exists on the host is not
   * asked. Default false.
   */
  readonly linksAreCandidates?: boolean;
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

/** The first read's broken links by containerKey: each container's paths and layers, over the bytes the
 * resolver read them from where it can (sorted by path; a path and its layer's id are decoded only when
 * compared). */
export type LinkCandidates = ReadonlyMap<string, LinkPaths>;

/** `parts` (each container's rows) as LinkCandidates: no string or object per link (a map of 10^5 path strings
 * cost ~27 MB of heap and its making ~0.3 s on a bad image), nor the rows' other fields. */
export function linkCandidates(parts: readonly BrokenLinkRows[]): LinkCandidates {
  const out = new Map<string, LinkPaths>();
  for (const rows of parts)
    out.set(containerKey(rows.namespace, rows.container), rows.paths?.() ?? pathStrings(rows));
  return out;
}

/** The paths and layer ids of rows that do not keep them packed (the JS resolver's BrokenLink objects): as
 * strings, so that the objects are let go. */
function pathStrings(rows: BrokenLinkRows): LinkPaths {
  const paths = Array.from({ length: rows.length }, (_, i) => rows.path(i));
  const ids = Array.from({ length: rows.length }, (_, i) => rows.layerId(i));
  return {
    namespace: rows.namespace,
    container: rows.container,
    length: rows.length,
    path: (i) => paths[i] ?? "",
    layerId: (i) => ids[i] ?? "",
  };
}

/** The paths of `rows` as a PathSet: spans of the rows' own Buffers for the native resolver (no string a
 * path), listed from the rows, or (the JS resolver's has()) a set made on its first use. */
function pathsOf(rows: LinkPaths): PathSet {
  let set: Set<string> | undefined;
  const spans = rows.pathSpans?.bind(rows);
  const keys = function* (): Generator<string> {
    for (let i = 0; i < rows.length; i++) yield rows.path(i);
  };
  return {
    has: (path) => {
      set ??= new Set(keys());
      return set.has(path);
    },
    keys,
    ...(spans === undefined ? {} : { spans }),
  };
}

/** Positions in `before` by path, with their layers' ids (stillBroken's way when the order does not hold). */
function layerIdsByPath(before: LinkPaths): Map<string, string> {
  const out = new Map<string, string>();
  for (let j = 0; j < before.length; j++) out.set(before.path(j), before.layerId(j));
  return out;
}

/** The rows of `found` that `known` has at the same path in the same layer. Both are sorted by path and the
 * second read judged only the first's paths, so one walk over each pairs them (no map of paths); a path the
 * walk does not meet in order falls back to a map of the first's paths. */
export function stillBroken(found: readonly BrokenLinkRows[], known: LinkCandidates): BrokenLinkRows[] {
  const out: BrokenLinkRows[] = [];
  for (const rows of found) {
    const before = known.get(containerKey(rows.namespace, rows.container));
    if (before === undefined) continue;
    const kept: number[] = [];
    let byPath: Map<string, string> | undefined;
    let j = 0;
    for (let i = 0; i < rows.length; i++) {
      const path = rows.path(i);
      if (byPath === undefined) {
        const from = j;
        while (j < before.length && before.path(j) !== path) j++;
        if (j < before.length) {
          if (before.layerId(j) === rows.layerId(i)) kept.push(i);
          j++;
          continue;
        }
        j = from;
        byPath = layerIdsByPath(before);
      }
      if (byPath.get(path) === rows.layerId(i)) kept.push(i);
    }
    if (kept.length === rows.length) out.push(rows);
    else if (kept.length > 0) out.push(pickedRows(rows, Uint32Array.from(kept)));
  }
  return out;
}

/** Broken symlinks of every container whose root can be put together (the others are other checks'
 * business), as rows; with `recheckLinks`, only those links are judged again, and kept only when still
 * broken in the same layer. The first read (`linksAreCandidates`) does not ask the host about targets. */
async function readBrokenLinks(
  r: FactReader,
  store: Store,
  options: Pick<GatherOptions, "recheckLinks" | "linksAreCandidates">,
): Promise<readonly BrokenLinkRows[]> {
  const known = options.recheckLinks;
  const candidatesOnly = options.linksAreCandidates === true;
  const findings = await readLinkFindings(
    store.containers.map((container) => ({ store, container })),
    {
      brokenOnly: true,
      // the candidates' rows list the paths to judge
      ...(known === undefined
        ? {}
        : { only: new Map([...known].map(([k, rows]) => [k, pathsOf(rows)] as const)) }),
      // the second read: the native resolver asks each target's host path once, in C
      ...(candidatesOnly ? { askHost: false } : {}),
    },
  );
  for (const e of findings.errors) {
    // a container (and its dir) removed while we looked is not a read error
    if (!e.message.endsWith(": no such file or directory")) r.errors.push(e);
  }
  if (known === undefined) return findings.broken;
  // a re-check is doctor's second and last look: the layers' symlinks and indexes are not needed again (the
  // rows keep only the link text they point into)
  forgetLayerLinks();
  return stillBroken(findings.broken, known);
}

/**
 * Overlay mounts of mountinfo, and every mount point (tmpmounts are matched against them). Under --host-root H
 * the node's mounts are the ones this process sees at or below H (a DaemonSet mounting the node's / at /host
 * with HostToContainer propagation sees /host/run/containerd/…/rootfs), while an overlay's lowerdir/upperdir/
 * workdir keep the node's own paths (the node's runtime mounted it): those get H in front so they compare
 * with the store's paths. A mount outside H is this machine's own, not the node's, and is left out.
 */
export function mountsSeenFrom(all: readonly MountEntry[], hostRoot: string | undefined) {
  const h = hostRoot === undefined || hostRoot === "/" ? undefined : hostRoot.replace(/\/+$/, "");
  const inH = h === undefined ? all : all.filter((m) => isInside(h, m.mountPoint));
  const node = (p: string | null): string | null =>
    p === null || h === undefined || isInside(h, p) || !isAbsolute(p) ? p : `${h}${p}`;
  const overlays: OverlayMountFact[] = inH
    .filter((m) => m.fsType === "overlay")
    .map((m) => {
      const o = overlayOptions(m.superOptions);
      return {
        mountPoint: m.mountPoint,
        lowerdir: o.lowerdir.map((p) => node(p) ?? p),
        upperdir: node(o.upperdir),
        workdir: node(o.workdir),
      };
    });
  return { overlays, mountPoints: new Set(inH.map((m) => m.mountPoint)) };
}

function readMounts(r: FactReader, mountinfoPath: string | undefined, hostRoot: string | undefined) {
  try {
    return mountsSeenFrom(readMountinfo(mountinfoPath), hostRoot);
  } catch (err) {
    r.errors.push({ path: mountinfoPath ?? "/proc/self/mountinfo", message: (err as Error).message });
    return { overlays: [], mountPoints: new Set<string>() };
  }
}

/**
 * Gathers the disk facts around a store read. Cost: a few readdirs and one lstat per entry of the runtime's
 * own dirs (Adapter.readDoctorFacts); a symlink scan of every container's layers (`links`); with `verify`, a
 * full read of every blob, and (`layers`) of every image layer's blob and snapshot files.
 */
export async function gatherDoctorInput(
  meta: MetadataRead,
  options: GatherOptions = {},
): Promise<DoctorInput> {
  const now = options.now ?? Date.now();
  const r = new FactReader();
  const mounts = readMounts(r, options.mountinfoPath, meta.store?.location.hostRoot);
  const verify = options.verify === true;
  const facts =
    options.adapter?.readDoctorFacts?.(meta, {
      reader: r,
      mountPoints: mounts.mountPoints,
      verify,
      layers: options.layers ?? verify,
    }) ?? noDoctorFacts;
  const store = meta.store;
  const brokenLinks =
    store !== null && options.links !== false ? await readBrokenLinks(r, store, options) : undefined;
  return {
    root: meta.root,
    contentRoot: meta.contentRoot,
    now,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    store,
    words: meta.words,
    metadataProblems: meta.metadataProblems,
    ...facts,
    overlayMounts: mounts.overlays,
    ...(brokenLinks === undefined
      ? {}
      : options.linksAreCandidates === true
        ? { linkCandidates: linkCandidates(brokenLinks) }
        : { brokenLinks }),
    rootFact: readRootFact(meta.root),
    readErrors: r.errors,
    ...(meta.overlayDriver === undefined ? {} : { overlayDriver: meta.overlayDriver }),
  };
}

/** Whether `p` lies inside `dir` (both absolute, normalised). */
export function isInside(dir: string, p: string): boolean {
  return isAbsolute(p) && (p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`));
}
