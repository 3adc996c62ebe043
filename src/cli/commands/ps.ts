// cli/commands/ps.ts — `crifs ps`: the containers of Kubernetes pods, like `crictl ps -a`. Live: CRI's
// ListContainers. From disk: container records labelled with a pod (sandboxes left out), their task giving
// the state; the attempt lives only in the CRI plugin's own records, so it is null there.

import type { CriContainer } from "../../live/cri.js";
import { nanosToTime } from "../../live/grpc.js";
import { isSandbox } from "../../model/pods.js";
import type { Store } from "../../model/store.js";
import { renderListing } from "../render/format.js";
import { type RowFilter, rowFilter } from "../row-filter.js";
import { criOrDiskRows, type GlobalOptions } from "../stores.js";

export type PsState = "created" | "running" | "exited" | "unknown";

/** JSON contract: docs/json.md#ps. */
export interface PsRow {
  readonly runtime: string;
  readonly namespace: string;
  readonly id: string;
  readonly name: string;
  readonly attempt: number | null;
  readonly podId: string;
  readonly image: string;
  readonly state: PsState;
  readonly createdAt: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly source: "live" | "disk";
}

const CRI_STATE: Record<CriContainer["state"], PsState> = {
  CONTAINER_CREATED: "created",
  CONTAINER_RUNNING: "running",
  CONTAINER_EXITED: "exited",
  CONTAINER_UNKNOWN: "unknown",
};

export function psRowsFromCri(items: readonly CriContainer[]): PsRow[] {
  return items.map((c) => ({
    runtime: "containerd",
    namespace: "k8s.io",
    id: c.id,
    name: c.metadata?.name ?? "",
    attempt: c.metadata?.attempt ?? 0,
    podId: c.pod_sandbox_id,
    image: c.image?.image ?? "",
    state: CRI_STATE[c.state],
    createdAt: nanosToTime(c.created_at),
    labels: c.labels,
    source: "live",
  }));
}

function sandboxIdOf(spec: unknown): string {
  const a = (spec as { annotations?: Record<string, unknown> } | null)?.annotations;
  const v = a?.["io.kubernetes.cri.sandbox-id"];
  return typeof v === "string" ? v : "";
}

/** kubelet creates containers from the image id (`sha256:<config>`), which CRI lists as `image`; the record
 * keeps the name, so map it back through the image records. */
function imageIdOf(s: Store, namespace: string, name: string): string {
  return s.images.find((i) => i.namespace === namespace && i.name === name)?.configDigest ?? name;
}

export function psRowsFromStores(stores: readonly Store[]): PsRow[] {
  return stores.flatMap((s) =>
    s.containers
      .filter((c) => c.pod !== undefined && c.pod !== null && !isSandbox(c))
      .map((c) => ({
        runtime: s.location.runtime,
        namespace: c.namespace,
        id: c.id,
        name: c.pod?.containerName ?? "",
        attempt: null,
        podId: sandboxIdOf(c.spec),
        image: imageIdOf(s, c.namespace, c.image),
        state:
          c.task === null || c.task.status === "created"
            ? ("created" as const)
            : c.task.status === "stopped"
              ? ("exited" as const)
              : c.task.status === "unknown"
                ? ("unknown" as const)
                : ("running" as const),
        createdAt: c.createdAt,
        labels: Object.fromEntries(Object.entries(c.labels).filter(([k]) => k !== "io.cri-containerd.kind")),
        source: s.source?.kind ?? "disk",
      })),
  );
}

export async function psCommand(g: GlobalOptions, filter?: RowFilter): Promise<string> {
  const all = await criOrDiskRows(
    g,
    async (cri) => psRowsFromCri(await cri.listContainers()),
    psRowsFromStores,
  );
  const rows =
    filter === undefined
      ? all
      : all.filter(
          rowFilter<PsRow>(filter, {
            names: (r) => [r.name],
            labels: (r) => r.labels,
            podIds: (r) => [r.podId],
            podNames: (r) => [r.labels["io.kubernetes.pod.name"] ?? ""],
          }),
        );
  return renderListing(
    g,
    rows,
    {
      container: (r) => r.id.slice(0, 13),
      image: (r) => r.image,
      created: (r) => r.createdAt ?? "-",
      state: (r) => r.state.charAt(0).toUpperCase() + r.state.slice(1),
      name: (r) => r.name,
      attempt: (r) => (r.attempt === null ? "-" : String(r.attempt)),
      "pod id": (r) => r.podId.slice(0, 13),
    },
    { id: (r) => r.id },
  );
}
