// checks/missing-blob.ts — content that metadata promises but the content store lacks: a blob record whose
// file is gone, or an image whose target blob has neither record nor file. `ctr images check` says
// "blob not found"; pulls of the image and unpacks on it fail until the blob is fetched again.

import type { Check, Finding } from "./check.js";
import { isInFlight } from "./check.js";

/** Blob records (and image targets) without a file. Cost: metadata + one readdir of blobs/. */
export const missingBlob: Check = {
  id: "missing-blob",
  needs: ["metadata", "dirs"],
  runtimes: ["containerd"], // containerd's own objects: snapshotter dirs and records, blobs, ingests, GC roots
  summary: "a blob record (or image target) whose file is gone from the content store",
  run(input) {
    const out: Finding[] = [];
    const store = input.store;
    if (store === null) return out;
    const files = new Set(input.blobFiles.filter((f) => f.isFile).map((f) => f.digest));
    const byDigest = new Map<string, { path: string; namespaces: string[]; isFresh: boolean }>();
    for (const b of store.blobs) {
      if (files.has(b.digest)) continue;
      const e = byDigest.get(b.digest) ?? { path: b.path, namespaces: [], isFresh: true };
      e.namespaces.push(b.namespace);
      e.isFresh &&= isInFlight(input, b.createdAt, b.updatedAt);
      byDigest.set(b.digest, e);
    }
    for (const [digest, e] of byDigest) {
      if (e.isFresh) continue;
      const users = store.images.filter((i) => i.digest === digest).map((i) => `${i.namespace}/${i.name}`);
      out.push({
        check: "missing-blob",
        severity: "error",
        subject: `blob ${digest}`,
        path: e.path,
        bytes: 0,
        message:
          `blob ${digest} is recorded in namespace ${e.namespaces.map((n) => `"${n}"`).join(", ")} but its file is missing` +
          (users.length > 0 ? ` (target of image ${users.join(", ")})` : ""),
        remedy:
          "pull the image again (ctr images pull, or import it) to fetch the blob; or remove the record with ctr content rm and the images that need it",
      });
    }
    const recorded = new Set(store.blobs.map((b) => `${b.namespace}/${b.digest}`));
    for (const img of store.images) {
      if (img.digest === "" || files.has(img.digest) || recorded.has(`${img.namespace}/${img.digest}`))
        continue;
      if (byDigest.has(img.digest) || isInFlight(input, img.createdAt, img.updatedAt)) continue;
      const [alg, hex] = img.digest.split(":");
      out.push({
        check: "missing-blob",
        severity: "error",
        subject: `image ${img.namespace}/${img.name}`,
        path: `${input.contentRoot}/blobs/${alg}/${hex}`,
        bytes: 0,
        message: `image "${img.name}" in namespace "${img.namespace}" targets ${img.digest}, which has neither a record nor a file`,
        remedy: "pull or import the image again, or remove the image record",
      });
    }
    // a manifest or config an image needs, with no record (else it was reported above) and no file
    const reported = new Set([...out.map((f) => f.path), ...[...byDigest.values()].map((e) => e.path)]);
    const images = new Map(store.images.map((i) => [`image ${i.namespace}/${i.name}`, i]));
    for (const a of store.anomalies) {
      if (!a.subject.startsWith("image ") || !a.message.endsWith(": blob not found") || reported.has(a.path))
        continue;
      const img = images.get(a.subject);
      if (img !== undefined && isInFlight(input, img.createdAt, img.updatedAt)) continue;
      reported.add(a.path);
      out.push({
        check: "missing-blob",
        severity: "error",
        subject: a.subject,
        path: a.path,
        bytes: 0,
        message: a.message,
        remedy: "pull or import the image again, or remove the image record",
      });
    }
    return out;
  },
};
