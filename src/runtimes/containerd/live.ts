// runtimes/containerd/live.ts — the containerd store read through the daemon's own API (namespaces, images,
// containers, snapshots with Mounts/Usage, tasks, content, leases), filling the same model as the offline
// loader (load.ts): same keys, kinds and ids, paths from the snapshotter's Mounts.
//
// What the API does not say comes from where the offline loader takes it, read-only:
//   snapshot dir ids   Mounts names them for active and view snapshots (upperdir, lowerdir); a committed
//                      snapshot that nothing stacks on has no call that names its dir, so its id comes from
//                      the snapshotter's metadata.db
//   image layers       configDigest and snapshotKeys from the (immutable) content store files
//   task bundle        <state>/io.containerd.runtime.v2.task/<ns>/<id> (rootfs below it)
// Ingests in flight are not listed (Content.ListStatuses is not in crifs's proto subset): `ingests` is [].

import { basename, dirname, join } from "node:path";
import { CriClient, type LiveOptions, podOfSandbox } from "../../live/cri.js";
import { collect, dial, type Endpoint, loadProtos, serviceCtor, timestamp, unary } from "../../live/grpc.js";
import { podOfLabels, podsFromContainers } from "../../model/pods.js";
import type { Blob, Container, Image, Lease, Namespace, Pod, Snapshot, Store } from "../../model/store.js";
import {
  KIND,
  type PbAny,
  type PbContainer,
  type PbImage,
  type PbMount,
  type PbProcess,
  type PbSnapshotInfo,
  TASK_STATUS,
  type Ts,
} from "./api-types.js";
import { readContainerdConfig } from "./config.js";
import { readImageLayers } from "./image-layers.js";
import { blobPathOf, readSnapshotDirIds, snapshotFromRecords, snapshotterLayout } from "./load.js";
import { criSettings } from "./runtime-version.js";
import { TASK_DIR } from "./state-dir.js";

const FILES = [
  "containerd/namespaces.proto",
  "containerd/images.proto",
  "containerd/containers.proto",
  "containerd/snapshots.proto",
  "containerd/tasks.proto",
  "containerd/content.proto",
  "containerd/leases.proto",
  "containerd/version.proto",
];

function clients(socket: string) {
  const pkg = loadProtos(FILES);
  const svc = (name: string) => dial(serviceCtor(pkg, `containerd.services.${name}`), socket);
  return {
    namespaces: svc("namespaces.v1.Namespaces"),
    images: svc("images.v1.Images"),
    containers: svc("containers.v1.Containers"),
    snapshots: svc("snapshots.v1.Snapshots"),
    tasks: svc("tasks.v1.Tasks"),
    content: svc("content.v1.Content"),
    leases: svc("leases.v1.Leases"),
    version: svc("version.v1.Version"),
  };
}

/** containerd's version and revision through its Version service. Cost: one call. */
export async function containerdVersion(
  socket: string,
  timeoutMs: number,
): Promise<{ version: string; revision: string }> {
  const c = clients(socket);
  try {
    return await unary(
      c.version,
      "Version",
      {},
      { socket, timeoutMs, speaker: "containerd" },
      "ask containerd its version",
    );
  } finally {
    for (const x of Object.values(c)) x.close();
  }
}

/** "/…/snapshots/<id>/fs" → "<id>" (the overlay snapshotter's layout), else null. */
function dirIdOf(path: string, snapshotsDir: string): string | null {
  const dir = basename(path) === "fs" ? dirname(path) : path;
  return dirname(dir) === snapshotsDir ? basename(dir) : null;
}

function optionValue(m: PbMount, name: string): string | null {
  const o = m.options.find((x) => x.startsWith(`${name}=`));
  return o === undefined ? null : o.slice(name.length + 1);
}

function parseSpec(a: PbAny | null): unknown {
  if (a === null || a.value === undefined) return null;
  try {
    return JSON.parse(a.value.toString("utf8"));
  } catch {
    return { typeUrl: a.type_url, bytes: a.value.length };
  }
}

/**
 * Loads a containerd store through its API at `socket`. Every call has the deadline `options.timeoutMs`.
 * Cost: per namespace one List per kind of object, plus Mounts per active/view snapshot and Usage per
 * committed one (both metadata-only in the overlay snapshotter).
 */
export async function loadContainerdLive(socket: string, options: LiveOptions): Promise<Store> {
  const config = readContainerdConfig({ path: options.config, root: options.root, state: options.state });
  const c = clients(socket);
  const base: Endpoint = { socket, timeoutMs: options.timeoutMs, speaker: "containerd" };
  try {
    const nsr = await unary<{ namespaces: { name: string; labels: Record<string, string> }[] }>(
      c.namespaces,
      "List",
      {},
      base,
      "list containerd namespaces",
    );
    const namespaces: Namespace[] = nsr.namespaces
      .map((n) => ({ name: n.name, labels: n.labels }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const snapshotterNames = new Set<string>([config.snapshotter]);
    const images: Image[] = [];
    const snapshots: Snapshot[] = [];
    const containers: Container[] = [];
    const blobs: Blob[] = [];
    const leases: Lease[] = [];
    for (const { name: ns } of namespaces) {
      const e: Endpoint = { ...base, namespace: ns };
      const [ir, cr, tr, content, lr] = await Promise.all([
        unary<{ images: PbImage[] }>(c.images, "List", { filters: [] }, e, "list images"),
        unary<{ containers: PbContainer[] }>(c.containers, "List", { filters: [] }, e, "list containers"),
        unary<{ tasks: PbProcess[] }>(c.tasks, "List", { filter: "" }, e, "list tasks"),
        collect<{
          info: {
            digest: string;
            size: string;
            created_at: Ts;
            updated_at: Ts;
            labels: Record<string, string>;
          }[];
        }>(c.content, "List", { filters: [] }, e, "list content"),
        unary<{ leases: { id: string; created_at: Ts; labels: Record<string, string> }[] }>(
          c.leases,
          "List",
          { filters: [] },
          e,
          "list leases",
        ),
      ]);
      for (const ctr of cr.containers) if (ctr.snapshotter !== "") snapshotterNames.add(ctr.snapshotter);
      // containerd 1.6 leaves container_id empty in List; an init process's id is its container's id
      const tasks = new Map(tr.tasks.map((t) => [t.container_id === "" ? t.id : t.container_id, t]));
      for (const i of ir.images) {
        const target = i.target ?? { media_type: "", digest: "", size: "0" };
        const l = readImageLayers(
          config.contentRoot,
          { digest: target.digest, mediaType: target.media_type },
          `image ${ns}/${i.name}`,
        );
        images.push({
          namespace: ns,
          name: i.name,
          digest: target.digest,
          mediaType: target.media_type,
          size: Number(target.size),
          createdAt: timestamp(i.created_at),
          updatedAt: timestamp(i.updated_at),
          labels: i.labels,
          configDigest: l.configDigest,
          snapshotKeys: l.snapshotKeys,
        });
      }
      for (const x of cr.containers) {
        const t = tasks.get(x.id);
        const bundle = join(config.state, TASK_DIR, ns, x.id);
        containers.push({
          namespace: ns,
          id: x.id,
          image: x.image,
          snapshotter: x.snapshotter,
          snapshotKey: x.snapshot_key,
          runtime: x.runtime?.name ?? "",
          createdAt: timestamp(x.created_at),
          updatedAt: timestamp(x.updated_at),
          labels: x.labels,
          spec: parseSpec(x.spec),
          task:
            t === undefined
              ? null
              : { status: TASK_STATUS[t.status], pid: t.pid, bundle, rootfs: join(bundle, "rootfs") },
          pod: podOfLabels(x.labels),
        });
      }
      for (const b of content.flatMap((r) => r.info)) {
        blobs.push({
          namespace: ns,
          digest: b.digest,
          size: Number(b.size),
          createdAt: timestamp(b.created_at),
          updatedAt: timestamp(b.updated_at),
          labels: b.labels,
          path: blobPathOf(config, b.digest),
        });
      }
      for (const l of lr.leases) {
        const rr = await unary<{ resources: { id: string; type: string }[] }>(
          c.leases,
          "ListResources",
          { id: l.id },
          e,
          "list lease resources",
        );
        leases.push({
          namespace: ns,
          id: l.id,
          createdAt: timestamp(l.created_at),
          labels: l.labels,
          resources: {
            content: rr.resources.filter((r) => r.type === "content").map((r) => r.id),
            ingests: rr.resources.filter((r) => r.type === "ingests").map((r) => r.id),
            snapshots: rr.resources
              .filter((r) => r.type.startsWith("snapshots/"))
              .map((r) => `${r.type.slice("snapshots/".length)}/${r.id}`),
          },
        });
      }
      for (const sn of snapshotterNames) snapshots.push(...(await listSnapshots(c.snapshots, e, sn, config)));
    }
    const v = await unary<{ version: string }>(c.version, "Version", {}, base, "ask containerd its version");
    const runtimeVersion = { version: v.version.replace(/^v/, ""), source: "daemon" as const };
    return {
      location: { runtime: "containerd", root: config.root, state: config.state, configPath: config.path },
      settings: {
        snapshotter: config.snapshotter,
        sandboxImage: criSettings(config, runtimeVersion).sandboxImage,
        grpcAddress: socket,
        overlayfsRoot: config.overlayfsRoot,
        imageFsMountpoint: config.overlayfsRoot,
        contentRoot: config.contentRoot,
      },
      namespaces,
      images,
      snapshots,
      containers,
      blobs,
      leases,
      ingests: [],
      anomalies: [],
      areas: [],
      pods: await criPods(socket, options.timeoutMs, containers),
      source: { kind: "live", address: socket },
      runtimeVersion,
    };
  } finally {
    for (const x of Object.values(c)) x.close();
  }
}

/** Pods from CRI's ListPodSandbox (attempt, state, annotations are CRI's own), in the namespace of their
 * sandbox container; from the sandbox containers' labels when the CRI plugin is absent or disabled. */
async function criPods(socket: string, timeoutMs: number, containers: readonly Container[]): Promise<Pod[]> {
  const cri = new CriClient(socket, timeoutMs);
  try {
    const items = await cri.listPods();
    const nsOf = new Map(containers.map((c) => [c.id, c.namespace]));
    return items.map((p) => podOfSandbox(p, nsOf.get(p.id) ?? "k8s.io"));
  } catch {
    return podsFromContainers(containers);
  } finally {
    cri.close();
  }
}

async function listSnapshots(
  client: ReturnType<typeof dial>,
  e: Endpoint,
  snapshotter: string,
  config: ReturnType<typeof readContainerdConfig>,
): Promise<Snapshot[]> {
  const layout = snapshotterLayout(config, snapshotter);
  const infos = (
    await collect<{ info: PbSnapshotInfo[] }>(
      client,
      "List",
      { snapshotter, filters: [] },
      e,
      "list snapshots",
    )
  ).flatMap((r) => r.info);
  const ids = new Map<string, string>();
  const byName = new Map(infos.map((i) => [i.name, i]));
  for (const i of infos) {
    if (i.kind !== "ACTIVE" && i.kind !== "VIEW") continue;
    const r = await unary<{ mounts: PbMount[] }>(
      client,
      "Mounts",
      { snapshotter, key: i.name },
      e,
      "read snapshot mounts",
    );
    const m = r.mounts[0];
    if (m === undefined) continue;
    const upper = optionValue(m, "upperdir");
    const lowers = (optionValue(m, "lowerdir") ?? "").split(":").filter((x) => x !== "");
    // a bind mount (a view or active snapshot on a single committed layer) names its dir as the source
    if (m.type === "bind") {
      const id = dirIdOf(m.source, layout.snapshotsDir);
      const owner = i.kind === "VIEW" && i.parent !== "" ? i.parent : i.name;
      if (id !== null && !ids.has(owner)) ids.set(owner, id);
      continue;
    }
    if (upper !== null) {
      const id = dirIdOf(upper, layout.snapshotsDir);
      if (id !== null) ids.set(i.name, id);
    }
    // lowerdir is nearest parent first: walk the parent chain alongside
    let p = i.parent;
    for (const l of lowers) {
      if (p === "") break;
      const id = dirIdOf(l, layout.snapshotsDir);
      if (id !== null && !ids.has(p)) ids.set(p, id);
      p = byName.get(p)?.parent ?? "";
    }
  }
  // committed snapshots no mount names (and views, whose own dir no mount names): the snapshotter's records
  if (infos.some((i) => !ids.has(i.name))) {
    for (const [name, id] of readSnapshotDirIds(config, snapshotter, e.namespace ?? ""))
      if (!ids.has(name)) ids.set(name, id);
  }
  const out: Snapshot[] = [];
  for (const i of infos) {
    const kind = KIND[i.kind];
    const id = ids.get(i.name);
    if (kind === undefined || id === undefined) continue;
    let recordedSize: Snapshot["recordedSize"] = null;
    if (kind === "committed") {
      const u = await unary<{ size: string; inodes: string }>(
        client,
        "Usage",
        { snapshotter, key: i.name },
        e,
        "read snapshot usage",
      );
      recordedSize = { bytes: Number(u.size), inodes: Number(u.inodes) };
    }
    out.push(
      snapshotFromRecords(config, {
        namespace: e.namespace ?? "",
        snapshotter,
        key: i.name,
        parent: i.parent === "" ? null : i.parent,
        kind,
        id,
        createdAt: timestamp(i.created_at),
        updatedAt: timestamp(i.updated_at),
        labels: i.labels,
        recordedSize,
        runtimeKey: "",
      }),
    );
  }
  return out;
}
