// runtimes/docker/imagedb.ts — Docker's images, as images of the model:
//   image/overlay2/repositories.json            {"Repositories":{"<repo>":{"<repo>:<tag>":"sha256:<image id>",…}}}
//   image/overlay2/imagedb/content/sha256/<id>  image config JSON (rootfs.diff_ids → chain ids, formats/oci)
//   image/overlay2/imagedb/metadata/sha256/<id>/parent, lastUpdated
//   image/overlay2/layerdb/sha256/<chain id>/size   each layer's bytes: an image's size is its layers' sum,
//                                                     as `docker image inspect` counts it (not its config's)
// Only an unreadable repositories.json stops the load, as it stops dockerd.

import { join } from "node:path";
import { CrifsError } from "../../errors.js";
import { parseJson } from "../../formats/json/parse-json.js";
import { chainIds } from "../../formats/oci/image.js";
import type { Image, ReadError } from "../../model/store.js";
import { readLayerSize } from "./layerdb.js";
import { DIGEST, type DockerMetadataReader, HEX64, labelsOf, list, obj, readSmall, time } from "./layout.js";

/** The images of imagedb, named by repositories.json (an image with no tag is named by its id). */
export function readImages(r: DockerMetadataReader): Image[] {
  const repos = readRepositories(r);
  const names = new Map<string, string[]>();
  for (const [ref, id] of repos) {
    if (ref.includes("@")) continue; // a digest ref (RepoDigests), not a name `docker images` shows
    names.set(id, [...(names.get(id) ?? []), ref]);
  }
  const out: Image[] = [];
  const ids = new Set([...list(r.layout.imageConfigs).map((h) => `sha256:${h}`), ...names.keys()]);
  for (const id of [...ids].sort()) {
    const hex = id.slice("sha256:".length);
    const path = join(r.layout.imageConfigs, hex);
    const subject = `image ${id}`;
    if (!HEX64.test(hex)) {
      r.anomaly(path, subject, `imagedb entry "${hex}" is not a sha256 image id`);
      continue;
    }
    const seen = r.anomalies.length;
    const config = obj(r.json(path, subject));
    const diffIds = obj(config.rootfs).diff_ids;
    const keys =
      Array.isArray(diffIds) && diffIds.every((d) => typeof d === "string" && DIGEST.test(d))
        ? chainIds(diffIds as string[])
        : [];
    const size = keys.reduce((n, k) => n + (readLayerSize(r, k) ?? 0), 0);
    if (
      Object.keys(config).length > 0 &&
      keys.length === 0 &&
      !(Array.isArray(diffIds) && diffIds.length === 0)
    )
      r.anomaly(path, subject, "image config has no valid rootfs.diff_ids");
    // the config could not be read: its size and layers are unknown, not 0 and none
    const problem = r.anomalies.slice(seen).find((a) => a.subject === subject);
    const readError: ReadError | undefined =
      problem === undefined ? undefined : { path: problem.path, message: problem.message };
    const meta = join(r.layout.imageMetadata, hex);
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
export function readRepositories(r: DockerMetadataReader): [string, string][] {
  const path = r.layout.repositories;
  const file = readSmall(path);
  if ("missing" in file) return [];
  if ("error" in file)
    throw new CrifsError("corrupt", `cannot read repositories.json: ${file.error}`, { path });
  let v: unknown;
  try {
    v = parseJson(file.text);
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
        r.anomaly(
          path,
          `image ${ref}`,
          `repository "${repo}" maps "${ref}" to "${String(id).slice(0, 80)}", not an image id`,
        );
    }
  }
  return out;
}
