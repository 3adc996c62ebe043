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
//   every container's layer dirs                symlinks, resolved in each container's merged root (src/links)
//   --verify: each image layer's blob and its snapshot's fs/ dir, both read whole (layer contents below)
// A dir that does not exist lists as empty (containerd creates them lazily); any other read error is kept
// in readErrors and the gathering goes on.

import { createHash } from "node:crypto";
import { createReadStream, lstatSync, readFileSync, realpathSync, type Stats, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { CrifsError, type ErrorCode, errnoWords } from "../errors.js";
import {
  compareLayer,
  decompressLayer,
  type FoundEntry,
  type LayerEntry,
  maxLayerBytes,
  parseLayer,
} from "../formats/tar/index.js";
import { overlayOptions, readMountinfo } from "../fs/mountinfo.js";
import { fsPath } from "../fs/name-codec.js";
import { direntName, readDirents, readLinkExact } from "../fs/read-exact.js";
import { isOpaqueDir, isWhiteout } from "../fs/xattr.js";
import type { BrokenLink } from "../links/broken-links.js";
import { containerKey, readLinkReport } from "../links/link-report.js";
import { sha256File } from "../links/shared-files.js";
import type { PodLogFacts } from "../logs/log-facts.js";
import type { Image, Snapshot, SnapshotKind, Store } from "../model/store.js";
import type { RuntimeWords } from "../model/words.js";

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

/**
 * A committed snapshot that is an image layer, beside the blob it was unpacked from (image → manifest →
 * layers[i], i its place in the image's chain; config rootfs.diff_ids[i] names the uncompressed tar).
 */
export interface LayerContentFact {
  readonly namespace: string;
  readonly snapshotter: string;
  /** The snapshot's key: the chain id of layers 0..index. */
  readonly key: string;
  /** The snapshot's fs/ dir. */
  readonly path: string;
  /** Its place in the image, base = 0. */
  readonly index: number;
  /** One image that has it ("<ns>/<name>"). */
  readonly image: string;
  readonly blob: { readonly digest: string; readonly path: string; readonly mediaType: string };
  /** What the image's config says the uncompressed tar hashes to. */
  readonly diffId: string;
  /** "sha256:<hex>" of the uncompressed tar as read; null when it could not be read. */
  readonly tarDigest: string | null;
  /**
   * The first differences between the tree the tar describes and the snapshot's (formats/tar compareLayer,
   * at most maxKeptDifferences, sorted by path); null when not compared (the blob could not be read or is
   * not the layer the image names, or the snapshot dir is gone).
   */
  readonly differences: readonly string[] | null;
  /** How many differences there are in all (0 when equal or not compared). */
  readonly differenceCount: number;
  /** Why the blob could not be read or compared (CrifsError code and message), or null. */
  readonly problem: { readonly code: ErrorCode; readonly message: string } | null;
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

/** What the runtime adapter read (the caller, in cli/, knows the runtime). */
export interface MetadataRead {
  readonly root: string;
  readonly contentRoot: string;
  readonly store: Store | null;
  /** The runtime's words (its Adapter's), handed on to the checks. */
  readonly words: RuntimeWords;
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

function words(err: unknown): string {
  return errnoWords((err as NodeJS.ErrnoException | undefined)?.code);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** One name of a listed dir, exact even when it is not UTF-8. */
interface Listed {
  readonly name: string;
  readonly isDirectory: boolean;
}

class Reader {
  readonly errors: ReadProblem[] = [];

  /** Entries of a dir, names exact (fs/name-codec.ts); [] when it does not exist. */
  list(dir: string): Listed[] {
    try {
      return readDirents(dir).map((d) => ({ name: direntName(d), isDirectory: d.isDirectory() }));
    } catch (err) {
      if (!isMissing(err)) this.errors.push({ path: dir, message: `cannot list directory: ${words(err)}` });
      return [];
    }
  }

  entry(dir: string, name: string): EntryFact | null {
    const path = join(dir, name);
    try {
      const st = lstatSync(fsPath(path));
      return { name, path, isDir: st.isDirectory(), mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    } catch (err) {
      if (!isMissing(err)) this.errors.push({ path, message: `cannot stat: ${words(err)}` });
      return null; // gone since the listing: removed while we looked
    }
  }

  smallText(path: string): string | null {
    try {
      const st = lstatSync(fsPath(path));
      if (!st.isFile() || st.size > 4096) return null;
      return readFileSync(fsPath(path), "utf8");
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
        hasFs = lstatSync(fsPath(join(e.path, "fs"))).isDirectory();
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
    if (!alg.isDirectory) continue;
    const dir = join(blobs, alg.name);
    for (const f of r.list(dir)) {
      const path = join(dir, f.name);
      try {
        const st = lstatSync(fsPath(path));
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
      const st = lstatSync(fsPath(path));
      allocated += st.blocks * 512;
      mtimeMs = st.mtimeMs;
    } catch (err) {
      if (!isMissing(err)) r.errors.push({ path, message: `cannot stat: ${words(err)}` });
      continue;
    }
    for (const f of r.list(path)) {
      try {
        const st = lstatSync(fsPath(join(path, f.name)));
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
  r: Reader,
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
  return report.brokenLinks;
}

/** Largest manifest, index or config read (the loader's bound too). */
const maxJsonBlob = 4 * 1024 * 1024;
/** Manifests of an index looked at for the one an image's config belongs to; index nesting followed. */
const maxIndexManifests = 256;
const maxIndexDepth = 4;

function contentPath(contentRoot: string, digest: string): string {
  const [alg = "", hex = ""] = digest.split(":");
  return join(contentRoot, "blobs", alg, hex);
}

function readJsonBlob(contentRoot: string, digest: string): Record<string, unknown> | null {
  try {
    const path = contentPath(contentRoot, digest);
    if (statSync(path).size > maxJsonBlob) return null;
    const v = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null; // missing or not JSON: missing-blob and metadata-corrupt say so
  }
}

interface Descriptor {
  readonly digest: string;
  readonly mediaType: string;
}

function descriptors(v: unknown): Descriptor[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((d) => {
    const x = d as { digest?: unknown; mediaType?: unknown } | null;
    return typeof x?.digest === "string"
      ? [{ digest: x.digest, mediaType: typeof x.mediaType === "string" ? x.mediaType : "" }]
      : [];
  });
}

/** The layers of the manifest (below `digest`, an index or a manifest) whose config is `config`. */
function manifestLayers(contentRoot: string, digest: string, config: string, depth = 0): Descriptor[] | null {
  const doc = readJsonBlob(contentRoot, digest);
  if (doc === null) return null;
  if (Array.isArray(doc.manifests)) {
    if (depth >= maxIndexDepth) return null;
    for (const m of descriptors(doc.manifests).slice(0, maxIndexManifests)) {
      const layers = manifestLayers(contentRoot, m.digest, config, depth + 1);
      if (layers !== null) return layers;
    }
    return null;
  }
  const cfg = (doc.config as { digest?: unknown } | undefined)?.digest;
  return cfg === config ? descriptors(doc.layers) : null;
}

interface LayerJob {
  readonly snapshot: Snapshot;
  readonly index: number;
  readonly image: Image;
  readonly blob: Descriptor;
  readonly diffId: string;
}

/** Each committed snapshot that is some image's layer, with the blob it came from. Cost: small JSON reads. */
function imageLayerJobs(store: Store, contentRoot: string): LayerJob[] {
  const committed = new Map<string, Snapshot>();
  for (const s of store.snapshots)
    if (s.kind === "committed") committed.set(`${s.namespace}\u0000${s.snapshotter}\u0000${s.key}`, s);
  const jobs = new Map<string, LayerJob>();
  for (const image of store.images) {
    if (image.configDigest === null || image.snapshotKeys.length === 0) continue;
    const layers = manifestLayers(contentRoot, image.digest, image.configDigest);
    const cfg = readJsonBlob(contentRoot, image.configDigest);
    const diffIds = (cfg?.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
    if (layers === null || !Array.isArray(diffIds) || layers.length !== diffIds.length) continue;
    image.snapshotKeys.forEach((key, index) => {
      const blob = layers[index];
      const diffId = diffIds[index];
      if (blob === undefined || typeof diffId !== "string" || blob.mediaType.includes("encrypted")) return;
      for (const snapshotter of new Set(store.snapshots.map((s) => s.snapshotter))) {
        const id = `${image.namespace}\u0000${snapshotter}\u0000${key}`;
        const snapshot = committed.get(id);
        if (snapshot !== undefined && !jobs.has(id)) jobs.set(id, { snapshot, index, image, blob, diffId });
      }
    });
  }
  return [...jobs.values()];
}

/** Deepest dir nesting of a snapshot tree entered; deeper is a read error, not a stack overflow. */
const maxTreeDepth = 4096;

/** Linux dev_t → major, minor (glibc's gnu_dev_major/minor, for numbers below 2^32). */
function deviceNumbers(rdev: number): { major: number; minor: number } {
  return { major: (rdev >>> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}

/**
 * Every entry below a snapshot's fs/ dir with what parseLayer describes: kind, mode, size, sha256, symlink
 * target, inode, device numbers, the opaque xattr. Null when the dir is gone. Like du -x, an entry on
 * another device is left out. A file is read for its sha256 only when `expected` has a file of the same size
 * at its path (each inode once): a path the tar lacks, or a size that differs, is a difference without
 * reading a byte, so a planted 16 TiB sparse file costs one lstat (issue 13, item 8). Cost: a full walk and a
 * read of the files that could be equal.
 */
function readSnapshotTree(
  r: Reader,
  root: string,
  expected: ReadonlyMap<string, LayerEntry>,
): Map<string, FoundEntry> | null {
  let rootDev: number;
  try {
    rootDev = lstatSync(fsPath(root)).dev;
  } catch (err) {
    if (!isMissing(err)) r.errors.push({ path: root, message: `cannot stat: ${words(err)}` });
    return null;
  }
  const out = new Map<string, FoundEntry>();
  const hashes = new Map<string, string | null>();
  const stack: { host: string; rel: string; depth: number }[] = [{ host: root, rel: "", depth: 0 }];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    for (const d of r.list(dir.host)) {
      const host = `${dir.host}/${d.name}`;
      const path = `${dir.rel}/${d.name}`;
      let st: Stats;
      try {
        st = lstatSync(fsPath(host));
      } catch (err) {
        if (!isMissing(err)) r.errors.push({ path: host, message: `cannot stat: ${words(err)}` });
        continue;
      }
      if (st.dev !== rootDev) continue;
      const inode = `${st.dev}:${st.ino}`;
      const e = {
        path,
        mode: st.mode & 0o7777,
        size: 0,
        sha256: null,
        target: null,
        inode,
        device: null,
        isOpaque: false,
      };
      if (st.isDirectory()) {
        out.set(path, { ...e, kind: "dir", isOpaque: isOpaqueDir(host, { xattrs: "trusted" }) });
        if (dir.depth + 1 > maxTreeDepth)
          r.errors.push({
            path: host,
            message: `cannot enter directory: nested deeper than ${maxTreeDepth} levels`,
          });
        else stack.push({ host, rel: path, depth: dir.depth + 1 });
      } else if (st.isFile()) {
        const want = expected.get(path);
        const isComparable = want?.kind === "file" && want.size === st.size && want.sha256 !== null;
        let sha = isComparable ? hashes.get(inode) : null;
        if (sha === undefined) {
          try {
            sha = sha256File(host);
          } catch (err) {
            sha = null;
            if (!isMissing(err)) r.errors.push({ path: host, message: `cannot read: ${words(err)}` });
          }
          hashes.set(inode, sha);
        }
        out.set(path, { ...e, kind: "file", size: st.size, sha256: sha });
      } else if (st.isSymbolicLink()) {
        let target: string | null = null;
        try {
          target = readLinkExact(host);
        } catch (err) {
          if (!isMissing(err)) r.errors.push({ path: host, message: `cannot read symlink: ${words(err)}` });
        }
        out.set(path, { ...e, kind: "symlink", target });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const kind = isWhiteout(st) ? "whiteout" : st.isCharacterDevice() ? "char-device" : "block-device";
        out.set(path, { ...e, kind, device: deviceNumbers(st.rdev) });
      } else {
        out.set(path, { ...e, kind: st.isFIFO() ? "fifo" : "socket" });
      }
    }
  }
  return out;
}

/** A layer blob as read: the tar's digest, the tree it describes, or why it could not be read. */
interface LayerTar {
  readonly tarDigest: string | null;
  /** null when the blob could not be read, or is not the tar the image names (not compared then). */
  readonly expected: ReadonlyMap<string, LayerEntry> | null;
  readonly problem: LayerContentFact["problem"];
}

/** A layer blob read, inflated, checked against its diff id and parsed; null when the file is absent. */
function readLayerTar(r: Reader, blobPath: string, diffId: string, isBase: boolean): LayerTar | null {
  let bytes: Buffer;
  try {
    const size = statSync(blobPath).size;
    if (size > maxLayerBytes) {
      const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
      const message = `cannot compare the layer: its blob is ${gib(size)}, and crifs reads at most ${gib(maxLayerBytes)} into memory`;
      return { tarDigest: null, expected: null, problem: { code: "unsupported", message } };
    }
    bytes = readFileSync(blobPath);
  } catch (err) {
    if (!isMissing(err)) r.errors.push({ path: blobPath, message: `cannot read: ${words(err)}` });
    return null;
  }
  try {
    const tar = decompressLayer(bytes);
    const tarDigest = `sha256:${createHash("sha256").update(tar).digest("hex")}`;
    // a tar that is not the one the image names is not compared entry by entry
    return { tarDigest, expected: tarDigest === diffId ? parseLayer(tar, { isBase }) : null, problem: null };
  } catch (err) {
    if (!(err instanceof CrifsError)) throw err;
    return { tarDigest: null, expected: null, problem: { code: err.code, message: err.message } };
  }
}

/** Differences kept per layer (the finding names the first few and counts the rest). */
export const maxKeptDifferences = 64;

/**
 * Each image layer's blob unpacked in memory (formats/tar) and compared with its snapshot's tree on disk,
 * one layer at a time: only the differences are kept (two whole trees of every layer would not fit in
 * memory on a big host). Jobs are taken by blob, so a blob read once serves every snapshot unpacked from
 * it (the same layer in several namespaces) and then is let go. A blob file that is absent is left out
 * (missing-blob's business, or the runtime discarded the blobs of unpacked layers).
 * Cost: every layer blob read and inflated (at most maxLayerBytes each), every image layer walked and
 * every file in it read.
 */
function readLayerContents(r: Reader, store: Store, contentRoot: string): LayerContentFact[] {
  const out: LayerContentFact[] = [];
  const jobs = imageLayerJobs(store, contentRoot);
  const blobKey = (j: LayerJob) => `${j.blob.digest}\u0000${j.snapshot.parent === null}`;
  jobs.sort((a, b) => (blobKey(a) < blobKey(b) ? -1 : blobKey(a) > blobKey(b) ? 1 : 0));
  let last: { key: string; tar: LayerTar | null } | null = null;
  for (const job of jobs) {
    const blobPath = contentPath(contentRoot, job.blob.digest);
    if (last?.key !== blobKey(job)) {
      last = null; // let the previous tree go before reading the next blob
      last = { key: blobKey(job), tar: readLayerTar(r, blobPath, job.diffId, job.snapshot.parent === null) };
    }
    const tar = last.tar;
    if (tar === null) continue;
    const found = tar.expected === null ? null : readSnapshotTree(r, job.snapshot.path, tar.expected);
    const diffs = tar.expected === null || found === null ? null : compareLayer(tar.expected, found);
    out.push({
      namespace: job.snapshot.namespace,
      snapshotter: job.snapshot.snapshotter,
      key: job.snapshot.key,
      path: job.snapshot.path,
      index: job.index,
      image: `${job.image.namespace}/${job.image.name}`,
      blob: { digest: job.blob.digest, path: blobPath, mediaType: job.blob.mediaType },
      diffId: job.diffId,
      tarDigest: tar.tarDigest,
      problem: tar.problem,
      differences: diffs === null ? null : diffs.slice(0, maxKeptDifferences),
      differenceCount: diffs?.length ?? 0,
    });
  }
  // read in blob order (one blob in memory at a time), reported in layer order
  const order = (f: LayerContentFact) =>
    `${f.namespace}\u0000${f.image}\u0000${String(f.index).padStart(6, "0")}\u0000${f.key}`;
  return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

async function hashFile(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return `sha256:${h.digest("hex")}`;
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
    snapshotters,
    blobFiles,
    ingestDirs: listIngests(r, meta.contentRoot),
    tmpmounts,
    overlayMounts: mounts,
    ...(brokenLinks === undefined ? {} : { brokenLinks }),
    ...(layerContents === undefined ? {} : { layerContents }),
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
