// cli/commands/info.ts — `crifs info`: which runtime stores were found, where, with what settings, and how
// much each holds.

import type { Store } from "../../model/store.js";
import { render, renderYaml } from "../render/format.js";
import type { GlobalOptions } from "../stores.js";

export function storeSummary(s: Store) {
  const tasks = s.containers.filter((c) => c.task !== null);
  return {
    runtime: s.location.runtime,
    root: s.location.root,
    state: s.location.state,
    config: s.location.configPath,
    settings: s.settings,
    counts: {
      namespaces: s.namespaces.length,
      images: s.images.length,
      snapshots: s.snapshots.length,
      containers: s.containers.length,
      tasksRunning: tasks.filter((c) => c.task?.status === "running").length,
      tasks: tasks.length,
      blobs: s.blobs.length,
      leases: s.leases.length,
      ingests: s.ingests.length,
    },
    namespaces: s.namespaces.map((n) => n.name),
    anomalies: s.anomalies,
  };
}

export function infoCommand(stores: readonly Store[], g: GlobalOptions): string {
  const data = stores.map(storeSummary);
  return render(g.output, data, { table: () => renderYaml(data) });
}
