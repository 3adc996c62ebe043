// runtimes/containerd/doctor-facts.ts — the disk facts doctor reads around a containerd store, beside its
// metadata:
//
//   <snapshotter home>/snapshots/<name>         every entry, incl. new-* and rm-* temp dirs (mtime, ctime)
//   <content>/blobs/<alg>/<hex>                 every blob file (size, allocated bytes, mtime)
//   <content>/ingest/<hex>/{ref,total,startedat,updatedat,data}
//   <root>/tmpmounts/<name>                     every entry, and whether something is mounted on it
//   --verify: every sha256 blob read whole for its digest, and every image layer's blob unpacked and compared
//             with its snapshot's files (layer-contents.ts)
// A dir that does not exist lists as empty (containerd creates them lazily); any other read error is noted
// on the FactReader and the gathering goes on.

import { lstatSync, type Stats } from "node:fs";
import { join } from "node:path";
import { type FactReader, realpathOrNull } from "../../fs/fact-reader.js";
import { sha256File } from "../../fs/file-hash.js";
import { listStats, STAT_STRIDE } from "../../fs/list-stats.js";
import { fsPath } from "../../fs/name-codec.js";
import type {
  BlobFileFact,
  DoctorFacts,
  EntryFact,
  IngestDirFact,
  MetadataRead,
  PathTimes,
  SnapshotDirFact,
  TmpmountFact,
} from "../../model/doctor-facts.js";
import type { DoctorFactsOptions } from "../index.js";
import { readLayerContents } from "./layer-contents.js";

/** lstat, or null on any error (what it means is another listing's to say). */
function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(fsPath(path));
  } catch {
    return null;
  }
}

function pathTimes(path: string, st: Stats): PathTimes {
  return { path, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

function entry(r: FactReader, dir: string, name: string): EntryFact | null {
  const path = join(dir, name);
  const st = r.lstat(path);
  // null: gone since the listing, removed while we looked
  return st === null ? null : { ...pathTimes(path, st), name, isDir: st.isDirectory() };
}

/** A dir of snapshots/ as the listing saw it. A class, not an object literal: a literal with a getter costs
 * V8 a slow path per object (10^4 leaked dirs: some 0.2 s of an apply's CPU); the class's getter lives on its
 * prototype, so a spread of the fact ({...d}) leaves hasFs out. */
class ListedSnapshotDir implements SnapshotDirFact {
  #hasFs: boolean | undefined;

  constructor(
    readonly path: string,
    readonly name: string,
    readonly isDir: boolean,
    readonly mtimeMs: number,
    readonly ctimeMs: number,
    readonly dev: number,
    readonly ino: number,
  ) {}

  /** Whether `<dir>/fs` is a dir: looked at once, when asked. */
  get hasFs(): boolean {
    this.#hasFs ??= this.isDir && lstatOrNull(join(this.path, "fs"))?.isDirectory() === true;
    return this.#hasFs;
  }
}

/** Every entry of snapshots/: one readdir and one lstat each (its times: how old an unnamed dir is; its dev and
 * ino: the identity `crifs repair` plans with), packed (fs/list-stats.ts: in C when the addon is built). Whether
 * it holds fs/ is looked at only when asked (missing-snapshot-dir asks of the dirs a record names): the
 * listing of 10^4 leaked dirs costs one lstat each, not two. */
function listSnapshotDirs(r: FactReader, snapshotsDir: string): SnapshotDirFact[] {
  const { names, stats } = listStats(r, snapshotsDir);
  const out: SnapshotDirFact[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const at = i * STAT_STRIDE;
    out[i] = new ListedSnapshotDir(
      join(snapshotsDir, name),
      name,
      stats[at] === 1,
      stats[at + 1] as number,
      stats[at + 2] as number,
      stats[at + 3] as number,
      stats[at + 4] as number,
    );
  }
  return out;
}

function listBlobFiles(r: FactReader, contentRoot: string): BlobFileFact[] {
  const out: BlobFileFact[] = [];
  const blobs = join(contentRoot, "blobs");
  for (const alg of r.list(blobs)) {
    if (!alg.isDirectory) continue;
    const dir = join(blobs, alg.name);
    for (const f of r.list(dir)) {
      const path = join(dir, f.name);
      const st = r.lstat(path);
      if (st === null) continue;
      out.push({
        ...pathTimes(path, st),
        digest: `${alg.name}:${f.name}`,
        isFile: st.isFile(),
        size: st.size,
        allocatedBytes: st.blocks * 512,
      });
    }
  }
  return out;
}

function listIngests(r: FactReader, contentRoot: string): IngestDirFact[] {
  const out: IngestDirFact[] = [];
  const base = join(contentRoot, "ingest");
  for (const d of r.list(base)) {
    const path = join(base, d.name);
    const dirStat = r.lstat(path);
    if (dirStat === null) continue;
    let allocated = dirStat.blocks * 512;
    let mtimeMs = dirStat.mtimeMs;
    let dataSize: number | null = null;
    for (const f of r.list(path)) {
      // null: removed while we looked, the ingest finished or was aborted (not a read error)
      const st = lstatOrNull(join(path, f.name));
      if (st === null) continue;
      allocated += st.blocks * 512;
      mtimeMs = Math.max(mtimeMs, st.mtimeMs);
      if (f.name === "data") dataSize = st.size;
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

function listTmpmounts(r: FactReader, root: string, mountPoints: ReadonlySet<string>): TmpmountFact[] {
  const tmpDir = join(root, "tmpmounts");
  const realTmp = realpathOrNull(tmpDir);
  const out: TmpmountFact[] = [];
  for (const d of r.list(tmpDir)) {
    const e = entry(r, tmpDir, d.name);
    if (e === null) continue;
    const isMountPoint =
      mountPoints.has(e.path) || (realTmp !== null && mountPoints.has(join(realTmp, d.name)));
    out.push({ ...e, isMountPoint });
  }
  return out;
}

/** "sha256:<hex>" of every sha256 blob file, by path. Cost: a full read of all content. */
function hashBlobs(r: FactReader, blobFiles: readonly BlobFileFact[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of blobFiles) {
    if (!b.isFile || !b.digest.startsWith("sha256:")) continue;
    try {
      out.set(b.path, `sha256:${sha256File(b.path)}`);
    } catch (err) {
      r.note(b.path, "read", err);
    }
  }
  return out;
}

/**
 * The disk facts around a containerd store's metadata (Adapter.readDoctorFacts). Cost: a few readdirs and one
 * lstat per snapshot dir, blob file, ingest file and tmpmount; with `verify`, a full read of every sha256 blob;
 * with `layers`, of every image layer's blob and snapshot files.
 */
export function readContainerdDoctorFacts(meta: MetadataRead, options: DoctorFactsOptions): DoctorFacts {
  const r = options.reader;
  const snapshotters = meta.snapshotters.map((s) => ({
    name: s.name,
    snapshotsDir: s.snapshotsDir,
    realSnapshotsDir: realpathOrNull(s.snapshotsDir),
    records: s.records,
    dirs: listSnapshotDirs(r, s.snapshotsDir),
  }));
  const tmpmounts = listTmpmounts(r, meta.root, options.mountPoints);
  const blobFiles = listBlobFiles(r, meta.contentRoot);
  const facts: DoctorFacts = {
    snapshotters,
    blobFiles,
    ingestDirs: listIngests(r, meta.contentRoot),
    tmpmounts,
    blobHashes: options.verify ? hashBlobs(r, blobFiles) : null,
  };
  if (!options.layers || meta.store === null) return facts;
  return { ...facts, layerContents: readLayerContents(r, meta.store, meta.contentRoot) };
}
