// runtimes/docker/containers.ts — Docker's containers, as containers of the model:
//   <data-root>/containers/<id>/config.v2.json   ID, Name "/x", Image "sha256:…", Config.Image, State, LogPath
//   <data-root>/containers/<id>/hostconfig.json  Runtime
// and the du areas of those dirs (json-file logs, the rest).

import { join } from "node:path";
import type { Container, ReadError, StoreArea } from "../../model/store.js";
import type { DockerConfig } from "./config.js";
import type { ContainerLayers } from "./layerdb.js";
import {
  DIGEST,
  type DockerMetadataReader,
  labelsOf,
  list,
  obj,
  readSmall,
  STORAGE_DRIVER,
  str,
  time,
} from "./layout.js";
import { taskOf } from "./tasks.js";

/** Where a container's layers and images are recorded: overlay2's layerdb and imagedb (the default), or
 * containerd's store (runtimes/docker/containerd-store.ts). */
export interface ContainerSources {
  readonly namespace: string;
  readonly snapshotter: string;
  /** The file that should hold the container's layer record, for the anomaly when it does not. */
  readonly layerRecord: (id: string) => { path: string; what: string };
  /** The file that should hold an image the container names. */
  readonly imageRecord: (imageId: string) => { path: string; what: string };
  /** Where its root is mounted while it runs. */
  readonly rootfs: (id: string, layer: ContainerLayers | undefined) => string | null;
}

/** overlay2's: layerdb/mounts, imagedb, <layer dir>/merged. */
export function overlay2Sources(r: DockerMetadataReader): ContainerSources {
  return {
    namespace: "",
    snapshotter: STORAGE_DRIVER,
    layerRecord: (id) => ({ path: join(r.layout.mounts, id), what: "layerdb/mounts" }),
    imageRecord: (imageId) => ({
      path: join(r.layout.imageConfigs, imageId.slice("sha256:".length)),
      what: "imagedb",
    }),
    rootfs: (_id, layer) => (layer === undefined ? null : join(layer.rw.dir, "merged")),
  };
}

/** The containers of containers/<id>/config.v2.json, with their layers (layerdb) and task (tasks.ts). */
export function readContainers(
  r: DockerMetadataReader,
  config: DockerConfig,
  layers: ReadonlyMap<string, ContainerLayers>,
  imageIds: ReadonlySet<string>,
  sources: ContainerSources = overlay2Sources(r),
): Container[] {
  const out: Container[] = [];
  for (const id of list(r.layout.containers)) {
    const dir = join(r.layout.containers, id);
    const subject = `container ${id}`;
    const v = r.json(join(dir, "config.v2.json"), subject);
    if (v === null) continue;
    const c = obj(v);
    if (str(c.ID) !== id) {
      r.anomaly(
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
    if (layer === undefined) {
      const where = sources.layerRecord(id);
      r.anomaly(where.path, subject, `container "${name || id}" has no layer record in ${where.what}`);
    }
    let readError: ReadError | undefined;
    const imageId = str(c.Image);
    if (DIGEST.test(imageId) && !imageIds.has(imageId)) {
      const where = sources.imageRecord(imageId);
      const message = `container "${name || id}" names image "${imageId}", which ${where.what} does not hold`;
      readError = { path: where.path, message };
      r.anomaly(join(dir, "config.v2.json"), subject, message);
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
      namespace: sources.namespace,
      id,
      ...(name === "" ? {} : { names: [name] }),
      image: str(cfg.Image) || str(c.Image),
      snapshotter: sources.snapshotter,
      snapshotKey: layer?.rw.key ?? "",
      runtime,
      createdAt: time(c.Created),
      updatedAt: time(obj(c.State).FinishedAt) ?? time(obj(c.State).StartedAt) ?? time(c.Created),
      labels,
      spec: { mounts: runtimeMounts(c) },
      task: taskOf(config, id, obj(c.State), sources.rootfs(id, layer), r.hostRoot),
      ...(readError === undefined ? {} : { readError }),
    });
  }
  return out;
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

/** A container's json-file log and its rotated copies (`<id>-json.log`, `<id>-json.log.1`, …). */
const LOG_FILE = /-json\.log(\.\d+)?$/;

/**
 * The entries of every `containers/<id>/` dir as du areas: its json-file logs as logs, the rest (config.v2.json,
 * hostconfig.json, hosts, resolv.conf, mounts/, checkpoints/, …) as container-data. Entry by entry, because du
 * attributes a file area by moving it out of `other`, so it must not lie inside another area's tree; the
 * `containers/` and `containers/<id>/` dirs themselves stay in `other`. Cost: one readdir per container.
 */
export function containerAreas(containersDir: string): StoreArea[] {
  const out: StoreArea[] = [];
  for (const id of list(containersDir)) {
    const dir = join(containersDir, id);
    for (const name of list(dir))
      out.push({ role: LOG_FILE.test(name) ? "logs" : "container-data", path: join(dir, name) });
  }
  return out;
}
