// checks/metadata-corrupt.ts — metadata that does not decode: a bolt file crifs (and containerd) cannot read,
// a containers/storage JSON record file (layers.json, images.json, containers.json; the message gives the
// byte offset), a record that does not decode, or an image's manifest/config blob that is not valid JSON.
// When such a file is unreadable doctor reports this alone for the store: every other metadata check would
// only guess.

import { defineCheck, EVERY_RUNTIME } from "./check.js";

/** Anomalies other checks explain better: a snapshot join (missing-snapshot-dir), a missing blob (missing-blob). */
function isExplainedElsewhere(a: { subject: string; message: string }): boolean {
  if (a.subject.startsWith("snapshot ") && / has no record "[^"]*" in the \S+ snapshotter$/.test(a.message))
    return true;
  return a.subject.startsWith("image ") && a.message.endsWith(": blob not found");
}

/** Unreadable bolt files and undecodable records. Cost: none beyond loading the metadata. */
export const metadataCorrupt = defineCheck({
  id: "metadata-corrupt",
  summary: "a bolt file or record (or an image's manifest or config) that does not decode",
  kind: { severity: "error", needs: [], runtimes: EVERY_RUNTIME },
  *find(input) {
    for (const p of input.metadataProblems)
      yield { subject: `file ${p.path}`, path: p.path, message: p.message, remedy: input.words.corruptFile };
    for (const a of input.store?.anomalies ?? []) {
      if (isExplainedElsewhere(a)) continue;
      yield { subject: a.subject, path: a.path, message: a.message, remedy: input.words.corruptRecord };
    }
  },
});
