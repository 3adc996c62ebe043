// checks/blob-digest-mismatch.ts — blob files whose bytes no longer hash to their name (--verify only: it
// reads every blob). A damaged layer blob unpacks to wrong files, or fails to; a damaged manifest or config
// breaks the image. containerd never re-checks a blob once it is committed.

import type { Check, Finding } from "./check.js";

/** sha256 blobs whose content does not match their digest. Cost: reads all content. */
export const blobDigestMismatch: Check = {
  id: "blob-digest-mismatch",
  needs: ["dirs", "verify"],
  runtimes: ["containerd"], // containerd's own objects: snapshotter dirs and records, blobs, ingests, GC roots
  summary: "a blob file whose sha256 is not its name (--verify)",
  run(input) {
    const out: Finding[] = [];
    const hashes = input.blobHashes;
    if (hashes === null) return out;
    for (const f of input.blobFiles) {
      const actual = hashes.get(f.path);
      if (actual === undefined || actual === f.digest) continue;
      out.push({
        check: "blob-digest-mismatch",
        severity: "error",
        subject: `blob ${f.digest}`,
        path: f.path,
        bytes: 0,
        message: `blob ${f.digest} holds bytes whose digest is ${actual}: the file is damaged`,
        remedy:
          "remove the file and pull (or import) the images that use it again; check the disk for errors",
      });
    }
    return out;
  },
};
