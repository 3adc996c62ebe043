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

/** The containers of containers/<id>/config.v2.json, with their layers (layerdb) and task (tasks.ts). */
export function readContainers(
  r: DockerMetadataReader,
  config: DockerConfig,
  layers: ReadonlyMap<string, ContainerLayers>,
  imageIds: ReadonlySet<string>,
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
    if (layer === undefined)
      r.anomaly(
        join(r.layout.mounts, id),
        subject,
        `container "${name || id}" has no layer record in layerdb/mounts`,
      );
    let readError: ReadError | undefined;
    const imageId = str(c.Image);
    if (DIGEST.test(imageId) && !imageIds.has(imageId)) {
      const message = `container "${name || id}" names image "${imageId}", which imagedb does not hold`;
      readError = { path: join(r.layout.imageConfigs, imageId.slice("sha256:".length)), message };
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
      task: taskOf(config, id, obj(c.State), layer?.rw.dir ?? null, r.hostRoot),
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
