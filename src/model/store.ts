// model/store.ts — the one storage model every runtime adapter fills. Readonly data, no I/O.
//
// Vocabulary (fixed here, used everywhere outside src/runtimes/):
//   store      one runtime's storage: its root dir, state dir and what they hold
//   namespace  containerd's namespace; runtimes without namespaces use "" (one implicit namespace)
//   image      a named reference to content (a manifest or index), with the layers it unpacks to
//   snapshot   one filesystem layer on disk: committed (read-only image layer), active (writable, a
//              container's upper dir) or view (read-only mount of a committed chain). containers/storage
//              and Docker call these layers; they fill this type too.
//   parent     the snapshot below this one; a chain runs from a snapshot to its base through parents
//   container  metadata for something that runs on top of a snapshot; its task is the running process
//   blob       one content-addressed object in the content store
//   lease      a named hold on resources against garbage collection
//   ingest     a content write in progress (or abandoned)
// Runtime words (containerd's "key", overlay's "link", docker's "cache-id") stay in their adapter or travel in
// fields named runtime*.

export type RuntimeId = "containerd" | "crio" | "podman" | "docker";
export type SnapshotKind = "committed" | "active" | "view";
export type TaskStatus = "running" | "stopped" | "paused" | "created" | "unknown";

export type Labels = Readonly<Record<string, string>>;

export interface Snapshot {
  readonly namespace: string;
  /** Snapshotter (containerd) or storage driver (containers/storage, docker), e.g. "overlayfs". */
  readonly snapshotter: string;
  /** The name the runtime's API knows it by (containerd: the snapshot key; committed ones are chain ids). */
  readonly key: string;
  /** The parent's key in the same namespace and snapshotter, or null for a base layer. */
  readonly parent: string | null;
  readonly kind: SnapshotKind;
  /** The snapshotter's directory id (containerd overlayfs: the numeric dir name), as a string. */
  readonly id: string;
  /** Absolute path of the snapshot's file tree (overlay: the lower/upper dir). */
  readonly path: string;
  /** The whole per-snapshot dir the runtime created and removes (containerd: snapshots/<id>; containers/storage:
   * overlay/<layer id>; docker: overlay2/<cache id>). `path` and `workPath` lie inside it. */
  readonly dir: string;
  /** Absolute path of its overlay workdir, when it has one. */
  readonly workPath: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly labels: Labels;
  /** Bytes and inodes the snapshotter recorded at commit (containerd overlayfs), when it did. */
  readonly recordedSize: { readonly bytes: number; readonly inodes: number } | null;
  /** The runtime's own name for the record, e.g. containerd's backend key "<ns>/<seq>/<name>". */
  readonly runtimeKey: string;
  /** The path a mount names this snapshot by when it is a lower layer, when not `path` (containers/storage and
   * docker overlay: the short link `<home>/l/<short>`). */
  readonly lowerPath?: string;
  /** What could not be read about it (a parent chain that is broken, a duplicate record), when anything. */
  readonly readError?: ReadError;
}

/** Something about an object its runtime's files did not let crifs read: read commands show `?` (table) or
 * `error` (JSON) for it instead of an empty value or 0 B; doctor reports the cause. */
export interface ReadError {
  /** The file that holds the bad or missing record. */
  readonly path: string;
  readonly message: string;
}

export interface Image {
  readonly namespace: string;
  readonly name: string;
  /** Digest of the target (manifest or index). */
  readonly digest: string;
  readonly mediaType: string;
  /** Size of the target blob in bytes. */
  readonly size: number;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly labels: Labels;
  /** Digest of the image config for this platform, when the content store holds it. */
  readonly configDigest: string | null;
  /** Snapshot keys of its unpacked layers, base first (containerd: chain ids), when known. */
  readonly snapshotKeys: readonly string[];
  /** Set when its manifest, config or layer chain could not be read (`size`, `snapshotKeys` are then unknown). */
  readonly readError?: ReadError;
}

export interface Task {
  readonly status: TaskStatus;
  /** The init process id (as the runtime recorded it), or 0 when none. */
  readonly pid: number;
  /** The OCI bundle dir, when known. */
  readonly bundle: string | null;
  /** Where the container's root is mounted while it runs. */
  readonly rootfs: string | null;
}

export interface Container {
  readonly namespace: string;
  readonly id: string;
  /** Names the runtime knows it by besides its id (podman: `--name`), when it has any. */
  readonly names?: readonly string[];
  /** The image name it was created from ("" when the runtime did not record one). */
  readonly image: string;
  readonly snapshotter: string;
  /** Key of its writable snapshot in `snapshotter` ("" when none). */
  readonly snapshotKey: string;
  readonly runtime: string;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly labels: Labels;
  /** The OCI runtime spec it was created with, when the runtime stores one (containerd: the `spec` Any). */
  readonly spec: unknown;
  readonly task: Task | null;
  /** The Kubernetes pod it belongs to (CRI, or the `io.kubernetes.*` labels kubelet sets), null when none;
   * absent for runtimes that have no pods. A pod's sandbox container has `containerName` "POD". */
  readonly pod?: ContainerPod | null;
  /** Set when the image or writable layer it names is not in the metadata (or its layer chain is broken). */
  readonly readError?: ReadError;
}

export interface ContainerPod {
  readonly podNamespace: string;
  readonly podName: string;
  readonly podUid: string;
  readonly containerName: string;
}

export type PodState = "ready" | "notready";

/** A Kubernetes pod sandbox (CRI's PodSandbox): the pause container and the pod's shared namespaces. */
export interface Pod {
  /** The runtime namespace it lives in (containerd: "k8s.io"). */
  readonly namespace: string;
  /** The sandbox id (the pause container's id). */
  readonly id: string;
  readonly podName: string;
  readonly podNamespace: string;
  readonly podUid: string;
  readonly attempt: number;
  readonly state: PodState;
  readonly createdAt: string | null;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly runtimeHandler: string;
}

export interface Blob {
  readonly namespace: string;
  readonly digest: string;
  readonly size: number;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly labels: Labels;
  /** Absolute path of the blob file in the content store. */
  readonly path: string;
}

export interface Lease {
  readonly namespace: string;
  readonly id: string;
  readonly createdAt: string | null;
  readonly labels: Labels;
  /** What it holds, by kind: blob digests, ingest refs, and snapshots as "<snapshotter>/<key>". */
  readonly resources: {
    readonly content: readonly string[];
    readonly ingests: readonly string[];
    readonly snapshots: readonly string[];
  };
}

export interface Ingest {
  readonly namespace: string;
  /** The client's ref (the name the writer chose). */
  readonly ref: string;
  /** containerd's backend ref "<ns>/<seq>/<ref>"; its sha256 names the ingest dir. */
  readonly runtimeKey: string;
  readonly expiresAt: string | null;
}

export interface Namespace {
  readonly name: string;
  readonly labels: Labels;
}

/** The runtime version that keeps a store, and what said so (info's `runtimeVersion`: docs/json.md#info). */
export interface RuntimeVersion {
  /** As the runtime prints it ("2.1.9", "1.7.24~ds1"), or a line the store's markers prove ("2.x", "2.1+"). */
  readonly version: string;
  /** daemon: its API; process: the running daemon's binary; binary: the one on PATH; store: on-disk markers. */
  readonly source: "daemon" | "process" | "binary" | "store";
}

/** Where a store lives and how it was found. */
export interface StoreLocation {
  readonly runtime: RuntimeId;
  readonly root: string;
  readonly state: string | null;
  /** The config file read, or null when defaults were used. */
  readonly configPath: string | null;
  /** --host-root: the dir standing for the node's /, inside which every path above was resolved. */
  readonly hostRoot?: string;
  /** The root as its config (or default) names it, when that is a symlink or passes through one. */
  readonly rootLink?: RootLink;
}

/** A root reached through a symlink: `/var/lib/containerd` → `/data/containerd`, both as the node sees them
 * (inside the host root when there is one). */
export interface RootLink {
  /** The path as named. */
  readonly path: string;
  /** Where it leads: canonical, every symlink followed. */
  readonly target: string;
}

/** Something the loader found it could not place in the model (a record it could not decode, a join that
 * failed). Loading goes on; doctor turns these into findings. */
export interface Anomaly {
  readonly path: string;
  readonly subject: string;
  readonly message: string;
}

/**
 * A dir (or file) of a store with a known role, so that du and the leak checks need no runtime knowledge:
 *   snapshot-home   holds one dir per snapshot (names not claimed by a snapshot's `dir` are leaks, except `ignore`)
 *   content-blobs, ingest, tmpmounts, metadata, container-data, logs   what du calls them
 */
export type AreaRole =
  | "snapshot-home"
  | "content-blobs"
  | "ingest"
  | "tmpmounts"
  | "metadata"
  | "container-data"
  | "logs";

export interface StoreArea {
  readonly role: AreaRole;
  readonly path: string;
  /** Entry names in a snapshot-home that are not snapshots (e.g. overlay's `l` dir of short links). */
  readonly ignore?: readonly string[];
}

export interface Store {
  readonly location: StoreLocation;
  /** Runtime settings that matter to an operator (snapshotter, sandbox image, plugin dirs…). */
  readonly settings: Readonly<Record<string, string>>;
  readonly namespaces: readonly Namespace[];
  readonly images: readonly Image[];
  readonly snapshots: readonly Snapshot[];
  readonly containers: readonly Container[];
  readonly blobs: readonly Blob[];
  readonly leases: readonly Lease[];
  readonly ingests: readonly Ingest[];
  readonly anomalies: readonly Anomaly[];
  /** The store's dirs by role (du attributes them; leak checks list the snapshot homes). */
  readonly areas: readonly StoreArea[];
  /** Kubernetes pod sandboxes (containerd with CRI); absent for runtimes without pods. */
  readonly pods?: readonly Pod[];
  /** Where the records came from: the runtime's API over its socket ("live") or its files ("disk", the
   * default when absent). */
  readonly source?: StoreSource;
  /** The runtime version found (runtimes/<runtime>/…); null or absent when nothing says. */
  readonly runtimeVersion?: RuntimeVersion | null;
}

export interface StoreSource {
  readonly kind: "live" | "disk";
  /** The socket read (live), or null. */
  readonly address: string | null;
}
