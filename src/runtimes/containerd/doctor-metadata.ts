// runtimes/containerd/doctor-metadata.ts — what doctor reads of a containerd store before its checks run:
// the model (meta.db joined with the snapshotters' metadata.db) and each snapshotter's own records and
// snapshots dir. A bolt file that does not decode is a ReadProblem (metadata-corrupt), not a crash.

import { join } from "node:path";
import { openBolt } from "../../formats/bbolt/index.js";
import { pathExists } from "../../fs/path-exists.js";
import type { MetadataRead, SnapshotterRecord } from "../../model/doctor-facts.js";
import { configReadOptions } from "../load-options.js";
import { loadOrProblem, readProblemOf } from "../read-problem.js";
import { readContainerdConfig } from "./config.js";
import { type ContainerdLoadOptions, loadContainerd, META_DB, snapshotterLayout } from "./load.js";
import { readSnapshotterDb } from "./snapshotter-db.js";
import { containerdWords } from "./words.js";

/** Reads a containerd store's metadata for doctor: the model, or why it cannot be read. Cost: metadata only. */
export function readContainerdDoctorMetadata(options: ContainerdLoadOptions): MetadataRead {
  const config = readContainerdConfig(configReadOptions(options));
  const { value: store, problems } = loadOrProblem(() => loadContainerd(options), join(config.root, META_DB));
  const names = new Set(["overlayfs", ...(store?.snapshots.map((s) => s.snapshotter) ?? [])]);
  const snapshotters: { name: string; snapshotsDir: string; records: SnapshotterRecord[] }[] = [];
  for (const name of names) {
    const layout = snapshotterLayout(config, name);
    let records: SnapshotterRecord[] = [];
    if (pathExists(layout.metadataDb)) {
      try {
        records = [...readSnapshotterDb(openBolt(layout.metadataDb)).snapshots.values()].map((r) => ({
          backendKey: r.backendKey,
          id: r.id,
          kind: r.kind,
        }));
      } catch (err) {
        if (!problems.some((p) => p.path === layout.metadataDb))
          problems.push(readProblemOf(err, layout.metadataDb));
      }
    }
    snapshotters.push({ name, snapshotsDir: layout.snapshotsDir, records });
  }
  return {
    root: config.root,
    contentRoot: config.contentRoot,
    // with any bolt file unreadable, the metadata checks would only guess
    store: problems.length > 0 ? null : store,
    words: containerdWords,
    metadataProblems: problems,
    snapshotters,
  };
}
