// checks/metadata-corrupt.ts — metadata that does not decode: a bolt file crifs (and containerd) cannot read,
// a containers/storage JSON record file (layers.json, images.json, containers.json; the message gives the
// byte offset), a record that does not decode, or an image's manifest/config blob that is not valid JSON.
// When such a file is unreadable doctor reports this alone for the store: every other metadata check would
// only guess.

import type { Check, Finding } from "./check.js";
import { EVERY_RUNTIME } from "./check.js";

/** Anomalies other checks explain better: a snapshot join (missing-snapshot-dir), a missing blob (missing-blob). */
function isExplainedElsewhere(a: { subject: string; message: string }): boolean {
  if (a.subject.startsWith("snapshot ") && / has no record "[^"]*" in the \S+ snapshotter$/.test(a.message))
    return true;
  return a.subject.startsWith("image ") && a.message.endsWith(": blob not found");
}

/** Unreadable bolt files and undecodable records. Cost: none beyond loading the metadata. */
export const metadataCorrupt: Check = {
  id: "metadata-corrupt",
  needs: [],
  runtimes: EVERY_RUNTIME,
  summary: "a bolt file or record (or an image's manifest or config) that does not decode",
  run(input) {
    const out: Finding[] = input.metadataProblems.map((p) => ({
      check: "metadata-corrupt",
      severity: "error",
      subject: `file ${p.path}`,
      path: p.path,
      bytes: 0,
      message: p.message,
      remedy: input.words.corruptFile,
    }));
    for (const a of input.store?.anomalies ?? []) {
      if (isExplainedElsewhere(a)) continue;
      out.push({
        check: "metadata-corrupt",
        severity: "error",
        subject: a.subject,
        path: a.path,
        bytes: 0,
        message: a.message,
        remedy: input.words.corruptRecord,
      });
    }
    return out;
  },
};
