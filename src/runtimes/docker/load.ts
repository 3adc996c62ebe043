// runtimes/docker/load.ts — builds the storage model from a Docker (20.10, overlay2) data-root, offline:
//
//   <data-root>/image/overlay2/
//     repositories.json                       {"Repositories":{"<repo>":{"<repo>:<tag>":"sha256:<image id>",…}}}
//     imagedb/content/sha256/<image id>       image config JSON (rootfs.diff_ids → chain ids)
//     imagedb/metadata/sha256/<id>/parent     sha256:<parent image id> (docker commit); lastUpdated
//     layerdb/sha256/<chain id>/              cache-id (→ overlay2/<cache-id>), parent (sha256:<chain id>),
//                                             diff (sha256:<diff id>), size, tar-split.json.gz
//     layerdb/mounts/<container id>/          mount-id (→ overlay2/<mount-id>), init-id (<mount-id>-init),
//                                             parent (sha256:<chain id of the image's top layer>)
//   <data-root>/containers/<id>/config.v2.json   ID, Name "/x", Image "sha256:…", Config.Image, State, LogPath
//   <data-root>/overlay2/<cache-id>/          diff/ link lower work/ committed (see runtimes/overlay-driver)
//   <exec-root>/runtime-runc/moby/<id>/       runc state of a running container
//
// Into the model: snapshots are the layerdb layers (key = chain id "sha256:…", id = cache-id) plus, per
// container, its "-init" layer and its rw layer (key = id = the dir name in overlay2/; rw → init → image top).
// Docker has no namespaces: everything is in namespace "". A file that does not decode is an anomaly (doctor:
// metadata-corrupt) and the object is left out; only an unreadable repositories.json stops the load, as it
// stops dockerd.

import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CrifsError, errnoWords } from "../../errors.js";
import { parseJson } from "../../formats/json/parse-json.js";
import { chainIds } from "../../formats/oci/image.js";
import { pathExists } from "../../fs/path-exists.js";
import { markReadErrors } from "../../model/read-errors.js";
import type {
  Anomaly,
  Container,
  Image,
  Labels,
  ReadError,
  Snapshot,
  Store,
  StoreArea,
  Task,
} from "../../model/store.js";
import { type DockerConfig, LAYERDB, readDockerConfig } from "./config.js";

export const STORAGE_DRIVER = "overlay2";
/** Longest metadata file crifs reads whole (an image config with a long history is a few hundred kB). */
const MAX_JSON = 64 * 1024 * 1024;

const HEX64 = /^[0-9a-f]{64}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface DockerLoadOptions {
  readonly root?: string | undefined;
  /** dockerd's --exec-root. */
  readonly state?: string | undefined;
  /** daemon.json */
  readonly config?: string | undefined;
  /** --host-root: root, state and config are the node's paths, resolved inside this dir. */
  readonly hostRoot?: string | undefined;
}

/** Paths of one data-root. */
export function dockerLayout(root: string) {
  const image = join(root, "image", STORAGE_DRIVER);
  return {
    image,
    repositories: join(image, "repositories.json"),
    imageConfigs: join(image, "imagedb", "content", "sha256"),
    imageMetadata: join(image, "imagedb", "metadata", "sha256"),
    layers: join(root, LAYERDB, "sha256"),
    mounts: join(root, LAYERDB, "mounts"),
    containers: join(root, "containers"),
    overlay: join(root, STORAGE_DRIVER),
  };
}

type FileRead = { text: string } | { missing: true } | { error: string };

function readSmall(path: string): FileRead {
  try {
    const st = lstatSync(path);
    if (!st.isFile()) return { error: "not a regular file" };
    if (st.size > MAX_JSON) return { error: `${st.size} bytes, more than crifs reads (${MAX_JSON})` };
    return { text: readFileSync(path, "utf8") };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { missing: true };
    return { error: `cannot read: ${errnoWords(code)}` };
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function mtimeIso(path: string): string | null {
  try {
    return lstatSync(path).mtime.toISOString();
  } catch {
    return null;
  }
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function labelsOf(v: unknown): Labels {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === "string") out[k] = x;
  return out;
}

/** Docker's zero time ("0001-01-01T00:00:00Z") and absent times as null. */
function time(v: unknown): string | null {
  const s = str(v);
  return s === "" || s.startsWith("0001-01-01") ? null : s;
}

/** `<home>/l/<short>`, the path mounts name a layer by as a lower, from the layer dir's `link` file. */
function lowerPathOf(home: string, id: string): { lowerPath?: string } {
  const r = readSmall(join(home, id, "link"));
  const short = "text" in r ? r.text.trim() : "";
  return /^[A-Z0-9]{1,64}$/.test(short) ? { lowerPath: join(home, "l", short) } : {};
}

class Loader {
  readonly anomalies: Anomaly[] = [];
  constructor(
    readonly layout: ReturnType<typeof dockerLayout>,
    /** --host-root: the data-root is a node's, whose processes do not run here. */
    readonly hostRoot?: string,
  ) {}

  anomaly(path: string, subject: string, message: string): void {
    this.anomalies.push({ path, subject, message });
  }

  /** A small text file of layerdb (cache-id, parent, …), trimmed; null when absent or unreadable. */
  text(path: string, subject: string, required: boolean): string | null {
    const r = readSmall(path);
    if ("text" in r) return r.text.trim();
    if ("error" in r) this.anomaly(path, subject, r.error);
    else if (required) this.anomaly(path, subject, `${subject} has no ${path.split("/").pop()} file`);
    return null;
  }

  /** A JSON file, or null (with an anomaly naming the byte offset when it does not parse). */
  json(path: string, subject: string): unknown {
    const r = readSmall(path);
    if ("missing" in r) {
      this.anomaly(path, subject, `${subject} has no ${path.split("/").pop()} file`);
      return null;
    }
    if ("error" in r) {
      this.anomaly(path, subject, r.error);
      return null;
    }
    try {
      return parseJson(r.text);
    } catch (err) {
      this.anomaly(path, subject, (err as Error).message);
      return null;
    }
  }

  layers(): Snapshot[] {
    const out: Snapshot[] = [];
    for (const hex of list(this.layout.layers)) {
      const dir = join(this.layout.layers, hex);
      const key = `sha256:${hex}`;
      const subject = `layer ${key}`;
      if (!HEX64.test(hex)) {
        this.anomaly(dir, subject, `layerdb entry "${hex}" is not a sha256 chain id`);
        continue;
      }
      const cacheId = this.text(join(dir, "cache-id"), subject, true);
      if (cacheId === null) continue;
      if (!/^[0-9a-f]{64}$/.test(cacheId) || cacheId.includes("/")) {
        this.anomaly(
          join(dir, "cache-id"),
          subject,
          `cache-id "${cacheId.slice(0, 80)}" is not 64 hex digits`,
        );
        continue;
      }
      const parent = this.text(join(dir, "parent"), subject, false);
      if (parent !== null && !DIGEST.test(parent)) {
        this.anomaly(
          join(dir, "parent"),
          subject,
          `parent "${parent.slice(0, 80)}" is not a sha256 chain id`,
        );
        continue;
      }
      const diff = this.text(join(dir, "diff"), subject, true);
      if (diff !== null && !DIGEST.test(diff))
        this.anomaly(join(dir, "diff"), subject, `diff "${diff.slice(0, 80)}" is not a sha256 digest`);
      const home = join(this.layout.overlay, cacheId);
      const created = mtimeIso(dir);
      out.push({
        namespace: "",
        snapshotter: STORAGE_DRIVER,
        key,
        parent,
        kind: "committed",
        id: cacheId,
        path: join(home, "diff"),
        dir: home,
        workPath: null,
        createdAt: created,
        updatedAt: created,
        labels: {},
        recordedSize: null,
        runtimeKey: join(LAYERDB, "sha256", hex),
        ...lowerPathOf(this.layout.overlay, cacheId),
      });
    }
    return out;
  }

  /** The images of imagedb, named by repositories.json (an image with no tag is named by its id). */
  images(): Image[] {
    const repos = this.repositories();
    const names = new Map<string, string[]>();
    for (const [ref, id] of repos) {
      if (ref.includes("@")) continue; // a digest ref (RepoDigests), not a name `docker images` shows
      names.set(id, [...(names.get(id) ?? []), ref]);
    }
    const out: Image[] = [];
    const ids = new Set([...list(this.layout.imageConfigs).map((h) => `sha256:${h}`), ...names.keys()]);
    for (const id of [...ids].sort()) {
      const hex = id.slice("sha256:".length);
      const path = join(this.layout.imageConfigs, hex);
      const subject = `image ${id}`;
      if (!HEX64.test(hex)) {
        this.anomaly(path, subject, `imagedb entry "${hex}" is not a sha256 image id`);
        continue;
      }
      let size = 0;
      try {
        size = lstatSync(path).size;
      } catch {
        // reported by json() below
      }
      const seen = this.anomalies.length;
      const config = obj(this.json(path, subject));
      const diffIds = obj(config.rootfs).diff_ids;
      const keys =
        Array.isArray(diffIds) && diffIds.every((d) => typeof d === "string" && DIGEST.test(d))
          ? chainIds(diffIds as string[])
          : [];
      if (
        Object.keys(config).length > 0 &&
        keys.length === 0 &&
        !(Array.isArray(diffIds) && diffIds.length === 0)
      )
        this.anomaly(path, subject, "image config has no valid rootfs.diff_ids");
      // the config could not be read: its size and layers are unknown, not 0 and none
      const problem = this.anomalies.slice(seen).find((a) => a.subject === subject);
      const readError: ReadError | undefined =
        problem === undefined ? undefined : { path: problem.path, message: problem.message };
      const meta = join(this.layout.imageMetadata, hex);
      const updated = readSmall(join(meta, "lastUpdated"));
      const parent = readSmall(join(meta, "parent"));
      const labels: Record<string, string> = { ...labelsOf(obj(config.config).Labels) };
      if ("text" in parent && DIGEST.test(parent.text.trim()))
        labels["crifs.docker/parent"] = parent.text.trim();
      for (const name of names.get(id) ?? [id]) {
        out.push({
          namespace: "",
          name,
          digest: id,
          mediaType: "application/vnd.docker.container.image.v1+json",
          size,
          createdAt: time(config.created),
          updatedAt: "text" in updated ? time(updated.text.trim()) : time(config.created),
          labels,
          configDigest: id,
          snapshotKeys: keys,
          ...(readError === undefined ? {} : { readError }),
        });
      }
    }
    return out;
  }

  /** repositories.json as [name, image id] pairs. Throws when the file does not parse (dockerd would not start). */
  repositories(): [string, string][] {
    const path = this.layout.repositories;
    const r = readSmall(path);
    if ("missing" in r) return [];
    if ("error" in r) throw new CrifsError("corrupt", `cannot read repositories.json: ${r.error}`, { path });
    let v: unknown;
    try {
      v = parseJson(r.text);
    } catch (err) {
      throw new CrifsError("corrupt", (err as Error).message, {
        path,
        remedy:
          "dockerd will not start with it either: restore it from a backup, or move it aside and re-tag the images",
      });
    }
    const out: [string, string][] = [];
    for (const [repo, refs] of Object.entries(obj(obj(v).Repositories))) {
      for (const [ref, id] of Object.entries(obj(refs))) {
        if (typeof id === "string" && DIGEST.test(id)) out.push([ref, id]);
        else
          this.anomaly(
            path,
            `image ${ref}`,
            `repository "${repo}" maps "${ref}" to "${String(id).slice(0, 80)}", not an image id`,
          );
      }
    }
    return out;
  }

  /** Per container: its init and rw layer from layerdb/mounts/<id>, by container id. */
  containerLayers(): Map<string, { rw: Snapshot; init: Snapshot | null }> {
    const out = new Map<string, { rw: Snapshot; init: Snapshot | null }>();
    for (const id of list(this.layout.mounts)) {
      const dir = join(this.layout.mounts, id);
      const subject = `container ${id}`;
      const mountId = this.text(join(dir, "mount-id"), subject, true);
      if (mountId === null) continue;
      if (mountId === "" || mountId.includes("/") || mountId === "l") {
        this.anomaly(
          join(dir, "mount-id"),
          subject,
          `mount-id "${mountId.slice(0, 80)}" is not a layer dir name`,
        );
        continue;
      }
      const initId = this.text(join(dir, "init-id"), subject, false);
      const parent = this.text(join(dir, "parent"), subject, false);
      if (parent !== null && parent !== "" && !DIGEST.test(parent))
        this.anomaly(
          join(dir, "parent"),
          subject,
          `parent "${parent.slice(0, 80)}" is not a sha256 chain id`,
        );
      const parentKey = parent !== null && DIGEST.test(parent) ? parent : null;
      const created = mtimeIso(dir);
      const layer = (key: string, parentOf: string | null): Snapshot => {
        const home = join(this.layout.overlay, key);
        return {
          namespace: "",
          snapshotter: STORAGE_DRIVER,
          key,
          parent: parentOf,
          kind: "active",
          id: key,
          path: join(home, "diff"),
          dir: home,
          workPath: join(home, "work"),
          createdAt: created,
          updatedAt: created,
          labels: {},
          recordedSize: null,
          runtimeKey: join(LAYERDB, "mounts", id),
          ...lowerPathOf(this.layout.overlay, key),
        };
      };
      const init = initId === null || initId === "" || initId.includes("/") ? null : layer(initId, parentKey);
      out.set(id, { rw: layer(mountId, init === null ? parentKey : init.key), init });
    }
    return out;
  }

  containers(
    config: DockerConfig,
    layers: ReadonlyMap<string, { rw: Snapshot }>,
    imageIds: ReadonlySet<string>,
  ): Container[] {
    const out: Container[] = [];
    for (const id of list(this.layout.containers)) {
      const dir = join(this.layout.containers, id);
      const subject = `container ${id}`;
      const v = this.json(join(dir, "config.v2.json"), subject);
      if (v === null) continue;
      const c = obj(v);
      if (str(c.ID) !== id) {
        this.anomaly(
          join(dir, "config.v2.json"),
          subject,
          `config.v2.json names container "${str(c.ID).slice(0, 80)}", not "${id}"`,
        );
        continue;
      }
      const cfg = obj(c.Config);
      const labels: Record<string, string> = { ...labelsOf(cfg.Labels) };
      const name = str(c.Name).replace(/^\//, "");
      const layer = layers.get(id);
      if (layer === undefined)
        this.anomaly(
          join(this.layout.mounts, id),
          subject,
          `container "${name || id}" has no layer record in layerdb/mounts`,
        );
      let readError: ReadError | undefined;
      const imageId = str(c.Image);
      if (DIGEST.test(imageId) && !imageIds.has(imageId)) {
        const message = `container "${name || id}" names image "${imageId}", which imagedb does not hold`;
        readError = { path: join(this.layout.imageConfigs, imageId.slice("sha256:".length)), message };
        this.anomaly(join(dir, "config.v2.json"), subject, message);
      }
      let runtime = "runc";
      const host = readSmall(join(dir, "hostconfig.json"));
      if ("text" in host) {
        try {
          runtime = str(obj(JSON.parse(host.text)).Runtime) || runtime;
        } catch {
          // hostconfig.json is not metadata crifs relies on
        }
      }
      out.push({
        namespace: "",
        id,
        ...(name === "" ? {} : { names: [name] }),
        image: str(cfg.Image) || str(c.Image),
        snapshotter: STORAGE_DRIVER,
        snapshotKey: layer?.rw.key ?? "",
        runtime,
        createdAt: time(c.Created),
        updatedAt: time(obj(c.State).FinishedAt) ?? time(obj(c.State).StartedAt) ?? time(c.Created),
        labels,
        spec: { mounts: runtimeMounts(c) },
        task: taskOf(config, id, obj(c.State), layer?.rw.dir ?? null, this.hostRoot),
        ...(readError === undefined ? {} : { readError }),
      });
    }
    return out;
  }
}

/** What dockerd mounts over every container's image (daemon/oci_linux.go: the OCI defaults and cgroup, then
 * /dev/shm and the /etc files it writes under containers/<id>/). */
const DEFAULT_MOUNTS = [
  "/proc",
  "/dev",
  "/dev/pts",
  "/dev/shm",
  "/dev/mqueue",
  "/sys",
  "/sys/fs/cgroup",
  "/etc/resolv.conf",
  "/etc/hostname",
  "/etc/hosts",
];

/**
 * The mounts of the container's OCI spec, as far as crifs needs them (their destinations): docker keeps the
 * spec only while the container runs (in its containerd's bundle), so it is rebuilt from dockerd's fixed
 * mounts and the container's MountPoints (volumes and binds). Links into them are not judged broken.
 */
function runtimeMounts(c: Record<string, unknown>): { destination: string; type: string }[] {
  const own = Object.values(obj(c.MountPoints)).map((m) => str(obj(m).Destination));
  return [...new Set([...DEFAULT_MOUNTS, ...own.filter((d) => d.startsWith("/"))])].map((destination) => ({
    destination,
    type: DEFAULT_MOUNTS.includes(destination) ? "runtime" : "bind",
  }));
}

function procAlive(pid: number): boolean {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = s.slice(s.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Whether pid is the container's process now (pids are reused): its cgroup path names the container id,
 * or runc's state for the container records this pid. */
function isContainerProcess(config: DockerConfig, id: string, pid: number): boolean {
  if (!procAlive(pid)) return false;
  try {
    if (readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(id)) return true;
  } catch {
    return false;
  }
  try {
    const st = obj(
      JSON.parse(readFileSync(join(config.execRoot, "runtime-runc", "moby", id, "state.json"), "utf8")),
    );
    return st.init_process_pid === pid;
  } catch {
    return false;
  }
}

/**
 * A container's task as `docker ps` would show it: running (State.Running, and the recorded pid is still the
 * container's process), paused, stopped (it ran and exited, or its process is gone while the record still
 * says running), or none (created, never started).
 */
function taskOf(
  config: DockerConfig,
  id: string,
  state: Record<string, unknown>,
  layerDir: string | null,
  hostRoot: string | undefined,
): Task | null {
  const pid = typeof state.Pid === "number" && Number.isSafeInteger(state.Pid) ? state.Pid : 0;
  const base = {
    bundle: join(config.execRoot, "containerd", id),
    rootfs: layerDir === null ? null : join(layerDir, "merged"),
  };
  if (state.Running === true) {
    // a node's disk (--host-root): its processes are not this machine's to look up in /proc
    if (hostRoot !== undefined) return { ...base, status: "unknown", pid };
    const alive = pid > 0 && isContainerProcess(config, id, pid);
    return { ...base, status: !alive ? "stopped" : state.Paused === true ? "paused" : "running", pid };
  }
  if (time(state.StartedAt) === null) return null;
  return { ...base, status: "stopped", pid: 0 };
}

/** A container's json-file log and its rotated copies (`<id>-json.log`, `<id>-json.log.1`, …). */
const LOG_FILE = /-json\.log(\.\d+)?$/;

/**
 * The entries of every `containers/<id>/` dir as du areas: its json-file logs as logs, the rest (config.v2.json,
 * hostconfig.json, hosts, resolv.conf, mounts/, checkpoints/, …) as container-data. Entry by entry, because du
 * attributes a file area by moving it out of `other`, so it must not lie inside another area's tree; the
 * `containers/` and `containers/<id>/` dirs themselves stay in `other`. Cost: one readdir per container.
 */
function containerAreas(containersDir: string): StoreArea[] {
  const out: StoreArea[] = [];
  for (const id of list(containersDir)) {
    const dir = join(containersDir, id);
    for (const name of list(dir))
      out.push({ role: LOG_FILE.test(name) ? "logs" : "container-data", path: join(dir, name) });
  }
  return out;
}

/** Loads a Docker overlay2 data-root from disk. Cost: metadata only (small files, /proc for running ones). */
export function loadDocker(options: DockerLoadOptions = {}): Store {
  const config = readDockerConfig({
    path: options.config,
    root: options.root,
    execRoot: options.state,
    hostRoot: options.hostRoot,
  });
  if (config.storageDriver !== "" && config.storageDriver !== STORAGE_DRIVER) {
    throw new CrifsError(
      "unsupported",
      `cannot read storage driver "${config.storageDriver}": crifs reads overlay2 only`,
      {
        path: config.path ?? config.root,
      },
    );
  }
  if (!pathExists(config.root)) {
    throw new CrifsError("not-found", "cannot read docker data-root: no such directory", {
      path: config.root,
      remedy: "pass --root (or --config with data-root) for a Docker installed elsewhere",
    });
  }
  const layout = dockerLayout(config.root);
  if (!pathExists(layout.layers)) {
    throw new CrifsError("not-found", "cannot read docker layer metadata: no image/overlay2/layerdb", {
      path: config.root,
      remedy:
        "this is not a Docker overlay2 data-root (another storage driver, or dockerd never started on it)",
    });
  }
  const l = new Loader(layout, options.hostRoot);
  const committed = l.layers();
  const images = l.images();
  const perContainer = l.containerLayers();
  const imageIds = new Set(list(layout.imageConfigs).map((h) => `sha256:${h}`));
  const containers = l.containers(config, perContainer, imageIds);
  const snapshots = [
    ...committed,
    ...[...perContainer.values()].flatMap((c) => (c.init === null ? [c.rw] : [c.init, c.rw])),
  ];
  const store: Store = {
    location: {
      runtime: "docker",
      root: config.root,
      state: config.execRoot,
      configPath: config.path,
      ...(options.hostRoot === undefined ? {} : { hostRoot: options.hostRoot }),
      ...(config.rootLink === null ? {} : { rootLink: config.rootLink }),
    },
    settings: {
      storageDriver: STORAGE_DRIVER,
      snapshotter: STORAGE_DRIVER,
      dataRoot: config.root,
      execRoot: config.execRoot,
      liveRestore: String(config.liveRestore),
      logDriver: config.logDriver,
      overlayRoot: layout.overlay,
      imageFsMountpoint: layout.overlay,
    },
    namespaces: [{ name: "", labels: {} }],
    images,
    snapshots,
    containers,
    blobs: [],
    leases: [],
    ingests: [],
    anomalies: l.anomalies,
    areas: [
      { role: "snapshot-home", path: layout.overlay, ignore: ["l"] },
      { role: "metadata", path: join(config.root, "image") },
      ...containerAreas(layout.containers),
    ],
  };
  // a layer's parent link is its layerdb entry's `parent` file; a container's layers are layerdb/mounts/<id>
  return markReadErrors(store, {
    snapshot: (s) => join(config.root, s.runtimeKey, s.kind === "committed" ? "parent" : ""),
    container: (c) => join(layout.mounts, c.id),
  });
}
