// runtimes/containers-storage/records.ts — the JSON record files of containers/storage, bytes in, records out:
//
//   <graphroot>/overlay-layers/layers.json        [{id, parent?, names?, created, diff-size?, …}]
//   <runroot>/overlay-layers/volatile-layers.json  the same, for layers created volatile (may be absent)
//   <graphroot>/overlay-images/images.json        [{id, digest?, names?, layer?, created, metadata?,
//                                                   big-data-names?, big-data-sizes? {key: bytes}, …}]
//   <graphroot>/overlay-images/<id>/manifest      the image's manifest (big data "manifest"), as pulled
//   <graphroot>/overlay-containers/containers.json [{id, names?, image, layer, metadata (JSON text), created}]
//   <runroot>/overlay-layers/mountpoints.json     [{id, path, count}]
//
// c/storage itself silently treats a layers.json it cannot parse as empty; crifs reports it, with the byte
// offset where the JSON goes wrong (JSON.parse's message carries no offset on every Node version, so a small
// scanner finds it).

import { CrifsError } from "../../errors.js";
import { jsonErrorAt } from "../../formats/json/parse-json.js";

export interface LayerRecord {
  readonly id: string;
  readonly parent: string | null;
  readonly names: readonly string[];
  readonly created: string | null;
  readonly diffDigest: string | null;
  readonly diffSize: number | null;
  /** Set while the layer is being created or removed (c/storage's "incomplete" flag). */
  readonly isIncomplete: boolean;
}

export interface ImageRecord {
  readonly id: string;
  readonly digest: string | null;
  readonly names: readonly string[];
  readonly topLayer: string | null;
  readonly created: string | null;
  /** Bytes of each big-data item (manifests, config): part of the image's size as podman counts it. */
  readonly bigDataBytes: number;
}

export interface ContainerRecord {
  readonly id: string;
  readonly names: readonly string[];
  readonly image: string;
  readonly layer: string;
  /** metadata."image-name", when recorded. */
  readonly imageName: string | null;
  readonly created: string | null;
}

export interface MountpointRecord {
  readonly id: string;
  readonly path: string;
  readonly count: number;
}

/** JSON.parse with a CrifsError("corrupt") that names the byte offset of the first bad byte. */
export function parseJsonFile(bytes: Buffer, path: string, what: string): unknown {
  const text = bytes.toString("utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorAt(text)?.offset ?? 0;
    const state = offset >= bytes.length ? "it ends too early (truncated?)" : "invalid JSON";
    throw new CrifsError(
      "corrupt",
      `cannot parse ${what}: ${state} at byte offset ${offset} of ${bytes.length}`,
      {
        path,
        remedy:
          "containers/storage silently ignores this file and forgets what it lists: restore it from a backup before the runtime writes over it",
        cause: err,
      },
    );
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function s(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function records(value: unknown, path: string, what: string): Obj[] {
  if (value === null) return []; // c/storage writes "null" for an empty list in some versions
  if (!Array.isArray(value))
    throw new CrifsError("corrupt", `cannot read ${what}: expected a JSON array`, { path });
  return value.filter(isObj).filter((r) => s(r.id) !== null);
}

/** Layer records of layers.json (or volatile-layers.json). Throws "corrupt" with the byte offset. */
export function parseLayers(bytes: Buffer, path: string): LayerRecord[] {
  return records(parseJsonFile(bytes, path, "layers.json"), path, "layers.json").map((r) => ({
    id: r.id as string,
    parent: s(r.parent),
    names: strings(r.names),
    created: s(r.created),
    diffDigest: s(r["diff-digest"]),
    diffSize: typeof r["diff-size"] === "number" ? r["diff-size"] : null,
    isIncomplete: isObj(r.flags) && r.flags.incomplete === true,
  }));
}

export function parseImages(bytes: Buffer, path: string): ImageRecord[] {
  return records(parseJsonFile(bytes, path, "images.json"), path, "images.json").map((r) => ({
    id: r.id as string,
    digest: s(r.digest),
    names: strings(r.names),
    topLayer: s(r.layer),
    created: s(r.created),
    bigDataBytes: isObj(r["big-data-sizes"])
      ? Object.values(r["big-data-sizes"]).reduce<number>(
          (n, v) => n + (typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : 0),
          0,
        )
      : 0,
  }));
}

export function parseContainers(bytes: Buffer, path: string): ContainerRecord[] {
  return records(parseJsonFile(bytes, path, "containers.json"), path, "containers.json").map((r) => {
    let imageName: string | null = null;
    if (typeof r.metadata === "string") {
      try {
        const m = JSON.parse(r.metadata) as unknown;
        if (isObj(m)) imageName = s(m["image-name"]);
      } catch {
        // metadata is the runtime's own free text
      }
    }
    return {
      id: r.id as string,
      names: strings(r.names),
      image: s(r.image) ?? "",
      layer: s(r.layer) ?? "",
      imageName,
      created: s(r.created),
    };
  });
}

/** The media type of a manifest as c/storage keeps it (big data "manifest"): its own mediaType, else what an
 * OCI manifest (schemaVersion 2, no mediaType field) or index is; "" when it is neither. Pure. */
export function manifestMediaType(bytes: Buffer): string {
  let m: unknown;
  try {
    m = JSON.parse(bytes.toString("utf8"));
  } catch {
    return "";
  }
  if (!isObj(m)) return "";
  const own = s(m.mediaType);
  if (own !== null) return own;
  if (m.schemaVersion !== 2) return "";
  if (Array.isArray(m.manifests)) return "application/vnd.oci.image.index.v1+json";
  return isObj(m.config) ? "application/vnd.oci.image.manifest.v1+json" : "";
}

export function parseMountpoints(bytes: Buffer, path: string): MountpointRecord[] {
  return records(parseJsonFile(bytes, path, "mountpoints.json"), path, "mountpoints.json").map((r) => ({
    id: r.id as string,
    path: s(r.path) ?? "",
    count: typeof r.count === "number" ? r.count : 0,
  }));
}
