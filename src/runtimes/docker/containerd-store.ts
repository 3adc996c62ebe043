// runtimes/docker/containerd-store.ts — Docker on containerd's image store (daemon.json "features":
// {"containerd-snapshotter": true}, the default of new installs since Docker 29): no image/overlay2 and no
// overlay2 dirs; images, layers and content are in the containerd dockerd runs (namespace moby), and only the
// containers' own dirs stay dockerd's:
//
//   <data-root>/containerd/daemon/        containerd's root (meta.db, content, io.containerd.snapshotter.v1.*),
//                                         read by the containerd adapter, through the Adapter interface
//   <exec-root>/containerd/containerd.toml   the config dockerd writes for it (root, state)
//   <data-root>/containers/<id>/config.v2.json   Image = the manifest digest (`docker images` IMAGE ID),
//                                         Driver "overlayfs"; its rw snapshot is key <id>, over "<id>-init"
//   <data-root>/rootfs/overlayfs/<id>     where a running container's root is mounted
//
// The store holds both: containerd's objects in namespace moby (an image named as docker names it), docker's
// containers on those snapshots, and the areas of both roots (containerd's lie inside the data-root, docker's
// containers/ beside them: nothing is counted twice).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDescriptors } from "../../formats/oci/image.js";
import { pathExists } from "../../fs/path-exists.js";
import { resolveNodePath } from "../../fs/resolve-node-path.js";
import type { MetadataRead } from "../../model/doctor-facts.js";
import type { Blob, Image, Snapshot, Store } from "../../model/store.js";
import type { LoadOptions } from "../index.js";
import { LAYERDB } from "./config.js";

/** The namespace dockerd keeps its images and containers in, in its containerd. */
export const MOBY_NAMESPACE = "moby";
/** The embedded containerd's root, below the data-root. */
export const EMBEDDED_ROOT = join("containerd", "daemon");
const META_DB = join("io.containerd.metadata.v1.bolt", "meta.db");

/** What docker needs of the containerd adapter (runtimes/index.ts passes it in). */
export interface EmbeddedContainerd {
  load(options: LoadOptions): Store;
  readDoctorMetadata(options: LoadOptions): MetadataRead;
}

/** Whether a data-root keeps its images in containerd: the feature is on in daemon.json, or (not said) there
 * is no layerdb but the embedded containerd has metadata. Cost: two stats. */
export function isContainerdImageStore(root: string, feature: boolean | null): boolean {
  if (feature !== null) return feature;
  return !pathExists(join(root, LAYERDB)) && pathExists(join(root, EMBEDDED_ROOT, META_DB));
}

/** The embedded containerd's store, as its adapter loads it: root below the data-root, state and config
 * below the exec-root (a node path; with no config file left, /dev/null: containerd's defaults, never the
 * host's own /etc/containerd/config.toml). */
export function embeddedOptions(p: {
  root: string;
  execRoot: string;
  hostRoot?: string | undefined;
}): LoadOptions {
  const toml = join(p.execRoot, "containerd", "containerd.toml");
  const hasToml = p.hostRoot === undefined ? pathExists(toml) : resolveNodePath(toml, p.hostRoot).exists;
  return {
    root: join(p.root, EMBEDDED_ROOT),
    state: join(p.execRoot, "containerd", "daemon"),
    config: hasToml ? toml : "/dev/null",
    ...(p.hostRoot === undefined ? {} : { hostRoot: p.hostRoot }),
  };
}

/** A reference as `docker images` shows it: docker.io/library/x:t → x:t, docker.io/u/x:t → u/x:t. */
export function familiarName(ref: string): string {
  if (ref.startsWith("docker.io/library/")) return ref.slice("docker.io/library/".length);
  if (ref.startsWith("docker.io/")) return ref.slice("docker.io/".length);
  return ref;
}

/** Blob bytes by digest, from the content store as loaded; null when absent. */
function blobJson(blobs: ReadonlyMap<string, Blob>, digest: string): Record<string, unknown> | null {
  const b = blobs.get(digest);
  if (b === undefined || b.size > 4 * 1024 * 1024) return null;
  try {
    const v = JSON.parse(readFileSync(b.path, "utf8")) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** An image's size as `docker image inspect` counts it on containerd's store: the manifest for this image's
 * config, its config and its layers, in bytes (the content, not the unpacked snapshots); null when a blob
 * it needs is not there. Cost: reads one or two small blobs. */
export function contentSize(img: Image, blobs: ReadonlyMap<string, Blob>): number | null {
  let manifestDigest = img.digest;
  let doc = blobJson(blobs, img.digest);
  if (doc !== null && Array.isArray(doc.manifests)) {
    manifestDigest = "";
    for (const d of parseDescriptors(doc.manifests)) {
      const m = blobJson(blobs, d.digest);
      const cfg = m?.config as { digest?: unknown } | undefined;
      if (m !== null && cfg?.digest === img.configDigest) {
        manifestDigest = d.digest;
        doc = m;
        break;
      }
    }
  }
  const manifest = blobs.get(manifestDigest);
  const cfg = doc?.config as { size?: unknown } | undefined;
  if (doc === null || manifest === undefined || typeof cfg?.size !== "number") return null;
  const layers = Array.isArray(doc.layers) ? doc.layers : [];
  let n = manifest.size + cfg.size;
  for (const l of layers)
    n += typeof (l as { size?: unknown }).size === "number" ? (l as { size: number }).size : 0;
  return n;
}

/** The label dockerd puts on an image `docker commit` made: its parent image (docker inspect's Parent). */
const PARENT_LABEL = "org.mobyproject.image.parent";

/** Docker's view of containerd's images: named as docker names them, sized as docker counts them, the parent
 * of a committed one as on overlay2 (label crifs.docker/parent). */
export function dockerImages(ctd: Store): Image[] {
  const blobs = new Map(ctd.blobs.map((b) => [b.digest, b]));
  return ctd.images
    .filter((i) => i.namespace === MOBY_NAMESPACE)
    .map((i) => {
      const parent = i.labels[PARENT_LABEL];
      return {
        ...i,
        name: familiarName(i.name),
        size: contentSize(i, blobs) ?? i.size,
        ...(parent === undefined ? {} : { labels: { ...i.labels, "crifs.docker/parent": parent } }),
      };
    });
}

/** A container's rw snapshot (key = container id) and its "-init" parent, in namespace moby. */
export function containerSnapshots(
  ctd: Store,
  id: string,
): { rw: Snapshot; init: Snapshot | null } | undefined {
  const moby = ctd.snapshots.filter((s) => s.namespace === MOBY_NAMESPACE);
  const rw = moby.find((s) => s.key === id);
  if (rw === undefined) return undefined;
  return { rw, init: moby.find((s) => s.key === `${id}-init`) ?? null };
}
