// checks/doctor-input.ts — everything the doctor checks look at, gathered once per read: the store model (or
// why it could not be read) and the disk facts around it. Checks are pure functions of this; only this file
// (and the final size walk in the doctor command) touches the disk.
//
//   <root>                                      lstat / readlink / owner and mode of the link's target
//   <snapshotter home>/snapshots/<name>         every entry, incl. new-* and rm-* temp dirs (mtime, ctime)
//   <content>/blobs/<alg>/<hex>                 every blob file (size, allocated bytes, mtime)
//   <content>/ingest/<hex>/{ref,total,startedat,updatedat,data}
//   <root>/tmpmounts/<name>                     every entry, and whether something is mounted on it
//   /proc/self/mountinfo                        overlay mounts (lowerdir, upperdir, workdir)
// A dir that does not exist lists as empty (containerd creates them lazily); any other read error is kept
// in readErrors and the gathering goes on.

import { createHash } from "node:crypto";
import {
  createReadStream,
  type Dirent,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
} from "node:fs";
import { isAbsolute, join } from "node:path";
import { errnoWords } from "../errors.js";
import { overlayOptions, readMountinfo } from "../fs/mountinfo.js";
import type { SnapshotKind, Store } from "../model/store.js";

/** A snapshotter's own record of a snapshot (its metadata.db), whether or not meta.db names it. */
export interface SnapshotterRecord {
  readonly backendKey: string;
  readonly id: string;
  readonly kind: SnapshotKind | null;
}

export interface EntryFact {
  readonly name: string;
  readonly path: string;
  readonly isDir: boolean;
  readonly mtimeMs: number;
  /** rename() sets ctime: a dir just renamed to rm-* looks young by ctime, not by mtime */
  readonly ctimeMs: number;
}

export interface SnapshotDirFact extends EntryFact {
  /** Whether `<dir>/fs` exists (overlayfs keeps the tree there). */
  readonly hasFs: boolean;
}

export interface SnapshotterFacts {
  readonly name: string;
  /** `<home>/snapshots`: one dir per snapshot id. */
  readonly snapshotsDir: string;
  /** The same dir with symlinks resolved (mountinfo names real paths), or null when it does not exist. */
  readonly realSnapshotsDir: string | null;
  /** Records of the snapshotter's own database. */
  readonly records: readonly SnapshotterRecord[];
  readonly dirs: readonly SnapshotDirFact[];
}

export interface BlobFileFact {
  readonly digest: string;
  readonly path: string;
  readonly isFile: boolean;
  readonly size: number;
  readonly allocatedBytes: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export interface IngestDirFact {
  /** The dir name: sha256 of the backend ref. */
  readonly name: string;
  readonly path: string;
  /** Content of `ref`: the backend ref "<ns>/<seq>/<client ref>", or null when unreadable. */
  readonly ref: string | null;
  /** Expected size (`total`), null when unknown. */
  readonly total: number | null;
  /** Bytes written so far (size of `data`), null when there is no data file. */
  readonly dataSize: number | null;
  readonly startedAt: string | null;
  readonly updatedAt: string | null;
  /** Newest mtime of the dir and its files. */
  readonly mtimeMs: number;
  /** du -s -B1 of the dir (it holds only small files and `data`). */
  readonly allocatedBytes: number;
}

export interface TmpmountFact extends EntryFact {
  readonly isMountPoint: boolean;
}

export interface OverlayMountFact {
  readonly mountPoint: string;
  readonly lowerdir: readonly string[];
  readonly upperdir: string | null;
  readonly workdir: string | null;
}

export interface RootFact {
  readonly path: string;
  readonly isSymlink: boolean;
  /** readlink of the root, when it is a symlink */
  readonly linkTarget: string | null;
  /** The fully resolved root, or null when it does not resolve (dangling link, loop). */
  readonly resolved: string | null;
  /** Owner and mode bits of the resolved dir, when it resolves. */
  readonly targetUid: number | null;
  readonly targetMode: number | null;
}

/** One dir of an overlay driver home (containers/storage overlay, docker overlay2): `<home>/<id>`. */
export interface OverlayLayerDirFact {
  readonly id: string;
  readonly dir: string;
  readonly isDir: boolean;
  /** Its `link` file: the short id, or null when absent. */
  readonly link: string | null;
  /** Its `lower` file's entries ("l/<short>"), nearest parent first; null when absent (a base layer). */
  readonly lower: readonly string[] | null;
  readonly hasDiff: boolean;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** One symlink `<home>/l/<name>` of an overlay driver home. */
export interface ShortLinkFact {
  readonly name: string;
  readonly path: string;
  /** readlink, or null when it is not a symlink. */
  readonly target: string | null;
  /** The layer dir its target names ("../<id>/diff" → id), or null. */
  readonly targetId: string | null;
  readonly resolves: boolean;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** What an overlay-driver store's home holds, beside its records (runtimes with `<home>/l/` short links). */
export interface OverlayDriverFacts {
  readonly driver: string;
  readonly home: string;
  /** Entries of the home that are not layer dirs (`l`, feature-probe files). */
  readonly ignore: readonly string[];
  readonly layers: ReadonlyMap<string, OverlayLayerDirFact>;
  readonly shortLinks: ReadonlyMap<string, ShortLinkFact>;
  /** Layer ids whose record carries containers/storage's `incomplete` flag. */
  readonly incompleteLayers: ReadonlySet<string>;
}

/** A file that could not be read at all (not merely absent). */
export interface ReadProblem {
  readonly path: string;
  readonly message: string;
}

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
  /** Bolt files that did not decode; non-empty means store is null. */
  readonly metadataProblems: readonly ReadProblem[];
  readonly snapshotters: readonly SnapshotterFacts[];
  readonly blobFiles: readonly BlobFileFact[];
  readonly ingestDirs: readonly IngestDirFact[];
  readonly tmpmounts: readonly TmpmountFact[];
  readonly overlayMounts: readonly OverlayMountFact[];
  readonly rootFact: RootFact;
  /** Dirs and files that exist but could not be read; the checks carry on without them. */
  readonly readErrors: readonly ReadProblem[];
  /** blob path → "sha256:<hex>" of its bytes; only gathered for --verify. */
  readonly blobHashes: ReadonlyMap<string, string> | null;
  /** The overlay driver home of a containers/storage (or docker) store; absent for containerd. */
  readonly overlayDriver?: OverlayDriverFacts;
}

/** What the runtime adapter read (the caller, in cli/, knows the runtime). */
export interface MetadataRead {
  readonly root: string;
  readonly contentRoot: string;
  readonly store: Store | null;
  readonly metadataProblems: readonly ReadProblem[];
  readonly snapshotters: readonly {
    readonly name: string;
    readonly snapshotsDir: string;
    readonly records: readonly SnapshotterRecord[];
  }[];
  /** The overlay driver home, read with the records (containers/storage, docker). */
  readonly overlayDriver?: OverlayDriverFacts;
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
}

export const DEFAULT_GRACE_MS = 60_000;

function words(err: unknown): string {
  return errnoWords((err as NodeJS.ErrnoException | undefined)?.code);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

class Reader {
  readonly errors: ReadProblem[] = [];

  /** Entries of a dir; [] when it does not exist. */
  list(dir: string): Dirent[] {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (!isMissing(err)) this.errors.push({ path: dir, message: `cannot list directory: ${words(err)}` });
      return [];
    }
  }

  entry(dir: string, name: string): EntryFact | null {
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      return { name, path, isDir: st.isDirectory(), mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    } catch (err) {
      if (!isMissing(err)) this.errors.push({ path, message: `cannot stat: ${words(err)}` });
      return null; // gone since the listing: removed while we looked
    }
  }

  smallText(path: string): string | null {
    try {
      const st = lstatSync(path);
      if (!st.isFile() || st.size > 4096) return null;
      return readFileSync(path, "utf8");
    } catch (err) {
      if (!isMissing(err)) this.errors.push({ path, message: `cannot read: ${words(err)}` });
      return null;
    }
  }
}

function listSnapshotDirs(r: Reader, snapshotsDir: string): SnapshotDirFact[] {
  const out: SnapshotDirFact[] = [];
  for (const d of r.list(snapshotsDir)) {
    const e = r.entry(snapshotsDir, d.name);
    if (e === null) continue;
    let hasFs = false;
    if (e.isDir) {
      try {
        hasFs = lstatSync(join(e.path, "fs")).isDirectory();
      } catch {
        hasFs = false;
      }
    }
    out.push({ ...e, hasFs });
  }
  return out;
}

function listBlobFiles(r: Reader, contentRoot: string): BlobFileFact[] {
  const out: BlobFileFact[] = [];
  const blobs = join(contentRoot, "blobs");
  for (const alg of r.list(blobs)) {
    if (!alg.isDirectory()) continue;
    const dir = join(blobs, alg.name);
    for (const f of r.list(dir)) {
      const path = join(dir, f.name);
      try {
        const st = lstatSync(path);
        out.push({
          digest: `${alg.name}:${f.name}`,
          path,
          isFile: st.isFile(),
          size: st.size,
          allocatedBytes: st.blocks * 512,
          mtimeMs: st.mtimeMs,
          ctimeMs: st.ctimeMs,
        });
      } catch (err) {
        if (!isMissing(err)) r.errors.push({ path, message: `cannot stat: ${words(err)}` });
      }
    }
  }
  return out;
}

function listIngests(r: Reader, contentRoot: string): IngestDirFact[] {
  const out: IngestDirFact[] = [];
  const base = join(contentRoot, "ingest");
  for (const d of r.list(base)) {
    const path = join(base, d.name);
    let allocated = 0;
    let mtimeMs = 0;
    let dataSize: number | null = null;
    try {
      const st = lstatSync(path);
      allocated += st.blocks * 512;
      mtimeMs = st.mtimeMs;
    } catch (err) {
      if (!isMissing(err)) r.errors.push({ path, message: `cannot stat: ${words(err)}` });
      continue;
    }
    for (const f of r.list(path)) {
      try {
        const st = lstatSync(join(path, f.name));
        allocated += st.blocks * 512;
        mtimeMs = Math.max(mtimeMs, st.mtimeMs);
        if (f.name === "data") dataSize = st.size;
      } catch {
        // removed while we looked: the ingest finished or was aborted
      }
    }
    const text = (name: string) => r.smallText(join(path, name))?.trim() ?? null;
    const total = text("total");
    out.push({
      name: d.name,
      path,
      ref: text("ref"),
      total: total === null || !/^\d+$/.test(total) ? null : Number(total),
      dataSize,
      startedAt: text("startedat"),
      updatedAt: text("updatedat"),
      mtimeMs,
      allocatedBytes: allocated,
    });
  }
  return out;
}

function realpathOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

function readRootFact(root: string): RootFact {
  let isSymlink = false;
  let linkTarget: string | null = null;
  try {
    isSymlink = lstatSync(root).isSymbolicLink();
    if (isSymlink) linkTarget = readlinkSync(root);
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

async function hashFile(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return `sha256:${h.digest("hex")}`;
}

/**
 * Gathers the disk facts around a store read. Cost: a few readdirs and one lstat per snapshot dir, blob
 * file, ingest file and tmpmount; with `verify`, a full read of every sha256 blob.
 */
export async function gatherDoctorInput(
  meta: MetadataRead,
  options: GatherOptions = {},
): Promise<DoctorInput> {
  const now = options.now ?? Date.now();
  const r = new Reader();
  let mounts: OverlayMountFact[] = [];
  let mountPoints = new Set<string>();
  try {
    const all = readMountinfo(options.mountinfoPath);
    mountPoints = new Set(all.map((m) => m.mountPoint));
    mounts = all
      .filter((m) => m.fsType === "overlay")
      .map((m) => {
        const o = overlayOptions(m.superOptions);
        return { mountPoint: m.mountPoint, lowerdir: o.lowerdir, upperdir: o.upperdir, workdir: o.workdir };
      });
  } catch (err) {
    r.errors.push({ path: options.mountinfoPath ?? "/proc/self/mountinfo", message: (err as Error).message });
  }

  const snapshotters = meta.snapshotters.map((s) => ({
    name: s.name,
    snapshotsDir: s.snapshotsDir,
    realSnapshotsDir: realpathOrNull(s.snapshotsDir),
    records: s.records,
    dirs: listSnapshotDirs(r, s.snapshotsDir),
  }));
  const tmpDir = join(meta.root, "tmpmounts");
  const realTmp = realpathOrNull(tmpDir);
  const tmpmounts: TmpmountFact[] = [];
  for (const d of r.list(tmpDir)) {
    const e = r.entry(tmpDir, d.name);
    if (e === null) continue;
    const isMountPoint =
      mountPoints.has(e.path) || (realTmp !== null && mountPoints.has(join(realTmp, d.name)));
    tmpmounts.push({ ...e, isMountPoint });
  }
  const blobFiles = listBlobFiles(r, meta.contentRoot);
  let blobHashes: Map<string, string> | null = null;
  if (options.verify === true) {
    blobHashes = new Map();
    for (const b of blobFiles) {
      if (!b.isFile || !b.digest.startsWith("sha256:")) continue;
      try {
        blobHashes.set(b.path, await hashFile(b.path));
      } catch (err) {
        if (!isMissing(err)) r.errors.push({ path: b.path, message: `cannot read: ${words(err)}` });
      }
    }
  }
  return {
    root: meta.root,
    contentRoot: meta.contentRoot,
    now,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    store: meta.store,
    metadataProblems: meta.metadataProblems,
    snapshotters,
    blobFiles,
    ingestDirs: listIngests(r, meta.contentRoot),
    tmpmounts,
    overlayMounts: mounts,
    rootFact: readRootFact(meta.root),
    readErrors: r.errors,
    blobHashes,
    ...(meta.overlayDriver === undefined ? {} : { overlayDriver: meta.overlayDriver }),
  };
}

/** Whether `p` lies inside `dir` (both absolute, normalised). */
export function isInside(dir: string, p: string): boolean {
  return isAbsolute(p) && (p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`));
}
