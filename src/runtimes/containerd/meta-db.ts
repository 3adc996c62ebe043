// runtimes/containerd/meta-db.ts — containerd's metadata database (io.containerd.metadata.v1.bolt/meta.db).
//
//   v1/                               version = varint 3
//     <namespace>/
//       labels/                       namespace labels
//       images/<name>/                createdat updatedat target/{digest mediatype size} labels/ annotations/
//       containers/<id>/              createdat updatedat image snapshotter snapshotKey spec(Any)
//                                     runtime/{name options} labels/ extensions/
//       content/blob/<digest>/        createdat updatedat size labels/
//       content/ingests/<ref>/        ref ("<ns>/<seq>/<ref>") expireat
//       leases/<id>/                  createdat labels/ content/<digest> ingests/<ref> snapshots/<snapshotter>/<key>
//       snapshots/<snapshotter>/<name>/  name ("<ns>/<seq>/<name>": the snapshotter's key) parent createdat
//                                        updatedat labels/ children/<name>
//       sandboxes/<id>/               (containerd 2.x: the sandbox API's records; CRI's pods, id = the pod's)
//                                     createdat updatedat sandboxer ("podsandbox") runtime/{name options}
//                                     labels/ extensions/metadata (Any: the CRI plugin's sandbox Metadata as
//                                     JSON {"Version":"v1","Metadata":{ID, Name, Config:{metadata, labels,
//                                     annotations, …}, RuntimeHandler, …}})
// Times are Go MarshalBinary, sizes zig-zag varints. Pure: a parsed bolt tree in, records out.

import type { BoltBucket, BoltDb } from "../../formats/bbolt/index.js";
import { text } from "../../formats/bbolt/index.js";
import { decodeAny, varintNumber } from "../../formats/go/encoding.js";
import type { Anomaly, Blob, Container, Image, Ingest, Labels, Lease, Namespace } from "../../model/store.js";
import { labelsOf, str, time } from "./bolt-fields.js";

export interface MetaSnapshot {
  readonly namespace: string;
  readonly snapshotter: string;
  readonly name: string;
  /** "<ns>/<seq>/<name>": the key the snapshotter's own database uses. */
  readonly backendKey: string;
  readonly parent: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly labels: Labels;
}

/** A container record of meta.db: the model's container without what other files say (task, pod). */
export type MetaContainer = Pick<
  Container,
  | "namespace"
  | "id"
  | "image"
  | "snapshotter"
  | "snapshotKey"
  | "runtime"
  | "createdAt"
  | "updatedAt"
  | "labels"
  | "spec"
>;

/** A sandbox record of containerd 2.x's meta.db, with what its CRI extension says of the pod. */
export interface MetaSandbox {
  readonly namespace: string;
  readonly id: string;
  readonly sandboxer: string;
  readonly runtime: string;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly labels: Labels;
  /** The CRI plugin's metadata of the pod (extensions/metadata), null when the record has none. */
  readonly cri: {
    readonly name: string;
    readonly podNamespace: string;
    readonly uid: string;
    readonly attempt: number;
    readonly labels: Labels;
    readonly annotations: Labels;
    readonly runtimeHandler: string;
  } | null;
}

export interface MetaRecords {
  readonly schemaVersion: number | null;
  readonly namespaces: Namespace[];
  readonly images: Omit<Image, "configDigest" | "snapshotKeys">[];
  readonly containers: MetaContainer[];
  readonly snapshots: MetaSnapshot[];
  /** Blob records (path filled by the caller, who knows the content root). */
  readonly blobs: Omit<Blob, "path">[];
  readonly leases: Lease[];
  readonly ingests: Ingest[];
  /** containerd 2.x's sandbox records (empty for 1.x, which keeps none). */
  readonly sandboxes: MetaSandbox[];
  readonly anomalies: Anomaly[];
}

/** The createdat, updatedat and labels every record bucket (image, container, blob, sandbox, snapshot) holds. */
function stamps(b: BoltBucket): { createdAt: string | null; updatedAt: string | null; labels: Labels } {
  return {
    createdAt: time(b, "createdat"),
    updatedAt: time(b, "updatedat"),
    labels: labelsOf(b.bucket("labels")),
  };
}

/** The name in a record's runtime bucket (containers, sandboxes); "" when it has none. */
function runtimeName(b: BoltBucket): string {
  const runtime = b.bucket("runtime");
  return runtime === undefined ? "" : str(runtime, "name");
}

function* buckets(b: BoltBucket | undefined): Generator<[string, BoltBucket]> {
  if (b === undefined) return;
  for (const e of b.entries()) if (e.bucket !== null) yield [text(e.key), e.bucket];
}

function keys(b: BoltBucket | undefined): string[] {
  if (b === undefined) return [];
  return [...b.entries()].map((e) => text(e.key));
}

function decodeSpec(raw: Uint8Array | undefined): unknown {
  if (raw === undefined) return null;
  const any = decodeAny(raw);
  const json = new TextDecoder().decode(any.value);
  try {
    return JSON.parse(json);
  } catch {
    return { typeUrl: any.typeUrl, bytes: any.value.length };
  }
}

function stringMap(v: unknown): Labels {
  if (typeof v !== "object" || v === null) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** The CRI plugin's sandbox Metadata (an Any holding JSON); throws when it is not JSON (an anomaly). */
function decodeCriSandbox(raw: Uint8Array | undefined): MetaSandbox["cri"] {
  if (raw === undefined) return null;
  const doc = JSON.parse(new TextDecoder().decode(decodeAny(raw).value)) as {
    Metadata?: { RuntimeHandler?: unknown; Config?: Record<string, unknown> };
  };
  const config = doc.Metadata?.Config ?? {};
  const meta = (config.metadata ?? {}) as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === "string" ? v : "");
  return {
    name: s(meta.name),
    podNamespace: s(meta.namespace),
    uid: s(meta.uid),
    // protobuf's JSON leaves a zero attempt out
    attempt: typeof meta.attempt === "number" ? meta.attempt : 0,
    labels: stringMap(config.labels),
    annotations: stringMap(config.annotations),
    runtimeHandler: s(doc.Metadata?.RuntimeHandler),
  };
}

/**
 * Reads every namespace's records from a parsed meta.db. Cost: metadata only.
 * A record that does not decode is skipped and reported as an anomaly; the rest still loads.
 */
export function readMetaDb(db: BoltDb): MetaRecords {
  const out: MetaRecords = {
    schemaVersion: null,
    namespaces: [],
    images: [],
    containers: [],
    snapshots: [],
    blobs: [],
    leases: [],
    ingests: [],
    sandboxes: [],
    anomalies: [],
  };
  const v1 = db.root.bucket("v1");
  if (v1 === undefined) return out;
  const version = v1.get("version");
  const records = out as { schemaVersion: number | null };
  if (version !== undefined) records.schemaVersion = varintNumber(version, true);

  const guard = (subject: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      out.anomalies.push({
        path: db.path,
        subject,
        message: `cannot decode ${subject}: ${(err as Error).message}`,
      });
    }
  };

  /** Each record bucket under `parent`, each decoded under guard as "<subject>/<key>". */
  const eachRecord = (
    parent: BoltBucket | undefined,
    subject: string,
    fn: (key: string, b: BoltBucket) => void,
  ) => {
    for (const [key, b] of buckets(parent)) guard(`${subject}/${key}`, () => fn(key, b));
  };

  for (const [ns, nsb] of buckets(v1)) {
    out.namespaces.push({ name: ns, labels: labelsOf(nsb.bucket("labels")) });

    eachRecord(nsb.bucket("images"), `image ${ns}`, (name, ib) => {
      const target = ib.bucket("target");
      const size = target?.get("size");
      out.images.push({
        namespace: ns,
        name,
        digest: target === undefined ? "" : str(target, "digest"),
        mediaType: target === undefined ? "" : str(target, "mediatype"),
        size: size === undefined ? 0 : varintNumber(size, true),
        ...stamps(ib),
      });
    });

    eachRecord(nsb.bucket("containers"), `container ${ns}`, (id, cb) => {
      out.containers.push({
        namespace: ns,
        id,
        image: str(cb, "image"),
        snapshotter: str(cb, "snapshotter"),
        snapshotKey: str(cb, "snapshotKey"),
        runtime: runtimeName(cb),
        ...stamps(cb),
        spec: decodeSpec(cb.get("spec")),
      });
    });

    const content = nsb.bucket("content");
    eachRecord(content?.bucket("blob"), `blob ${ns}`, (digest, bb) => {
      const size = bb.get("size");
      out.blobs.push({
        namespace: ns,
        digest,
        size: size === undefined ? 0 : varintNumber(size, true),
        ...stamps(bb),
      });
    });
    eachRecord(content?.bucket("ingests"), `ingest ${ns}`, (ref, ib) => {
      out.ingests.push({ namespace: ns, ref, runtimeKey: str(ib, "ref"), expiresAt: time(ib, "expireat") });
    });

    eachRecord(nsb.bucket("leases"), `lease ${ns}`, (id, lb) => {
      const snaps: string[] = [];
      for (const [sn, sb] of buckets(lb.bucket("snapshots")))
        for (const k of keys(sb)) snaps.push(`${sn}/${k}`);
      out.leases.push({
        namespace: ns,
        id,
        createdAt: time(lb, "createdat"),
        labels: labelsOf(lb.bucket("labels")),
        resources: {
          content: keys(lb.bucket("content")),
          ingests: keys(lb.bucket("ingests")),
          snapshots: snaps,
        },
      });
    });

    eachRecord(nsb.bucket("sandboxes"), `sandbox ${ns}`, (id, sb) => {
      out.sandboxes.push({
        namespace: ns,
        id,
        sandboxer: str(sb, "sandboxer"),
        runtime: runtimeName(sb),
        ...stamps(sb),
        cri: decodeCriSandbox(sb.bucket("extensions")?.get("metadata")),
      });
    });

    for (const [snapshotter, sb] of buckets(nsb.bucket("snapshots"))) {
      eachRecord(sb, `snapshot ${ns}/${snapshotter}`, (name, rb) => {
        const parent = rb.get("parent");
        out.snapshots.push({
          namespace: ns,
          snapshotter,
          name,
          backendKey: str(rb, "name"),
          parent: parent === undefined || parent.length === 0 ? null : text(parent),
          ...stamps(rb),
        });
      });
    }
  }
  return out;
}
