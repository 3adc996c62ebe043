// runtimes/index.ts — the adapter list: one entry per runtime, a plain array (no import side effects).
// detect() says whether a runtime's store is on this host (or, with a root, whether the dir looks like its
// store) without reading metadata; load() builds the model.
// "Absent" and "not allowed to look" differ: detect() says false only for what is not there (fs/path-exists);
// a store a non-root user cannot read throws "permission denied" naming the path (exit 77).
// With a host root (--host-root) every path, flags' and configs' alike, is the node's, resolved inside it.

import { join } from "node:path";
import { CrifsError } from "../errors.js";
import type { FactReader } from "../fs/fact-reader.js";
import { pathExists } from "../fs/path-exists.js";
import { resolveNodePath } from "../fs/resolve-node-path.js";
import type { LiveOptions } from "../live/cri.js";
import type { DoctorFacts, MetadataRead } from "../model/doctor-facts.js";
import type { RuntimeId, RuntimeVersion, Store } from "../model/store.js";
import type { RuntimeWords } from "../model/words.js";
import type { DiffConvention } from "../overlay/diff-changes.js";
import type { ApiRequest } from "../repair/action.js";
import { checkContainerdApiRequest, runContainerdApiRequest } from "./containerd/api-repair.js";
import { DEFAULT_ROOT, readContainerdConfig } from "./containerd/config.js";
import { readContainerdDoctorFacts } from "./containerd/doctor-facts.js";
import { readContainerdDoctorMetadata } from "./containerd/doctor-metadata.js";
import { type FoundRef, findContainerdRef } from "./containerd/find-snapshot.js";
import { containerdVersion, loadContainerdLive } from "./containerd/live.js";
import { loadContainerd, META_DB } from "./containerd/load.js";
import { findContainerdVersion } from "./containerd/runtime-version.js";
import { containerdServedRoot } from "./containerd/served-root.js";
import { containerdWords } from "./containerd/words.js";
import { checkPodmanApiRequest, runPodmanApiRequest } from "./containers-storage/api-repair.js";
import { DEFAULT_GRAPHROOT, readStorageConfig } from "./containers-storage/config.js";
import { type CrioView, readCrioContainerView, readCrioDaemonView } from "./containers-storage/crio-info.js";
import { containersStorageDiff } from "./containers-storage/diff-convention.js";
import { readContainersStorageDoctorMetadata } from "./containers-storage/doctor-metadata.js";
import { LAYERS_JSON, loadContainersStorage } from "./containers-storage/load.js";
import { crioWords, podmanWords } from "./containers-storage/words.js";
import { makeDockerAdapter } from "./docker/adapter.js";
import type { DockerApiView } from "./docker/docker-api.js";
import { binaryOrMarker, versionAfterWord, versionOfBinary } from "./runtime-version.js";

export type { FoundRef };

export interface LoadOptions {
  readonly root?: string | undefined;
  readonly state?: string | undefined;
  readonly config?: string | undefined;
  /** --host-root: the dir standing for the node's /; root, state and config are resolved inside it. */
  readonly hostRoot?: string | undefined;
}

/** Where to ask the daemons that have an HTTP API on a unix socket (docker, CRI-O). */
export interface DaemonSockets {
  /** --docker-host (unix://…); default $DOCKER_HOST, else /var/run/docker.sock */
  readonly dockerHost?: string;
  /** --crio-socket; default /var/run/crio/crio.sock */
  readonly crioSocket?: string;
  /** Deadline of each call in ms (--timeout). */
  readonly timeoutMs: number;
}

/** What doctor's fact gathering is given (Adapter.readDoctorFacts). */
export interface DoctorFactsOptions {
  /** Where read errors are noted (they become unreadable-path findings); the gathering goes on past them. */
  readonly reader: FactReader;
  /** Every mount point of mountinfo (a tmpmount with something mounted on it is in use). */
  readonly mountPoints: ReadonlySet<string>;
  /** --verify: read every blob whole for its digest. */
  readonly verify: boolean;
  /** Unpack every image layer's blob and compare it with its snapshot's files (--verify with
   * layer-content-mismatch). */
  readonly layers: boolean;
}

/** A daemon's own version through its API (`crifs version`'s `containerd` field: docs/json.md#version). */
export interface DaemonVersion {
  readonly version: string;
  readonly revision: string;
}

/** A daemon's own view of its store (info's `daemon` field: docs/json.md#info). */
export type DaemonView = DockerApiView | CrioView;

export interface Adapter {
  readonly id: RuntimeId;
  /** The default root, for messages. */
  readonly defaultRoot: string;
  /** How findings and notes speak of this runtime: its tools and files (src/runtimes/<runtime>/words.ts). */
  readonly words: RuntimeWords;
  /** Whose overlay option order its mounts follow: containerd's snapshotter (which also honours the overlay
   * module's index parameter) or an overlay driver (containers/storage, docker overlay2). */
  readonly mountStyle: "containerd" | "overlay-driver";
  /** How the runtime's own diff reports a container's changes (overlay/diff-changes.ts). Absent: the merged
   * trees compared (docker's rules; containerd has no diff of its own), nothing left out. */
  readonly diffConvention?: DiffConvention;
  /** True when this runtime's store is at the given root, or (no root) in its default or configured place. */
  detect(options: LoadOptions): boolean;
  load(options: LoadOptions): Store;
  /** The container or snapshot `ref` names exactly (in `namespace` when given), with its snapshot's dir, read
   * from the few records it needs (containerd: bolt lookups, containerd/find-snapshot.ts); null when only the
   * loaded store can say (a prefix, an image, two matches). Absent: load the store. */
  readonly findRef?: (options: LoadOptions, ref: string, namespace: string | undefined) => FoundRef | null;
  /** What doctor reads before its checks run: the model (null when a metadata file does not decode, with the
   * problem said), the runtime's own records and dir listings' roots. Cost: metadata and home listings. */
  readDoctorMetadata(options: LoadOptions): MetadataRead;
  /** What doctor reads on disk around the store beside its metadata: the runtime's own objects (containerd's
   * snapshotter dirs, blobs, ingests, tmpmounts; with options.layers every image layer's contents). Absent
   * when the runtime keeps none beyond what readDoctorMetadata reads (an overlay driver's home is read there,
   * with the records it is compared with). Cost: listings of those dirs; with verify, all content. */
  readonly readDoctorFacts?: (meta: MetadataRead, options: DoctorFactsOptions) => DoctorFacts;
  /** The socket of the runtime's own API as its config names it (containerd's grpc.address), null when it
   * names none; absent for runtimes crifs does not read live. */
  readonly configuredSocket?: (options: LoadOptions) => string | null;
  /** The store read through the runtime's own API on `socket` (containerd); absent for runtimes crifs does not
   * read live. Every call has the deadline options.timeoutMs. */
  readonly loadLive?: (socket: string, options: LiveOptions) => Promise<Store>;
  /** The runtime's own version through its API on `socket` (containerd's Version service); throws when it
   * does not answer. Absent for runtimes crifs does not read live. */
  readonly readVersion?: (socket: string, timeoutMs: number) => Promise<DaemonVersion>;
  /** The daemon's own view of the store, when its socket is there and it names this store's root (another
   * daemon on the host keeps another store); throws when the socket fails. Absent: no such API. */
  readonly readDaemonView?: (store: Store, sockets: DaemonSockets) => Promise<DaemonView | undefined>;
  /** The daemon's own view of one container (rootfs mount point, log path, pid), undefined when its socket is
   * not there; throws when it fails. Absent: no such API. */
  readonly readContainerView?: (id: string, sockets: DaemonSockets) => Promise<object | undefined>;
  /** The runtime version that keeps a store read from disk, asking what load() does not (a binary's
   * --version: an exec); null when nothing says. Absent: the store's own runtimeVersion is all there is. */
  readonly readRuntimeVersion?: (store: Store) => RuntimeVersion | null;
  /** Makes one repair through the runtime's own API on `socket` (containerd's gRPC socket, Docker's Engine
   * API socket; podman runs its own CLI and ignores it): one call bounded by `timeoutMs`, throwing a
   * CrifsError line when the runtime refuses or does not answer. Absent: the runtime has no such API. */
  readonly runApiRequest?: (request: ApiRequest, socket: string, timeoutMs: number) => Promise<void>;
  /** The root the daemon on `socket` serves, asked of the daemon (containerd's Introspection, dockerd's
   * DockerRootDir), null when it does not say; throws a CrifsError line when the socket fails. The repair
   * calls the API only when it is the root being repaired. Absent: no daemon (podman names --root itself). */
  readonly readServedRoot?: (socket: string, timeoutMs: number) => Promise<string | null>;
  /** Re-proves through the same API, just before runApiRequest, that the record is still as planned (still
   * there; no container, running task, lease, image or child names it): null, or the reason to skip it. */
  readonly checkApiRequest?: (
    request: ApiRequest,
    socket: string,
    timeoutMs: number,
    options?: ApiCheckOptions,
  ) => Promise<string | null>;
}

/** What checkApiRequest compares a record's last change with (an ingest written to recently is in use). */
export interface ApiCheckOptions {
  /** doctor's --grace. Default 60 s. */
  readonly graceMs?: number;
  /** Milliseconds since the epoch. Default: now. */
  readonly now?: number;
}

/** Rethrows a permission error (the caller must say it); anything else is the load's to report. */
function rethrowPermission(err: unknown): void {
  if (err instanceof CrifsError && err.code === "permission") throw err;
}

export const containerdAdapter: Adapter = {
  id: "containerd",
  defaultRoot: DEFAULT_ROOT,
  words: containerdWords,
  mountStyle: "containerd",
  detect(options) {
    if (options.root !== undefined && options.hostRoot === undefined)
      return pathExists(join(options.root, META_DB));
    let root: string;
    try {
      root = readContainerdConfig({
        path: options.config,
        root: options.root,
        hostRoot: options.hostRoot,
      }).root;
    } catch (err) {
      rethrowPermission(err);
      return true; // a malformed config still lets load() report the error
    }
    return pathExists(join(root, META_DB));
  },
  load: (options) => loadContainerd(options),
  findRef: (options, ref, namespace) => findContainerdRef(options, ref, namespace),
  readDoctorMetadata: (options) => readContainerdDoctorMetadata(options),
  readDoctorFacts: (meta, options) => readContainerdDoctorFacts(meta, options),
  configuredSocket(options) {
    try {
      return readContainerdConfig({ path: options.config, state: options.state }).grpcAddress;
    } catch {
      return null;
    }
  },
  loadLive: (socket, options) => loadContainerdLive(socket, options),
  readVersion: (socket, timeoutMs) => containerdVersion(socket, timeoutMs),
  runApiRequest: (request, socket, timeoutMs) => runContainerdApiRequest(request, socket, timeoutMs),
  readServedRoot: (socket, timeoutMs) => containerdServedRoot(socket, timeoutMs),
  checkApiRequest: (request, socket, timeoutMs, options) =>
    checkContainerdApiRequest(request, socket, timeoutMs, options),
  readRuntimeVersion(store) {
    // a node's disk: no process or binary of this machine is the node's; the markers load() read are all
    if (store.location.hostRoot !== undefined) return store.runtimeVersion ?? null;
    const config = readContainerdConfig({
      path: store.location.configPath ?? undefined,
      root: store.location.root,
      state: store.location.state ?? undefined,
    });
    return findContainerdVersion(config);
  },
};

function isCrioInstalled(hostRoot: string | undefined): boolean {
  return ["/etc/crio", "/usr/bin/crio", "/usr/local/bin/crio"].some(
    (p) => resolveNodePath(p, hostRoot).exists,
  );
}

/** Which of the two a c/storage graphroot belongs to: podman keeps libpod/ in it; CRI-O does not. */
function claims(id: "podman" | "crio", graphroot: string, hostRoot: string | undefined): boolean {
  if (!pathExists(join(graphroot, LAYERS_JSON))) return false;
  const byPodman = pathExists(join(graphroot, "libpod")) || !isCrioInstalled(hostRoot);
  return id === "podman" ? byPodman : !byPodman;
}

/** Podman and CRI-O share containers/storage: one loader; CRI-O also reads crio.conf for its root. With a
 * root, detection is by layout alone (`overlay-layers/layers.json`; libpod/ or no CRI-O says podman). */
function containersStorageAdapter(id: "podman" | "crio"): Adapter {
  return {
    id,
    defaultRoot: DEFAULT_GRAPHROOT,
    words: id === "podman" ? podmanWords : crioWords,
    mountStyle: "overlay-driver",
    diffConvention: containersStorageDiff,
    detect(options) {
      const { hostRoot } = options;
      if (options.root !== undefined && hostRoot === undefined) return claims(id, options.root, hostRoot);
      let graphroot: string;
      try {
        const c = readStorageConfig({
          path: options.config,
          root: options.root,
          runroot: options.state,
          crio: id === "crio",
          hostRoot,
        });
        graphroot = c.graphroot;
      } catch (err) {
        rethrowPermission(err);
        return false; // a config of another runtime (--config names containerd's) is not ours
      }
      return claims(id, graphroot, hostRoot);
    },
    load: (options) => loadContainersStorage({ ...options, runtime: id }),
    readDoctorMetadata: (options) => readContainersStorageDoctorMetadata({ ...options, runtime: id }),
    // podman on PATH when it agrees with the graphroot's markers, else the markers (an exec: `info` only)
    ...(id === "podman"
      ? {
          readRuntimeVersion: (store: Store) =>
            binaryOrMarker(store.runtimeVersion ?? null, store.location.hostRoot, () =>
              versionOfBinary("podman", versionAfterWord),
            ),
          // podman's own CLI (no daemon, no socket): what c/storage does itself when podman opens the store
          runApiRequest: (request: ApiRequest, _socket: string, timeoutMs: number) =>
            runPodmanApiRequest(request, timeoutMs),
          checkApiRequest: (request: ApiRequest) => checkPodmanApiRequest(request),
        }
      : {}),
    ...(id === "crio"
      ? { readDaemonView: readCrioDaemonView, readContainerView: readCrioContainerView }
      : {}),
  };
}

export const podmanAdapter = containersStorageAdapter("podman");
/** Docker reads a data-root that keeps its images in containerd through the containerd adapter. */
export const dockerAdapter: Adapter = makeDockerAdapter(containerdAdapter);
export const crioAdapter = containersStorageAdapter("crio");

export const adapters: readonly Adapter[] = [containerdAdapter, podmanAdapter, crioAdapter, dockerAdapter];

export function adapterFor(id: string): Adapter | undefined {
  return adapters.find((a) => a.id === id);
}

/** The adapter of a runtime that --runtime or a store names; a usage error naming the known ones if none. */
export function requireAdapter(id: string): Adapter {
  const a = adapterFor(id);
  if (a === undefined) {
    throw new CrifsError("usage", `unknown runtime "${id}"`, {
      remedy: `use one of ${adapters.map((x) => x.id).join(", ")}`,
    });
  }
  return a;
}

/** The adapter that reads a store live through its runtime's API (containerd), if any. */
export function liveAdapter(): Adapter | undefined {
  return adapters.find((a) => a.loadLive !== undefined);
}

/** The words of a runtime (containerd's for an id no adapter has, which only a live store could carry). */
export function wordsFor(id: RuntimeId): RuntimeWords {
  return adapterFor(id)?.words ?? containerdWords;
}

// Types the adapters' daemon views are made of (DaemonView); no runtime's function or value is exported here
// but through an Adapter (layout.test.ts).
export type { CrioView } from "./containers-storage/crio-info.js";
export type { DockerApiView } from "./docker/docker-api.js";
