import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_CHAIN_LENGTH, SnapshotIndex } from "./chain.js";
import { chainError, markReadErrors, readErrorsByFile } from "./read-errors.js";
import type { Container, Image, Snapshot, Store } from "./store.js";
import { emptyStore } from "./testing.js";

function snap(key: string, parent: string | null): Snapshot {
  return {
    namespace: "",
    snapshotter: "overlay",
    key,
    parent,
    kind: "committed",
    id: key,
    path: `/g/overlay/${key}/diff`,
    dir: `/g/overlay/${key}`,
    workPath: null,
    createdAt: null,
    updatedAt: null,
    labels: {},
    recordedSize: null,
    runtimeKey: key,
  };
}

function store(
  snapshots: Snapshot[],
  images: Partial<Image>[] = [],
  containers: Partial<Container>[] = [],
): Store {
  return emptyStore(
    { runtime: "podman", root: "/g" },
    {
      namespaces: [{ name: "", labels: {} }],
      images: images.map((i) => ({
        namespace: "",
        name: "img",
        digest: "sha256:1",
        mediaType: "",
        size: 0,
        createdAt: null,
        updatedAt: null,
        labels: {},
        configDigest: null,
        snapshotKeys: [],
        ...i,
      })),
      snapshots,
      containers: containers.map((c) => ({
        namespace: "",
        id: "c1",
        image: "img",
        snapshotter: "overlay",
        snapshotKey: "",
        runtime: "podman",
        createdAt: null,
        updatedAt: null,
        labels: {},
        spec: null,
        task: null,
        ...c,
      })),
    },
  );
}

const files = { snapshot: () => "/g/layers.json", container: () => "/g/containers.json" };

test("a cycle, a self-parent and a dangling parent mark the snapshot and everything above it; a sound chain stays unmarked", () => {
  const s = markReadErrors(
    store([
      snap("ok0", null),
      snap("ok1", "ok0"),
      snap("a", "b"),
      snap("b", "a"),
      snap("above", "a"),
      snap("self", "self"),
      snap("orphan", "gone"),
    ]),
    files,
  );
  const marks = Object.fromEntries(s.snapshots.map((x) => [x.key, x.readError?.message ?? null]));
  assert.equal(marks.ok0, null);
  assert.equal(marks.ok1, null);
  assert.match(marks.a ?? "", /loops/);
  assert.match(marks.above ?? "", /loops/);
  assert.match(marks.self ?? "", /names itself as its parent/);
  assert.match(marks.orphan ?? "", /names parent "gone", which is not in the metadata/);
  assert.ok(s.snapshots.every((x) => x.readError === undefined || x.readError.path === "/g/layers.json"));
});

test("an image on a broken layer and a container on a missing layer are marked; one file, one entry", () => {
  const s = markReadErrors(
    store(
      [snap("a", "a"), snap("ok", null)],
      [
        { name: "bad", snapshotKeys: ["a"] },
        { name: "good", snapshotKeys: ["ok"] },
      ],
      [
        { id: "c-missing", snapshotKey: "nope" },
        { id: "c-ok", snapshotKey: "ok" },
      ],
    ),
    files,
  );
  assert.deepEqual(
    s.images.map((i) => [i.name, i.readError?.path ?? null]),
    [
      ["bad", "/g/layers.json"],
      ["good", null],
    ],
  );
  assert.deepEqual(
    s.containers.map((c) => [c.id, c.readError?.path ?? null]),
    [
      ["c-missing", "/g/containers.json"],
      ["c-ok", null],
    ],
  );
  assert.deepEqual([...readErrorsByFile([s]).keys()].sort(), ["/g/containers.json", "/g/layers.json"]);
});

test("a long chain ends in a finding, not a hang", () => {
  const chain = Array.from({ length: 3000 }, (_, i) => snap(`l${i}`, i === 0 ? "l2999" : `l${i - 1}`));
  const t0 = Date.now();
  const s = markReadErrors(store(chain), files);
  assert.ok(s.snapshots.every((x) => x.readError !== undefined));
  assert.ok(Date.now() - t0 < 20_000);
});

test("each snapshot gets the verdict chainError gives it, whatever the order the snapshots come in", () => {
  // a break far up (a dangling parent 300 links up), a sound chain longer than the bound, a cycle with a tail
  const snaps = [
    ...Array.from({ length: 300 }, (_, i) => snap(`d${i}`, i === 0 ? "gone" : `d${i - 1}`)),
    ...Array.from({ length: MAX_CHAIN_LENGTH + 5 }, (_, i) => snap(`s${i}`, i === 0 ? null : `s${i - 1}`)),
    snap("c0", "c2"),
    snap("c1", "c0"),
    snap("c2", "c1"),
    snap("tail", "c1"),
  ];
  for (const order of [snaps, [...snaps].reverse()]) {
    const index = new SnapshotIndex(order);
    const marked = markReadErrors(store(order), files);
    for (const s of marked.snapshots) {
      const want = chainError(index, order.find((x) => x.key === s.key) as Snapshot);
      assert.equal(s.readError?.message, want?.message, s.key);
    }
    const byKey = new Map(marked.snapshots.map((s) => [s.key, s.readError?.message]));
    assert.equal(byKey.get(`s${MAX_CHAIN_LENGTH - 1}`), undefined);
    assert.match(byKey.get(`s${MAX_CHAIN_LENGTH + 4}`) ?? "", /loops/);
    assert.match(byKey.get("d299") ?? "", /names parent "gone"/);
  }
});
