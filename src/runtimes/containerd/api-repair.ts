// runtimes/containerd/api-repair.ts — the repairs only containerd itself may make, through its own gRPC API
// (never by writing meta.db): Snapshots.Remove, Content.Delete, Content.Abort, Leases.Delete. Each call goes
// to the request's namespace (the `containerd-namespace` header, as live.ts reads).
//
// checkContainerdApiRequest re-proves through the same API, just before the call, that the record is still
// as the plan saw it, and returns the reason to skip when it is not:
//   snapshots.remove  the snapshot is there, has no gc.root label, and no child snapshot, container, lease
//                     or blob (an image's config, through its gc.ref.snapshot label) names it
//   content.delete    the blob is there, has no gc.root label, and no image target, lease or other blob
//                     (a gc.ref.content label) names it
//   content.abort     the ingest is there, no lease holds it, and nothing wrote to it for the grace period
//   leases.delete     the lease is there
// containerd makes its own checks again inside the call (a snapshot with a child cannot be removed), so a
// race between the re-check and the call ends in containerd's refusal, never in a removed live record.

import { CrifsError } from "../../errors.js";
import { collect, dial, type Endpoint, loadProtos, serviceCtor, unary } from "../../live/grpc.js";
import type { ApiRequest } from "../../repair/action.js";
import type { ApiCheckOptions } from "../index.js";
import type { PbContainer, PbImage, PbSnapshotInfo, Ts } from "./api-types.js";

const FILES = [
  "containerd/images.proto",
  "containerd/containers.proto",
  "containerd/snapshots.proto",
  "containerd/content.proto",
  "containerd/leases.proto",
];

/** The label that keeps a record whatever references it. */
const GC_ROOT = "containerd.io/gc.root";
/** Blob labels naming other blobs (`containerd.io/gc.ref.content.<anything>`). */
const GC_REF_CONTENT = "containerd.io/gc.ref.content";

function clients(socket: string) {
  const pkg = loadProtos(FILES);
  const svc = (name: string) => dial(serviceCtor(pkg, `containerd.services.${name}`), socket);
  return {
    images: svc("images.v1.Images"),
    containers: svc("containers.v1.Containers"),
    snapshots: svc("snapshots.v1.Snapshots"),
    content: svc("content.v1.Content"),
    leases: svc("leases.v1.Leases"),
  };
}

type Clients = ReturnType<typeof clients>;

async function withClients<T>(socket: string, run: (c: Clients) => Promise<T>): Promise<T> {
  const c = clients(socket);
  try {
    return await run(c);
  } finally {
    for (const x of Object.values(c)) x.close();
  }
}

interface PbContentInfo {
  digest: string;
  labels: Record<string, string>;
}
interface PbStatus {
  ref: string;
  updated_at: Ts;
  offset: string;
  total: string;
}
interface PbLease {
  id: string;
}
interface PbResource {
  id: string;
  type: string;
}

function endpoint(socket: string, timeoutMs: number, namespace: string): Endpoint {
  return { socket, timeoutMs, speaker: "containerd", namespace };
}

function tsMs(t: Ts): number | null {
  if (t === null || t === undefined) return null;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** The leases in the namespace that hold a resource of `type` named `id` (ListResources per lease). */
async function leasesHolding(c: Clients, e: Endpoint, type: string, id: string): Promise<string[]> {
  const lr = await unary<{ leases: PbLease[] }>(c.leases, "List", { filters: [] }, e, "list leases");
  const out: string[] = [];
  for (const l of lr.leases) {
    const rr = await unary<{ resources: PbResource[] }>(
      c.leases,
      "ListResources",
      { id: l.id },
      e,
      `list the resources of lease "${l.id}"`,
    );
    if (rr.resources.some((r) => r.type === type && r.id === id)) out.push(l.id);
  }
  return out;
}

async function listContent(c: Clients, e: Endpoint): Promise<PbContentInfo[]> {
  const rs = await collect<{ info: PbContentInfo[] }>(c.content, "List", { filters: [] }, e, "list content");
  return rs.flatMap((r) => r.info);
}

async function checkSnapshotRemove(
  c: Clients,
  e: Endpoint,
  r: Extract<ApiRequest, { api: "containerd.snapshots.remove" }>,
): Promise<string | null> {
  const what = `snapshot ${r.namespace}/${r.snapshotter}/${r.key}`;
  let info: PbSnapshotInfo;
  try {
    const s = await unary<{ info: PbSnapshotInfo }>(
      c.snapshots,
      "Stat",
      { snapshotter: r.snapshotter, key: r.key },
      e,
      `stat ${what}`,
    );
    info = s.info;
  } catch (err) {
    if (err instanceof CrifsError && err.code === "not-found") return `${what} is gone already`;
    throw err;
  }
  if (info.labels[GC_ROOT] !== undefined) return `${what} is labelled ${GC_ROOT}: someone pinned it`;
  const listed = await collect<{ info: PbSnapshotInfo[] }>(
    c.snapshots,
    "List",
    { snapshotter: r.snapshotter, filters: [] },
    e,
    `list the ${r.snapshotter} snapshots`,
  );
  const refLabel = `containerd.io/gc.ref.snapshot.${r.snapshotter}`;
  const refersTo = (labels: Record<string, string>) =>
    Object.entries(labels).some(([k, v]) => v === r.key && (k === refLabel || k.startsWith(`${refLabel}/`)));
  for (const s of listed.flatMap((x) => x.info)) {
    if (s.parent === r.key) return `snapshot "${s.name}" stands on ${what}`;
    if (refersTo(s.labels)) return `snapshot "${s.name}" references ${what} by its labels`;
  }
  const cr = await unary<{ containers: PbContainer[] }>(
    c.containers,
    "List",
    { filters: [] },
    e,
    "list containers",
  );
  const user = cr.containers.find((x) => x.snapshotter === r.snapshotter && x.snapshot_key === r.key);
  if (user !== undefined) return `container "${user.id}" uses ${what}`;
  const leases = await leasesHolding(c, e, `snapshots/${r.snapshotter}`, r.key);
  if (leases.length > 0) return `lease "${leases[0]}" holds ${what}`;
  const blob = (await listContent(c, e)).find((b) => refersTo(b.labels));
  if (blob !== undefined) return `blob ${blob.digest} (an image's config) references ${what}`;
  return null;
}

async function checkContentDelete(
  c: Clients,
  e: Endpoint,
  r: Extract<ApiRequest, { api: "containerd.content.delete" }>,
): Promise<string | null> {
  const what = `blob ${r.namespace}/${r.digest}`;
  const blobs = await listContent(c, e);
  const self = blobs.find((b) => b.digest === r.digest);
  if (self === undefined) return `${what} is gone already`;
  if (self.labels[GC_ROOT] !== undefined) return `${what} is labelled ${GC_ROOT}: someone pinned it`;
  const ir = await unary<{ images: PbImage[] }>(c.images, "List", { filters: [] }, e, "list images");
  const image = ir.images.find((i) => i.target?.digest === r.digest);
  if (image !== undefined) return `image "${image.name}" names ${what}`;
  const parent = blobs.find((b) =>
    Object.entries(b.labels).some(([k, v]) => v === r.digest && k.startsWith(GC_REF_CONTENT)),
  );
  if (parent !== undefined) return `blob ${parent.digest} references ${what} by its labels`;
  const leases = await leasesHolding(c, e, "content", r.digest);
  if (leases.length > 0) return `lease "${leases[0]}" holds ${what}`;
  return null;
}

async function checkContentAbort(
  c: Clients,
  e: Endpoint,
  r: Extract<ApiRequest, { api: "containerd.content.abort" }>,
  idle: { now: number; graceMs: number },
): Promise<string | null> {
  const what = `ingest ${r.namespace}/${r.ref}`;
  const sr = await unary<{ statuses: PbStatus[] }>(
    c.content,
    "ListStatuses",
    { filters: [] },
    e,
    "list ingests",
  );
  const st = sr.statuses.find((s) => s.ref === r.ref);
  if (st === undefined) return `${what} is gone already`;
  const updated = tsMs(st.updated_at);
  if (updated !== null && idle.now - updated < idle.graceMs)
    return `${what} was written to ${Math.round((idle.now - updated) / 1000)} s ago`;
  const leases = await leasesHolding(c, e, "ingests", r.ref);
  if (leases.length > 0) return `lease "${leases[0]}" holds ${what}`;
  return null;
}

async function checkLeaseDelete(
  c: Clients,
  e: Endpoint,
  r: Extract<ApiRequest, { api: "containerd.leases.delete" }>,
): Promise<string | null> {
  const lr = await unary<{ leases: PbLease[] }>(c.leases, "List", { filters: [] }, e, "list leases");
  return lr.leases.some((l) => l.id === r.id) ? null : `lease ${r.namespace}/${r.id} is gone already`;
}

/**
 * Re-proves through containerd's API at `socket` that `request` still acts on what its plan saw (see the
 * header): null when it does, else the reason to skip it. Throws (a CrifsError line) when containerd does not
 * answer. Cost: a few List calls in the request's namespace, plus ListResources per lease.
 */
export function checkContainerdApiRequest(
  request: ApiRequest,
  socket: string,
  timeoutMs: number,
  options: ApiCheckOptions = {},
): Promise<string | null> {
  if (!request.api.startsWith("containerd."))
    return Promise.resolve(`containerd does not serve ${request.api}`);
  const ns = (request as { namespace: string }).namespace;
  const e = endpoint(socket, timeoutMs, ns);
  return withClients(socket, (c) => {
    switch (request.api) {
      case "containerd.snapshots.remove":
        return checkSnapshotRemove(c, e, request);
      case "containerd.content.delete":
        return checkContentDelete(c, e, request);
      case "containerd.content.abort":
        return checkContentAbort(c, e, request, {
          now: options.now ?? Date.now(),
          graceMs: options.graceMs ?? 60_000,
        });
      case "containerd.leases.delete":
        return checkLeaseDelete(c, e, request);
      default:
        return Promise.resolve(`containerd does not serve ${request.api}`);
    }
  });
}

/** Whether the record `request` acts on is no longer there (asked through the API). */
async function isGone(c: Clients, e: Endpoint, request: ApiRequest): Promise<boolean> {
  switch (request.api) {
    case "containerd.snapshots.remove":
      try {
        await unary(
          c.snapshots,
          "Stat",
          { snapshotter: request.snapshotter, key: request.key },
          e,
          "stat it",
        );
        return false;
      } catch (err) {
        if (err instanceof CrifsError && err.code === "not-found") return true;
        throw err;
      }
    case "containerd.content.delete":
      return !(await listContent(c, e)).some((b) => b.digest === request.digest);
    case "containerd.content.abort": {
      const sr = await unary<{ statuses: PbStatus[] }>(
        c.content,
        "ListStatuses",
        { filters: [] },
        e,
        "list ingests",
      );
      return !sr.statuses.some((st) => st.ref === request.ref);
    }
    case "containerd.leases.delete": {
      const lr = await unary<{ leases: PbLease[] }>(c.leases, "List", { filters: [] }, e, "list leases");
      return !lr.leases.some((l) => l.id === request.id);
    }
    default:
      return false;
  }
}

/**
 * Makes `request` through containerd's API at `socket`: one call, in the request's namespace, bounded by
 * `timeoutMs`. Throws a CrifsError line when containerd refuses (its own reason, e.g. "cannot remove
 * snapshot with child") or does not answer. Not undoable.
 *
 * Idempotent: containerd's own GC may take an unreferenced record between the re-check and the call (a parent
 * right after its last child went), and a run resumed after a crash repeats the call its journal left open.
 * containerd answers "not found" then, which is the end state the call was for: when the API confirms the
 * record is gone, the call succeeds. A "not found" about something else ("parent snapshot … does not exist",
 * the record still there) is thrown as containerd's refusal.
 */
export function runContainerdApiRequest(
  request: ApiRequest,
  socket: string,
  timeoutMs: number,
): Promise<void> {
  return withClients(socket, async (c) => {
    const e = endpoint(socket, timeoutMs, (request as { namespace?: string }).namespace ?? "");
    try {
      await call(c, e, request);
    } catch (err) {
      if (err instanceof CrifsError && err.code === "not-found" && (await isGone(c, e, request))) return;
      throw err;
    }
  });
}

async function call(c: Clients, e: Endpoint, request: ApiRequest): Promise<void> {
  switch (request.api) {
    case "containerd.snapshots.remove":
      await unary(
        c.snapshots,
        "Remove",
        { snapshotter: request.snapshotter, key: request.key },
        e,
        `remove snapshot ${request.namespace}/${request.snapshotter}/${request.key}`,
      );
      return;
    case "containerd.content.delete":
      await unary(
        c.content,
        "Delete",
        { digest: request.digest },
        e,
        `delete blob ${request.namespace}/${request.digest}`,
      );
      return;
    case "containerd.content.abort":
      await unary(
        c.content,
        "Abort",
        { ref: request.ref },
        e,
        `abort ingest ${request.namespace}/${request.ref}`,
      );
      return;
    case "containerd.leases.delete":
      await unary(
        c.leases,
        "Delete",
        { id: request.id, sync: false },
        e,
        `delete lease ${request.namespace}/${request.id}`,
      );
      return;
    default:
      throw new Error(`containerd does not serve ${request.api}`);
  }
}
