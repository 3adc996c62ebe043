// checks/unreferenced-blob.ts — content nothing holds. Two cases:
//   a blob file with no record in any namespace's meta.db (containerd's GC deletes such files after its
//     next content removal): its bytes are reclaimable;
//   a blob record no image, lease, gc.root label or other blob's gc.ref.content label reaches: the record
//     goes at the next GC pass, and the file with it when no other namespace keeps a record alive.

import { reachable } from "../model/usage.js";
import { CONTAINERD_ONLY, defineCheck, isInFlight } from "./check.js";

/** Blob files without records, and unreachable blob records. Cost: metadata + one readdir of blobs/. */
export const unreferencedBlob = defineCheck({
  id: "unreferenced-blob",
  summary: "a blob file with no record, or a blob record nothing references",
  kind: { severity: "warning", needs: ["metadata", "dirs"], runtimes: CONTAINERD_ONLY },
  *find(input) {
    const live = reachable(input.store, { now: input.now }).blobs;
    const recorded = new Set(input.store.blobs.map((b) => b.digest));
    const aliveDigests = new Set(
      input.store.blobs.filter((b) => live.has(`${b.namespace}/${b.digest}`)).map((b) => b.digest),
    );
    const files = new Map(input.blobFiles.map((f) => [f.path, f]));
    for (const f of input.blobFiles) {
      if (recorded.has(f.digest) || isInFlight(input, f.mtimeMs, f.ctimeMs)) continue;
      yield {
        subject: `blob ${f.digest}`,
        path: f.path,
        bytes: f.allocatedBytes,
        message: `blob file ${f.digest} has no record in any namespace`,
        remedy:
          "nothing can reach it: remove the file (containerd deletes it too after its next content removal)",
      };
    }
    const counted = new Set<string>(); // a file's bytes go to the first dead record of it, once
    for (const b of input.store.blobs) {
      if (live.has(`${b.namespace}/${b.digest}`) || isInFlight(input, b.createdAt, b.updatedAt)) continue;
      const file = files.get(b.path);
      if (file === undefined) continue; // no file: missing-blob's finding, nothing to reclaim here
      const freed = aliveDigests.has(b.digest) || counted.has(b.digest) ? 0 : file.allocatedBytes;
      counted.add(b.digest);
      yield {
        subject: `blob ${b.namespace}/${b.digest}`,
        path: b.path,
        bytes: freed,
        message:
          `blob ${b.digest} in namespace "${b.namespace}" is referenced by no image, lease, gc.root label or other blob` +
          (aliveDigests.has(b.digest) ? " (another namespace still uses the file)" : ""),
        remedy: `ctr -n ${b.namespace} content rm ${b.digest} (containerd's next GC pass removes it too); \`crifs why\` shows what holds a blob`,
      };
    }
  },
});
