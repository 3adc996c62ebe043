// checks/docker-layers.ts — the Docker (overlay2) side of image-missing-layer and container-missing-layer.
// Docker names a layer two ways: layerdb keys image layers by chain id (a snapshot's key) and keeps their
// files in overlay2/<cache-id> (its id); a container's layers are overlay2/<mount-id> and <mount-id>-init.
// A layer dir that is gone is reported once, by whoever owns it, in the words docker fails with:
//   image layer (layerdb entry, cache dir gone)   image-missing-layer  docker run: "open …/<cache-id>/committed: no such file or directory"
//   image names a chain id layerdb lacks          image-missing-layer  docker run: "layer does not exist"
//   container's rw or -init layer dir gone        container-missing-layer  docker start: "stat …/<mount-id>: no such file or directory"
// (missing-layer-dir does not run on docker stores: these two say which object is broken.) Where a layer's
// entry is and what it is called are docker's words (RuntimeWords.layerEntry, in docker's words.ts). Pure.

import { join } from "node:path";
import type { Snapshot } from "../model/store.js";
import type { Found } from "./check.js";
import { isInFlight } from "./check.js";
import type { DoctorInput } from "./doctor-input.js";
import type { OverlayView } from "./driver-home.js";

/** Image layers whose cache dir is gone, and image layers layerdb lacks. Cost: metadata + the home listing. */
export function* dockerImageLayerFindings(input: DoctorInput, v: OverlayView): Generator<Found> {
  const entry = input.words.layerEntry;
  if (entry === null) return;
  const byKey = new Map(v.store.snapshots.map((s) => [s.key, s]));
  const usersOf = new Map<string, string[]>();
  for (const img of v.store.images) {
    for (const key of img.snapshotKeys) usersOf.set(key, [...(usersOf.get(key) ?? []), img.name]);
    for (const key of img.snapshotKeys) {
      if (byKey.has(key)) continue;
      yield {
        subject: `image ${img.name}`,
        path: entry.path(v.store.location.root, key),
        message: `image "${img.name}" names layer ${key}, which has no ${entry.name}: it cannot be run`,
        remedy: `remove the image (docker rmi -f ${img.name}) and load or pull it again`,
      };
    }
  }
  for (const s of v.store.snapshots) {
    if (s.kind !== "committed" || s.snapshotter !== v.od.driver || hasDir(input, s)) continue;
    if (isInFlight(input, s.createdAt)) continue;
    const users = [...new Set(usersOf.get(s.key) ?? [])].sort();
    const named = users.length === 0 ? "no image" : users.map((u) => `"${u}"`).join(", ");
    yield {
      subject: `layer ${s.key}`,
      path: s.dir,
      message: `image layer ${s.key} (used by ${named}) has no directory ${s.id}: containers from it cannot be created (docker: open ${join(s.dir, "committed")}: no such file or directory)`,
      remedy:
        users.length === 0
          ? "nothing can use it: remove it with docker image prune, or restore the dir from a backup"
          : `remove the containers on it and the images (docker rmi -f ${users.join(" ")}), then load or pull them again`,
    };
  }
}

/** Containers whose rw or -init layer dir is gone. Cost: metadata + the home listing. */
export function* dockerContainerLayerFindings(input: DoctorInput, v: OverlayView): Generator<Found> {
  const byKey = new Map(v.store.snapshots.map((s) => [s.key, s]));
  for (const c of v.store.containers) {
    const rw = byKey.get(c.snapshotKey);
    if (rw === undefined || isInFlight(input, c.createdAt, rw.createdAt)) continue;
    const init = rw.parent === null ? undefined : byKey.get(rw.parent);
    const layers = [rw, ...(init !== undefined && init.kind === "active" ? [init] : [])];
    const name = c.names?.[0] ?? c.id;
    for (const s of layers) {
      if (hasDir(input, s)) continue;
      yield {
        subject: `container ${name}`,
        path: s.dir,
        message: `container "${name}" has lost its ${s === rw ? "writable" : "init"} layer dir ${s.id}: it cannot start (docker: stat ${s.dir}: no such file or directory)`,
        remedy: `remove the container (docker rm -f ${name}) and create it again; its changes are lost`,
      };
    }
  }
}

function hasDir(input: DoctorInput, s: Snapshot): boolean {
  return input.overlayDriver?.layers.get(s.id)?.isDir === true;
}
