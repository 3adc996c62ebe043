// checks/stale-ingest.ts — content writes that were abandoned: an ingest dir (content/ingest/<sha256 of the
// backend ref>) or ingest record whose expireat has passed, that nothing has written to for longer than the
// grace period, or that has no record at all. `ctr content active` lists them; containerd's GC removes an
// expired record and its dir at its next pass, and a dir without a record after its next content removal.

import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Ingest } from "../model/store.js";
import { CONTAINERD_ONLY, defineCheck } from "./check.js";

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

function ms(t: string | null): number {
  const v = t === null ? Number.NaN : Date.parse(t);
  return Number.isNaN(v) ? 0 : v;
}

/**
 * What mends an ingest that has a record: containerd's Content.Abort of its ref, which crifs repair --apply
 * calls. ctr has no command for it (`ctr content` of 1.6, 1.7 and 2.1 has active, rm, prune, … but no abort,
 * and `content rm` takes a blob's digest, not an ingest's ref): `ctr content active` only shows it.
 */
function abortRemedy(namespace: string, ref: string, then: string): string {
  return `crifs repair --apply aborts it through containerd's Content.Abort of ref ${ref} (ctr has no abort command; ctr -n ${namespace} content active shows it); ${then}`;
}

/** Abandoned ingests. Cost: metadata + one readdir of ingest/ and a few small reads per ingest. */
export const staleIngest = defineCheck({
  id: "stale-ingest",
  summary:
    "an ingest (partial content write) that expired, has no record, or was not written to for the grace period",
  kind: { severity: "warning", needs: ["metadata", "dirs"], runtimes: CONTAINERD_ONLY },
  *find(input) {
    const byDir = new Map<string, Ingest>();
    for (const i of input.store.ingests) byDir.set(sha256(i.runtimeKey), i);
    const seen = new Set<Ingest>();
    for (const d of input.ingestDirs) {
      const rec =
        byDir.get(d.name) ?? input.store.ingests.find((i) => d.ref !== null && i.runtimeKey === d.ref);
      if (rec !== undefined) seen.add(rec);
      const last = Math.max(ms(d.updatedAt), d.mtimeMs);
      const idle = input.now - last;
      const expired = rec?.expiresAt != null && ms(rec.expiresAt) < input.now;
      if (!expired && idle < input.graceMs) continue;
      const what = d.ref ?? d.name;
      const progress =
        d.dataSize === null ? "" : ` (${d.dataSize}${d.total === null ? "" : ` of ${d.total}`} bytes)`;
      const why =
        rec === undefined
          ? "has no ingest record in any namespace"
          : expired
            ? `expired at ${rec.expiresAt}`
            : `has not been written to for ${Math.round(idle / 1000)} s`;
      yield {
        subject: rec === undefined ? `ingest dir ${d.name}` : `ingest ${rec.namespace}/${rec.ref}`,
        path: d.path,
        bytes: d.allocatedBytes,
        message: `ingest ${what}${progress} ${why}`,
        remedy:
          rec === undefined
            ? "nothing can resume it: remove the dir"
            : abortRemedy(
                rec.namespace,
                rec.ref,
                "or resume the download; containerd removes it when it expires",
              ),
      };
    }
    for (const i of input.store.ingests) {
      if (seen.has(i) || i.expiresAt === null || ms(i.expiresAt) >= input.now) continue;
      yield {
        subject: `ingest ${i.namespace}/${i.ref}`,
        path: join(input.contentRoot, "ingest", sha256(i.runtimeKey)),
        message: `ingest record ${i.runtimeKey} expired at ${i.expiresAt} and has no data dir`,
        remedy: abortRemedy(i.namespace, i.ref, "containerd's next GC pass removes it too"),
      };
    }
  },
});
