// cli/commands/containers.ts — `crifs containers`: container records with their task (status, pid).

import type { Store } from "../../model/store.js";
import { UNREADABLE } from "../render/format.js";
import { type RowFilter, rowFilter } from "../row-filter.js";
import { type GlobalOptions, recordRow, renderRecords } from "../stores.js";

/** JSON contract: docs/json.md#containers. */
export function containerRows(stores: readonly Store[]) {
  return stores.flatMap((s) =>
    s.containers.map((c) =>
      recordRow(s, c, {
        id: c.id,
        ...(c.names === undefined ? {} : { names: c.names }),
        image: c.image,
        snapshotter: c.snapshotter,
        snapshotKey: c.snapshotKey,
        runtimeName: c.runtime,
        pod: c.pod ?? null,
        task: c.task === null ? null : { status: c.task.status, pid: c.task.pid },
      }),
    ),
  );
}

type ContainerRow = ReturnType<typeof containerRows>[number];

export function containersCommand(stores: readonly Store[], g: GlobalOptions, filter?: RowFilter): string {
  // a names column where the runtime names its containers (podman, docker), as their `ps` shows them
  const hasNames = stores.some((s) => s.containers.some((c) => (c.names?.length ?? 0) > 0));
  return renderRecords(stores, {
    g,
    rows: containerRows,
    id: (r) => r.id,
    ...(filter === undefined
      ? {}
      : {
          keep: rowFilter<ContainerRow>(filter, {
            names: (r) => [...(r.names ?? []), ...(r.pod == null ? [] : [r.pod.containerName])],
            labels: (r) => r.labels,
            podIds: (r) => (r.pod == null ? [] : [r.pod.podUid]),
            podNames: (r) => (r.pod == null ? [] : [r.pod.podName]),
          }),
        }),
    columns: {
      container: (r) => r.id,
      ...(hasNames ? { names: (r: ContainerRow) => (r.names ?? []).join(",") } : {}),
      // what it runs on (its image or its layer chain) could not be read
      image: (r) => (r.error === undefined ? r.image : `${UNREADABLE} ${r.image}`.trimEnd()),
      runtime: (r) => r.runtimeName,
      task: (r) => (r.task === null ? "-" : r.task.status.toUpperCase()),
      pid: (r) => (r.task === null ? "-" : String(r.task.pid)),
    },
  });
}
