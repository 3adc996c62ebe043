// checks/blob-digest-mismatch.ts — blob files whose bytes no longer hash to their name (--verify only: it
// reads every blob). A damaged layer blob unpacks to wrong files, or fails to; a damaged manifest or config
// breaks the image. containerd never re-checks a blob once it is committed.

import { CONTAINERD_ONLY, defineCheck } from "./check.js";

/** sha256 blobs whose content does not match their digest. Cost: reads all content. */
export const blobDigestMismatch = defineCheck({
  id: "blob-digest-mismatch",
  summary: "a blob file whose sha256 is not its name (--verify)",
  kind: { severity: "error", needs: ["dirs", "verify"], runtimes: CONTAINERD_ONLY },
  *find(input) {
    for (const f of input.blobFiles) {
      const actual = input.blobHashes?.get(f.path);
      if (actual === undefined || actual === f.digest) continue;
      yield {
        subject: `blob ${f.digest}`,
        path: f.path,
        message: `blob ${f.digest} holds bytes whose digest is ${actual}: the file is damaged`,
        remedy:
          "remove the file and pull (or import) the images that use it again; check the disk for errors",
      };
    }
  },
});
