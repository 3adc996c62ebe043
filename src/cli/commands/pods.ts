// cli/commands/pods.ts — `crifs pods`: Kubernetes pod sandboxes, like `crictl pods`. Live: CRI's
// ListPodSandbox. From disk: the sandbox containers and the io.kubernetes.* labels kubelet sets.

import { type CriPodSandbox, podOfSandbox } from "../../live/cri.js";
import type { Pod, Store } from "../../model/store.js";
import { renderListing } from "../render/format.js";
import { type RowFilter, rowFilter } from "../row-filter.js";
import { criOrDiskRows, type GlobalOptions } from "../stores.js";

/** JSON contract: docs/json.md#pods. */
export interface PodRow {
  readonly runtime: string;
  readonly namespace: string;
  readonly id: string;
  readonly name: string;
  readonly podNamespace: string;
  readonly uid: string;
  readonly attempt: number;
  readonly state: "ready" | "notready";
  readonly createdAt: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly runtimeHandler: string;
  readonly source: "live" | "disk";
}

function podRow(p: Pod, runtime: string, source: PodRow["source"]): PodRow {
  return {
    runtime,
    namespace: p.namespace,
    id: p.id,
    name: p.podName,
    podNamespace: p.podNamespace,
    uid: p.podUid,
    attempt: p.attempt,
    state: p.state,
    createdAt: p.createdAt,
    labels: p.labels,
    annotations: p.annotations,
    runtimeHandler: p.runtimeHandler,
    source,
  };
}

export function podRowsFromCri(items: readonly CriPodSandbox[]): PodRow[] {
  return items.map((p) => podRow(podOfSandbox(p, "k8s.io"), "containerd", "live"));
}

export function podRowsFromStores(stores: readonly Store[]): PodRow[] {
  return stores.flatMap((s) =>
    (s.pods ?? []).map((p) => podRow(p, s.location.runtime, s.source?.kind ?? "disk")),
  );
}

export async function podsCommand(g: GlobalOptions, filter?: RowFilter): Promise<string> {
  const all = await criOrDiskRows(g, async (cri) => podRowsFromCri(await cri.listPods()), podRowsFromStores);
  const rows =
    filter === undefined
      ? all
      : all.filter(
          rowFilter<PodRow>(filter, {
            names: (r) => [r.name],
            labels: (r) => r.labels,
            podIds: (r) => [r.id],
            podNames: (r) => [r.name],
          }),
        );
  return renderListing(
    g,
    rows,
    {
      "pod id": (r) => r.id.slice(0, 13),
      created: (r) => r.createdAt ?? "-",
      state: (r) => (r.state === "ready" ? "Ready" : "NotReady"),
      name: (r) => r.name,
      namespace: (r) => r.podNamespace,
      attempt: (r) => String(r.attempt),
      runtime: (r) => (r.runtimeHandler === "" ? "(default)" : r.runtimeHandler),
    },
    { id: (r) => r.id },
  );
}
