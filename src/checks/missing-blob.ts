// checks/missing-blob.ts — content that metadata promises but the content store lacks: a blob record whose
// file is gone, or an image whose target blob has neither record nor file. `ctr images check` says
// "blob not found"; pulls of the image and unpacks on it fail until the blob is fetched again.

import { CONTAINERD_ONLY, defineCheck, isInFlight } from "./check.js";

/** Blob records (and image targets) without a file. Cost: metadata + one readdir of blobs/. */
export const missingBlob = defineCheck({
  id: "missing-blob",
  summary: "a blob record (or image target) whose file is gone from the content store",
  kind: { severity: "error", needs: ["metadata", "dirs"], runtimes: CONTAINERD_ONLY },
  *find(input) {
    const files = new Set(input.blobFiles.filter((f) => f.isFile).map((f) => f.digest));
    const byDigest = new Map<string, { path: string; namespaces: string[]; isFresh: boolean }>();
    for (const b of input.store.blobs) {
      if (files.has(b.digest)) continue;
      const e = byDigest.get(b.digest) ?? { path: b.path, namespaces: [], isFresh: true };
      e.namespaces.push(b.namespace);
      e.isFresh &&= isInFlight(input, b.createdAt, b.updatedAt);
      byDigest.set(b.digest, e);
    }
    // a path is reported once: by its record, else by the image that targets it, else by an image's anomaly
    const reported = new Set([...byDigest.values()].map((e) => e.path));
    for (const [digest, e] of byDigest) {
      if (e.isFresh) continue;
      const users = input.store.images
        .filter((i) => i.digest === digest)
        .map((i) => `${i.namespace}/${i.name}`);
      yield {
        subject: `blob ${digest}`,
        path: e.path,
        message:
          `blob ${digest} is recorded in namespace ${e.namespaces.map((n) => `"${n}"`).join(", ")} but its file is missing` +
          (users.length > 0 ? ` (target of image ${users.join(", ")})` : ""),
        remedy:
          "pull the image again (ctr images pull, or import it) to fetch the blob; or remove the record with ctr content rm and the images that need it",
      };
    }
    const recorded = new Set(input.store.blobs.map((b) => `${b.namespace}/${b.digest}`));
    for (const img of input.store.images) {
      if (img.digest === "" || files.has(img.digest) || recorded.has(`${img.namespace}/${img.digest}`))
        continue;
      if (byDigest.has(img.digest) || isInFlight(input, img.createdAt, img.updatedAt)) continue;
      const [alg, hex] = img.digest.split(":");
      const path = `${input.contentRoot}/blobs/${alg}/${hex}`;
      reported.add(path);
      yield {
        subject: `image ${img.namespace}/${img.name}`,
        path,
        message: `image "${img.name}" in namespace "${img.namespace}" targets ${img.digest}, which has neither a record nor a file`,
        remedy: "pull or import the image again, or remove the image record",
      };
    }
    // a manifest or config an image needs, with no record (else it was reported above) and no file
    const images = new Map(input.store.images.map((i) => [`image ${i.namespace}/${i.name}`, i]));
    for (const a of input.store.anomalies) {
      if (!a.subject.startsWith("image ") || !a.message.endsWith(": blob not found") || reported.has(a.path))
        continue;
      const img = images.get(a.subject);
      if (img !== undefined && isInFlight(input, img.createdAt, img.updatedAt)) continue;
      reported.add(a.path);
      yield {
        subject: a.subject,
        path: a.path,
        message: a.message,
        remedy: "pull or import the image again, or remove the image record",
      };
    }
  },
});
