// model/doctor-facts.ts — what every runtime hands doctor besides its model: the disk facts around a store
// (snapshot dirs, blob files, ingests, tmpmounts, overlay driver homes, layer contents), each gathered by its
// runtime's adapter (readDoctorMetadata: src/runtimes/<runtime>/doctor-metadata.ts, overlay-driver/;
// readDoctorFacts: src/runtimes/<runtime>/doctor-facts.ts) and read by the checks (src/checks) as data.
// Types and one empty value, no I/O.

import type { ErrorCode } from "../errors.js";
import type { SnapshotKind, Store } from "./store.js";
import type { RuntimeWords } from "./words.js";

/** A snapshotter's own record of a snapshot (its metadata.db), whether or not meta.db names it. */
export interface SnapshotterRecord {
  readonly backendKey: string;
  readonly id: string;
  readonly kind: SnapshotKind | null;
}

/** A path and its times as lstat found them: how the checks tell what is still being written (--grace). */
export interface PathTimes {
  readonly path: string;
  readonly mtimeMs: number;
  /** rename() sets ctime: a dir just renamed to rm-* looks young by ctime, not by mtime */
  readonly ctimeMs: number;
}

export interface EntryFact extends PathTimes {
  readonly name: string;
  readonly isDir: boolean;
}

export interface SnapshotDirFact extends EntryFact {
  /** Whether `<dir>/fs` exists (overlayfs keeps the tree there). */
  readonly hasFs: boolean;
  /** The inode the listing's lstat saw (`crifs repair` plans its `unchanged` guard with it, and ctimeMs).
   * Absent: not read (a test's fact). */
  readonly dev?: number;
  readonly ino?: number;
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

/** One file of containerd's content store, `<content>/blobs/<alg>/<hex>`, as lstat found it. */
export interface BlobFileFact extends PathTimes {
  /** "<alg>:<hex>", from the file's place (what its bytes should hash to). */
  readonly digest: string;
  /** False for anything but a regular file (a dir or a symlink where a blob should be). */
  readonly isFile: boolean;
  readonly size: number;
  readonly allocatedBytes: number;
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
export interface ShortLinkFact extends PathTimes {
  readonly name: string;
  /** readlink, or null when it is not a symlink. */
  readonly target: string | null;
  /** The layer dir its target names ("../<id>/diff" → id), or null. */
  readonly targetId: string | null;
  readonly resolves: boolean;
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

/** What the runtime adapter read (the caller, in cli/, knows the runtime). */
export interface MetadataRead {
  /** The store root as given (may be a symlink). */
  readonly root: string;
  /** containerd's content store; the root itself for runtimes without one. */
  readonly contentRoot: string;
  /** The store model, or null when its metadata could not be read (see metadataProblems). */
  readonly store: Store | null;
  /** How findings speak of this store's runtime (its tools, its files): its Adapter's words, never
   * containerd's for podman. */
  readonly words: RuntimeWords;
  /** Metadata files that did not decode; non-empty means store is null. */
  readonly metadataProblems: readonly ReadProblem[];
  readonly snapshotters: readonly {
    readonly name: string;
    readonly snapshotsDir: string;
    readonly records: readonly SnapshotterRecord[];
  }[];
  /** The overlay driver home, read with the records (containers/storage, docker). */
  readonly overlayDriver?: OverlayDriverFacts;
}

/**
 * What a runtime's adapter reads on disk around its store for doctor, beside its MetadataRead
 * (Adapter.readDoctorFacts): containerd's snapshotter dirs, blobs, ingests and tmpmounts, and with --verify
 * blob digests and layer contents. A runtime without such objects has none of them (noDoctorFacts).
 */
export interface DoctorFacts {
  readonly snapshotters: readonly SnapshotterFacts[];
  readonly blobFiles: readonly BlobFileFact[];
  readonly ingestDirs: readonly IngestDirFact[];
  readonly tmpmounts: readonly TmpmountFact[];
  /** blob path → "sha256:<hex>" of its bytes; only gathered for --verify. */
  readonly blobHashes: ReadonlyMap<string, string> | null;
  /** Every image layer's snapshot beside its blob's contents; only gathered for --verify. */
  readonly layerContents?: readonly LayerContentFact[];
}

/** The facts of a runtime that keeps no objects beside its metadata (its overlay home is read with it). */
export const noDoctorFacts: DoctorFacts = {
  snapshotters: [],
  blobFiles: [],
  ingestDirs: [],
  tmpmounts: [],
  blobHashes: null,
};
