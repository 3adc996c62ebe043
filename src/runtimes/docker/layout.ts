// runtimes/docker/layout.ts — the paths of a Docker (20.10, overlay2) data-root and the reader of its small
// metadata files:
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
// Every file here is small JSON or a one-line text; a file that does not decode is an anomaly (doctor:
// metadata-corrupt) and the object is left out.

import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { errnoWords } from "../../errors.js";
import { parseJson } from "../../formats/json/parse-json.js";
import type { Anomaly, Labels } from "../../model/store.js";
import { LAYERDB } from "./config.js";

export const STORAGE_DRIVER = "overlay2";
/** Longest metadata file crifs reads whole (an image config with a long history is a few hundred kB). */
const MAX_JSON = 64 * 1024 * 1024;

export const HEX64 = /^[0-9a-f]{64}$/;
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

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

export type DockerLayout = ReturnType<typeof dockerLayout>;

export type FileRead = { text: string } | { missing: true } | { error: string };

export function readSmall(path: string): FileRead {
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

export function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export function mtimeIso(path: string): string | null {
  try {
    return lstatSync(path).mtime.toISOString();
  } catch {
    return null;
  }
}

export function obj(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export function labelsOf(v: unknown): Labels {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === "string") out[k] = x;
  return out;
}

/** Docker's zero time ("0001-01-01T00:00:00Z") and absent times as null. */
export function time(v: unknown): string | null {
  const s = str(v);
  return s === "" || s.startsWith("0001-01-01") ? null : s;
}

/** `<home>/l/<short>`, the path mounts name a layer by as a lower, from the layer dir's `link` file. */
export function lowerPathOf(home: string, id: string): { lowerPath?: string } {
  const r = readSmall(join(home, id, "link"));
  const short = "text" in r ? r.text.trim() : "";
  return /^[A-Z0-9]{1,64}$/.test(short) ? { lowerPath: join(home, "l", short) } : {};
}

/** Reads one data-root's small metadata files, keeping what does not decode as anomalies (doctor:
 * metadata-corrupt) so the object is left out and the load goes on. */
export class DockerMetadataReader {
  readonly anomalies: Anomaly[] = [];
  constructor(
    readonly layout: DockerLayout,
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
}
