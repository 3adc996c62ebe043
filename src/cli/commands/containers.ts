// cli/commands/containers.ts — `crifs containers`: container records with their task (status, pid).

import type { Store } from "../../model/store.js";
import { render, renderNamespacedTable, UNREADABLE } from "../render/format.js";
import { type GlobalOptions, namespaceField, noteReadErrors } from "../stores.js";

/** JSON contract: docs/json.md#containers. */
export function containerRows(stores: readonly Store[]) {
  return stores.flatMap((s) =>
    s.containers.map((c) => ({
      runtime: s.location.runtime,
      ...namespaceField(s, c.namespace),
      id: c.id,
      ...(c.names === undefined ? {} : { names: c.names }),
      image: c.image,
      snapshotter: c.snapshotter,
      snapshotKey: c.snapshotKey,
      runtimeName: c.runtime,
      pod: c.pod ?? null,
      task: c.task === null ? null : { status: c.task.status, pid: c.task.pid },
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
      labels: c.labels,
      ...(c.readError === undefined ? {} : { error: c.readError }),
    })),
  );
}

export function containersCommand(stores: readonly Store[], g: GlobalOptions): string {
  noteReadErrors(stores);
  const rows = containerRows(stores);
  // a names column where the runtime names its containers (podman, docker), as their `ps` shows them
  const hasNames = rows.some((r) => r.names !== undefined && r.names.length > 0);
  return render(g.output, rows, {
    table: () =>
      renderNamespacedTable(
        ["namespace", "container", ...(hasNames ? ["names"] : []), "image", "runtime", "task", "pid"],
        rows.map((r) => [
          r.namespace ?? "",
          r.id,
          ...(hasNames ? [(r.names ?? []).join(",")] : []),
          // what it runs on (its image or its layer chain) could not be read
          r.error === undefined ? r.image : `${UNREADABLE} ${r.image}`.trimEnd(),
          r.runtimeName,
          r.task === null ? "-" : r.task.status.toUpperCase(),
          r.task === null ? "-" : String(r.task.pid),
        ]),
      ),
  });
}
