import assert from "node:assert/strict";
import { test } from "node:test";
import type { Labels, SnapshotKind, Store } from "./store.js";
import { labelRefs, reachable, whyAlive } from "./usage.js";

const NOW = Date.parse("2026-01-01T12:00:00Z");
const T = "2026-01-01T11:00:00Z";

/** A store from one line per object. */
class StoreBuilder {
  readonly s = {
    location: { runtime: "containerd" as const, root: "/r", state: null, configPath: null },
    settings: {},
    namespaces: [] as Store["namespaces"][number][],
    images: [] as Store["images"][number][],
    snapshots: [] as Store["snapshots"][number][],
    containers: [] as Store["containers"][number][],
    blobs: [] as Store["blobs"][number][],
    leases: [] as Store["leases"][number][],
    ingests: [] as Store["ingests"][number][],
    anomalies: [],
    areas: [],
  };
  image(name: string, digest: string, labels: Labels = {}, ns = "default"): this {
    this.s.images.push({
      namespace: ns,
      name,
      digest,
      mediaType: "",
      size: 0,
      createdAt: T,
      updatedAt: T,
      labels,
      configDigest: null,
      snapshotKeys: [],
    });
    return this;
  }
  blob(digest: string, labels: Labels = {}, ns = "default"): this {
    this.s.blobs.push({
      namespace: ns,
      digest,
      size: 1,
      createdAt: T,
      updatedAt: T,
      labels,
      path: `/b/${digest}`,
    });
    return this;
  }
  snap(
    key: string,
    parent: string | null,
    kind: SnapshotKind = "committed",
    labels: Labels = {},
    ns = "default",
  ): this {
    this.s.snapshots.push({
      namespace: ns,
      snapshotter: "overlayfs",
      key,
      parent,
      kind,
      id: key,
      path: `/s/${key}/fs`,
      dir: `/s/${key}`,
      workPath: null,
      createdAt: T,
      updatedAt: T,
      labels,
      recordedSize: null,
      runtimeKey: `${ns}/1/${key}`,
    });
    return this;
  }
  container(id: string, snapshotKey: string, labels: Labels = {}, ns = "default"): this {
    this.s.containers.push({
      namespace: ns,
      id,
      image: "",
      snapshotter: "overlayfs",
      snapshotKey,
      runtime: "",
      createdAt: T,
      updatedAt: T,
      labels,
      spec: null,
      task: null,
    });
    return this;
  }
  lease(
    id: string,
    held: { content?: string[]; snapshots?: string[]; ingests?: string[] },
    labels: Labels = {},
  ): this {
    this.s.leases.push({
      namespace: "default",
      id,
      createdAt: T,
      labels,
      resources: {
        content: held.content ?? [],
        snapshots: held.snapshots ?? [],
        ingests: held.ingests ?? [],
      },
    });
    return this;
  }
  ingest(ref: string, expiresAt: string | null): this {
    this.s.ingests.push({ namespace: "default", ref, runtimeKey: `default/1/${ref}`, expiresAt });
    return this;
  }
  get store(): Store {
    return this.s;
  }
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

/** Asserts that what `reachable` finds of each kind in `expect` is exactly that list (sorted). */
function assertReachable(
  b: StoreBuilder,
  expect: { blobs?: string[]; snapshots?: string[]; ingests?: string[] },
): void {
  const r = reachable(b.store, { now: NOW });
  for (const kind of ["blobs", "snapshots", "ingests"] as const) {
    const want = expect[kind];
    if (want !== undefined) assert.deepEqual(sorted(r[kind]), want, kind);
  }
}

/** An image as an import leaves it: index → manifest → config → top snapshot → parents. */
function pulledImage(): StoreBuilder {
  return imageContent().image("bb:latest", "sha256:idx");
}

/** What an import writes of an image before its image record: the blobs, and the snapshots they unpack to. */
function imageContent(): StoreBuilder {
  return new StoreBuilder()
    .blob("sha256:idx", { "containerd.io/gc.ref.content.m.0": "sha256:man" })
    .blob("sha256:man", {
      "containerd.io/gc.ref.content.config": "sha256:cfg",
      "containerd.io/gc.ref.content.l.0": "sha256:layer",
    })
    .blob("sha256:cfg", { "containerd.io/gc.ref.snapshot.overlayfs": "top" })
    .blob("sha256:layer")
    .snap("base", null)
    .snap("top", "base");
}

test("an image keeps its index, manifest, config, layers and, through the config's label, its snapshot chain", () => {
  assertReachable(pulledImage().blob("sha256:stray").snap("stray", null), {
    blobs: ["default/sha256:cfg", "default/sha256:idx", "default/sha256:layer", "default/sha256:man"],
    snapshots: ["default/overlayfs/base", "default/overlayfs/top"],
  });
});

test("containers, gc.root labels and live leases are roots; an expired lease is not", () => {
  const b = new StoreBuilder()
    .snap("base", null)
    .snap("c1-snap", "base", "active")
    .container("c1", "c1-snap")
    .snap("pinned", null, "committed", { "containerd.io/gc.root": "2026-01-01T00:00:00Z" })
    .snap("leased", null)
    .snap("expired-lease", null)
    .blob("sha256:rooted", { "containerd.io/gc.root": "x" })
    .blob("sha256:leased")
    .lease("live", { snapshots: ["overlayfs/leased"], content: ["sha256:leased"] })
    .lease(
      "old",
      { snapshots: ["overlayfs/expired-lease"] },
      { "containerd.io/gc.expire": "2025-01-01T00:00:00Z" },
    );
  assertReachable(b, {
    snapshots: [
      "default/overlayfs/base",
      "default/overlayfs/c1-snap",
      "default/overlayfs/leased",
      "default/overlayfs/pinned",
    ],
    blobs: ["default/sha256:leased", "default/sha256:rooted"],
  });
});

test("a flat lease holds its objects but not what their labels reference", () => {
  const b = new StoreBuilder()
    .blob("sha256:man", { "containerd.io/gc.ref.content.config": "sha256:cfg" })
    .blob("sha256:cfg")
    .lease("flat", { content: ["sha256:man"] }, { "containerd.io/gc.flat": "" });
  assert.deepEqual(sorted(reachable(b.store, { now: NOW }).blobs), ["default/sha256:man"]);
  assert.deepEqual(
    whyAlive(b.store, { kind: "blob", namespace: "default", name: "sha256:cfg" }, { now: NOW }),
    [],
  );
});

test("ingests live by an unexpired expireat or a lease", () => {
  const b = new StoreBuilder()
    .ingest("fresh", "2026-01-02T00:00:00Z")
    .ingest("expired", "2025-01-01T00:00:00Z")
    .ingest("leased", null)
    .ingest("orphan", null)
    .lease("l", { ingests: ["leased"] });
  assert.deepEqual(sorted(reachable(b.store, { now: NOW }).ingests), ["default/fresh", "default/leased"]);
});

test("references stay inside their namespace", () => {
  const b = new StoreBuilder()
    .image("bb", "sha256:idx", {}, "a")
    .blob("sha256:idx", {}, "a")
    .blob("sha256:idx", {}, "b");
  assert.deepEqual(sorted(reachable(b.store, { now: NOW }).blobs), ["a/sha256:idx"]);
});

test("label refs: gc.ref.content with or without a name, gc.ref.snapshot.<snapshotter>[/name]; others ignored", () => {
  assert.deepEqual(
    labelRefs("ns", {
      "containerd.io/gc.ref.content": "sha256:a",
      "containerd.io/gc.ref.content.l.0": "sha256:b",
      "containerd.io/gc.ref.content/x": "sha256:c",
      "containerd.io/gc.ref.contentx": "sha256:no",
      "containerd.io/gc.ref.snapshot.overlayfs": "k1",
      "containerd.io/gc.ref.snapshot.native/extra": "k2",
      "containerd.io/uncompressed": "sha256:no",
    }).map((r) => `${r.kind} ${r.name}`),
    ["blob sha256:a", "blob sha256:b", "blob sha256:c", "snapshot overlayfs/k1", "snapshot native/k2"],
  );
});

test("whyAlive gives every chain from a root to a base layer, shortest first", () => {
  const b = pulledImage().snap("c1-snap", "top", "active").container("c1", "c1-snap");
  const chains = whyAlive(
    b.store,
    { kind: "snapshot", namespace: "default", name: "overlayfs/base" },
    { now: NOW },
  );
  assert.deepEqual(
    chains.map((c) => c.map((s) => `${s.kind}:${s.name}`).join(" > ")),
    [
      "container:c1 > snapshot:overlayfs/c1-snap > snapshot:overlayfs/top > snapshot:overlayfs/base",
      "image:bb:latest > blob:sha256:idx > blob:sha256:man > blob:sha256:cfg > snapshot:overlayfs/top > snapshot:overlayfs/base",
    ],
  );
});

test("whyAlive of garbage is empty, and a parent cycle ends the walk", () => {
  const b = new StoreBuilder().snap("a", "b").snap("b", "a").snap("lone", null);
  assert.deepEqual(
    whyAlive(b.store, { kind: "snapshot", namespace: "default", name: "overlayfs/a" }, { now: NOW }),
    [],
  );
  assert.deepEqual(
    whyAlive(b.store, { kind: "snapshot", namespace: "default", name: "overlayfs/lone" }, { now: NOW }),
    [],
  );
});

test("whyAlive names the gc.root label and the lease as roots", () => {
  const b = new StoreBuilder()
    .snap("v", null, "view", { "containerd.io/gc.root": "t" })
    .blob("sha256:x")
    .lease("l1", { content: ["sha256:x"] });
  assert.deepEqual(
    whyAlive(b.store, { kind: "snapshot", namespace: "default", name: "overlayfs/v" }, { now: NOW }),
    [
      [
        { kind: "label", namespace: "default", name: "containerd.io/gc.root=t" },
        { kind: "snapshot", namespace: "default", name: "overlayfs/v" },
      ],
    ],
  );
  assert.deepEqual(
    whyAlive(b.store, { kind: "blob", namespace: "default", name: "sha256:x" }, { now: NOW }).map(
      (c) => c[0]?.kind,
    ),
    ["lease"],
  );
});

// Issue 13 item 10: every protection containerd's GC honours (metadata/gc.go, 1.6), one scenario each, so that
// nothing a writer holds is ever called unreferenced
test("a lease, as ctr holds one during an import, keeps its blobs and everything their gc.ref labels reach", () => {
  const b = imageContent()
    .snap("extract-1", "top", "active")
    .lease(
      "import",
      { content: ["sha256:idx"], snapshots: ["overlayfs/extract-1"], ingests: ["layer-2"] },
      {
        "containerd.io/gc.expire": "2026-01-02T12:00:00Z",
      },
    )
    .ingest("layer-2", null);
  assertReachable(b, {
    blobs: ["default/sha256:cfg", "default/sha256:idx", "default/sha256:layer", "default/sha256:man"],
    snapshots: ["default/overlayfs/base", "default/overlayfs/extract-1", "default/overlayfs/top"],
    ingests: ["default/layer-2"],
  });
});

test("a lease's gc.expire: a future or unreadable time holds, a past one does not", () => {
  const b = new StoreBuilder()
    .blob("sha256:future")
    .blob("sha256:garbled")
    .blob("sha256:past")
    .lease("future", { content: ["sha256:future"] }, { "containerd.io/gc.expire": "2026-01-01T12:00:01Z" })
    .lease("garbled", { content: ["sha256:garbled"] }, { "containerd.io/gc.expire": "tomorrow" })
    .lease("past", { content: ["sha256:past"] }, { "containerd.io/gc.expire": "2026-01-01T11:59:59Z" });
  assert.deepEqual(sorted(reachable(b.store, { now: NOW }).blobs), [
    "default/sha256:future",
    "default/sha256:garbled",
  ]);
});

test("a flat lease's snapshot is held without its parent; a blob also held by a full root keeps its refs", () => {
  const b = new StoreBuilder()
    .snap("base", null)
    .snap("flat-top", "base")
    .blob("sha256:man", { "containerd.io/gc.ref.content.config": "sha256:cfg" })
    .blob("sha256:cfg")
    .lease(
      "flat",
      { snapshots: ["overlayfs/flat-top"], content: ["sha256:man"] },
      { "containerd.io/gc.flat": "1" },
    )
    .lease("full", { content: ["sha256:man"] });
  const r = reachable(b.store, { now: NOW });
  assert.deepEqual(sorted(r.snapshots), ["default/overlayfs/flat-top"]);
  assert.deepEqual(sorted(r.blobs), ["default/sha256:cfg", "default/sha256:man"]);
});

test("gc.root on a blob or a snapshot makes it a root whose refs and parents are followed", () => {
  const b = new StoreBuilder()
    .blob("sha256:pinned", {
      "containerd.io/gc.root": "2026-01-01T00:00:00Z",
      "containerd.io/gc.ref.content": "sha256:kid",
    })
    .blob("sha256:kid")
    .snap("base", null)
    .snap("prepared", "base", "active", { "containerd.io/gc.root": "2026-01-01T00:00:00Z" })
    .snap("committed", "base", "committed", { "containerd.io/gc.root": "2026-01-01T00:00:00Z" })
    .snap("view", "base", "view");
  const r = reachable(b.store, { now: NOW });
  assert.deepEqual(sorted(r.blobs), ["default/sha256:kid", "default/sha256:pinned"]);
  assert.deepEqual(sorted(r.snapshots), [
    "default/overlayfs/base",
    "default/overlayfs/committed",
    "default/overlayfs/prepared",
  ]);
});

test("image and container labels are roots' refs, a snapshot's labels are edges to content, dead edges go nowhere", () => {
  const b = new StoreBuilder()
    .image("img", "sha256:gone", { "containerd.io/gc.ref.snapshot.overlayfs": "img-snap" })
    .snap("img-snap", null, "committed", { "containerd.io/gc.ref.content.sbom": "sha256:sbom" })
    .blob("sha256:sbom")
    .snap("c-snap", null, "active")
    .container("c", "c-snap", { "containerd.io/gc.ref.content.checkpoint": "sha256:ckpt" })
    .blob("sha256:ckpt")
    .blob("sha256:loose");
  const r = reachable(b.store, { now: NOW });
  assert.deepEqual(sorted(r.blobs), ["default/sha256:ckpt", "default/sha256:gone", "default/sha256:sbom"]);
  assert.deepEqual(sorted(r.snapshots), ["default/overlayfs/c-snap", "default/overlayfs/img-snap"]);
});
