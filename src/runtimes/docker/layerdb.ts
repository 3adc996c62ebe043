// runtimes/docker/layerdb.ts — Docker's layer records, as snapshots of the model:
//   image/overlay2/layerdb/sha256/<chain id>/   cache-id (→ overlay2/<cache-id>), parent, diff, size
//   image/overlay2/layerdb/mounts/<container>/  mount-id (→ overlay2/<mount-id>), init-id, parent
// An image layer is a committed snapshot (key = chain id "sha256:…", id = cache-id); a container has its
// "-init" layer and its rw layer (key = id = the dir name in overlay2/; rw → init → image top).

import { join } from "node:path";
import type { Snapshot } from "../../model/store.js";
import { LAYERDB } from "./config.js";
import {
  DIGEST,
  type DockerMetadataReader,
  HEX64,
  list,
  lowerPathOf,
  mtimeIso,
  readSmall,
  STORAGE_DRIVER,
} from "./layout.js";

/** A container's layers: its rw layer and the "-init" layer below it. */
export interface ContainerLayers {
  readonly rw: Snapshot;
  readonly init: Snapshot | null;
}

/** The image layers of layerdb/sha256, one snapshot each (key = chain id, id = cache-id). */
export function readLayers(r: DockerMetadataReader): Snapshot[] {
  const out: Snapshot[] = [];
  for (const hex of list(r.layout.layers)) {
    const dir = join(r.layout.layers, hex);
    const key = `sha256:${hex}`;
    const subject = `layer ${key}`;
    if (!HEX64.test(hex)) {
      r.anomaly(dir, subject, `layerdb entry "${hex}" is not a sha256 chain id`);
      continue;
    }
    const cacheId = r.text(join(dir, "cache-id"), subject, true);
    if (cacheId === null) continue;
    if (!/^[0-9a-f]{64}$/.test(cacheId) || cacheId.includes("/")) {
      r.anomaly(join(dir, "cache-id"), subject, `cache-id "${cacheId.slice(0, 80)}" is not 64 hex digits`);
      continue;
    }
    const parent = r.text(join(dir, "parent"), subject, false);
    if (parent !== null && !DIGEST.test(parent)) {
      r.anomaly(join(dir, "parent"), subject, `parent "${parent.slice(0, 80)}" is not a sha256 chain id`);
      continue;
    }
    const diff = r.text(join(dir, "diff"), subject, true);
    if (diff !== null && !DIGEST.test(diff))
      r.anomaly(join(dir, "diff"), subject, `diff "${diff.slice(0, 80)}" is not a sha256 digest`);
    const home = join(r.layout.overlay, cacheId);
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
      ...lowerPathOf(r.layout.overlay, cacheId),
    });
  }
  return out;
}

/** A layer's own (diff) size in bytes, from layerdb/sha256/<chain id>/size; null when absent or not a number.
 * Cost: one small read. */
export function readLayerSize(r: DockerMetadataReader, chainKey: string): number | null {
  const path = join(r.layout.layers, chainKey.replace(/^sha256:/, ""), "size");
  const file = readSmall(path);
  if (!("text" in file)) return null;
  const n = Number(file.text.trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Per container: its init and rw layer from layerdb/mounts/<id>, by container id. */
export function readContainerLayers(r: DockerMetadataReader): Map<string, ContainerLayers> {
  const out = new Map<string, ContainerLayers>();
  for (const id of list(r.layout.mounts)) {
    const dir = join(r.layout.mounts, id);
    const subject = `container ${id}`;
    const mountId = r.text(join(dir, "mount-id"), subject, true);
    if (mountId === null) continue;
    if (mountId === "" || mountId.includes("/") || mountId === "l") {
      r.anomaly(join(dir, "mount-id"), subject, `mount-id "${mountId.slice(0, 80)}" is not a layer dir name`);
      continue;
    }
    const initId = r.text(join(dir, "init-id"), subject, false);
    const parent = r.text(join(dir, "parent"), subject, false);
    if (parent !== null && parent !== "" && !DIGEST.test(parent))
      r.anomaly(join(dir, "parent"), subject, `parent "${parent.slice(0, 80)}" is not a sha256 chain id`);
    const parentKey = parent !== null && DIGEST.test(parent) ? parent : null;
    const created = mtimeIso(dir);
    const layer = (key: string, parentOf: string | null): Snapshot => {
      const home = join(r.layout.overlay, key);
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
        ...lowerPathOf(r.layout.overlay, key),
      };
    };
    const init = initId === null || initId === "" || initId.includes("/") ? null : layer(initId, parentKey);
    out.set(id, { rw: layer(mountId, init === null ? parentKey : init.key), init });
  }
  return out;
}
