// disk/du.ts — every allocated byte under a storage root, attributed to what holds it, for any runtime. One scan of the whole
// root (scanTrees), split into trees so that each byte lands in exactly one category:
//
//   committed snapshot dirs   image-layers-shared   layers used by more than one image (distinct configs)
//                             image-layers-unique   layers used by exactly one image
//                             layers-unreferenced   committed layers no image uses
//   active snapshot dirs      container-layers      a container's writable layer
//                             active-snapshots      an active snapshot no container owns (ctr snapshots prepare)
//   view snapshot dirs        views
//   the store's areas (Store.areas, filled by each adapter, by role):
//     content-blobs, ingest, tmpmounts, metadata, container-data, logs   the category of the same name
//   snapshot-home entries no snapshot's dir claims    leaked   (incl. containerd's new-* / rm-* temp dirs)
//   everything else           other                 (the root's own dirs, runtime v2 work dirs, …)
//
// Trees are scanned in that order, so a hard-linked inode belongs to the first tree reaching it and is
// counted once (dev+ino), like du. Nested tree roots are not entered from the tree around them. The scan does
// not cross into other file systems (a mounted rootfs is not walked), like du -x.

import { lstatSync } from "node:fs";
import { basename, join } from "node:path";
import { fsPath } from "../fs/name-codec.js";
import { readNames } from "../fs/read-exact.js";
import { type ScanProgress, type ScanResult, scanTrees, type Tree, type Usage } from "../fs/walk.js";
import type { AreaRole, ContainerPod, ReadError, Snapshot, Store } from "../model/store.js";

export const categories = [
  "image-layers-shared",
  "image-layers-unique",
  "layers-unreferenced",
  "container-layers",
  "active-snapshots",
  "views",
  "content-blobs",
  "ingest",
  "tmpmounts",
  "leaked",
  "metadata",
  "container-data",
  "logs",
  "other",
] as const;
export type Category = (typeof categories)[number];

/** The categories a namespace can own bytes of: the snapshot dirs', first in du's order up to views; every
 * other category is namespace "". */
export const namespacedCategories: readonly Category[] = categories.slice(0, categories.indexOf("views") + 1);

interface PlannedTree extends Tree {
  readonly category: Category;
  readonly snapshot?: Snapshot;
}

const zero = (): Usage => ({ allocatedBytes: 0, apparentBytes: 0, inodes: 0 });
const add = (a: Usage, b: Usage) => {
  a.allocatedBytes += b.allocatedBytes;
  a.apparentBytes += b.apparentBytes;
  a.inodes += b.inodes;
};

/** Images grouped by config digest (names that point to the same image content count as one). */
function imageGroups(store: Store) {
  const groups = new Map<
    string,
    {
      namespace: string;
      configDigest: string | null;
      names: string[];
      keys: Set<string>;
      error: ReadError | undefined;
    }
  >();
  for (const i of store.images) {
    const id = `${i.namespace}/${i.configDigest ?? i.digest}`;
    const g = groups.get(id) ?? {
      namespace: i.namespace,
      configDigest: i.configDigest,
      names: [],
      keys: new Set<string>(),
      error: undefined,
    };
    g.names.push(i.name);
    g.error ??= i.readError;
    for (const k of i.snapshotKeys) g.keys.add(k);
    groups.set(id, g);
  }
  return [...groups.values()];
}

const areaCategory: Record<Exclude<AreaRole, "snapshot-home">, Category> = {
  "content-blobs": "content-blobs",
  ingest: "ingest",
  tmpmounts: "tmpmounts",
  metadata: "metadata",
  "container-data": "container-data",
  logs: "logs",
};

/** The trees to scan, in attribution order. Pure but for listing the store's snapshot homes. */
export function planDuTrees(store: Store): PlannedTree[] {
  const groups = imageGroups(store);
  const users = new Map<string, number>();
  for (const g of groups)
    for (const k of g.keys) users.set(`${g.namespace}/${k}`, (users.get(`${g.namespace}/${k}`) ?? 0) + 1);
  const owned = new Set(store.containers.map((c) => `${c.namespace}/${c.snapshotter}/${c.snapshotKey}`));
  const trees: PlannedTree[] = [];
  const byKind = (k: Snapshot["kind"]) => store.snapshots.filter((s) => s.kind === k);
  const id = (s: Snapshot) => `snapshot:${s.namespace}/${s.snapshotter}/${s.key}`;
  for (const s of byKind("committed")) {
    const n = users.get(`${s.namespace}/${s.key}`) ?? 0;
    const category: Category =
      n > 1 ? "image-layers-shared" : n === 1 ? "image-layers-unique" : "layers-unreferenced";
    const changedAtMs = Date.parse(s.updatedAt ?? s.createdAt ?? "");
    trees.push({
      id: id(s),
      path: s.dir,
      immutable: true,
      ...(Number.isNaN(changedAtMs) ? {} : { changedAtMs }),
      category,
      snapshot: s,
    });
  }
  for (const s of byKind("active")) {
    const category: Category = owned.has(`${s.namespace}/${s.snapshotter}/${s.key}`)
      ? "container-layers"
      : "active-snapshots";
    trees.push({ id: id(s), path: s.dir, category, snapshot: s });
  }
  for (const s of byKind("view")) trees.push({ id: id(s), path: s.dir, category: "views", snapshot: s });
  for (const a of store.areas) {
    if (a.role !== "snapshot-home")
      trees.push({ id: `area:${a.role}:${a.path}`, path: a.path, category: areaCategory[a.role] });
  }
  // entries of a snapshot home that no snapshot claims: leaked (incl. interrupted new-* / rm-* dirs)
  const claimed = new Set(store.snapshots.map((s) => s.dir));
  for (const a of store.areas) {
    if (a.role !== "snapshot-home") continue;
    let names: string[] = [];
    try {
      names = readNames(a.path); // exact: a leaked entry named in no UTF-8 is still walked and counted
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const path = join(a.path, name);
      if (!claimed.has(path) && !(a.ignore ?? []).includes(name))
        trees.push({ id: `leaked:${path}`, path, category: "leaked" });
    }
  }
  trees.push({ id: "other", path: store.location.root, category: "other" });
  return trees;
}

export interface DuReport {
  readonly root: string;
  readonly engine: string;
  readonly total: Usage;
  readonly categories: ({ category: Category } & Usage)[];
  /**
   * The categories split by the runtime's namespace (containerd's; "" for what no namespace owns: blobs,
   * metadata, leaked dirs, other, and every byte of a runtime without namespaces). Non-zero rows only, by
   * namespace then category order; per category they add up to `categories`.
   */
  readonly namespaces: ({ namespace: string; category: Category } & Usage)[];
  readonly images: {
    namespace: string;
    names: string[];
    configDigest: string | null;
    layers: number;
    allocatedBytes: number;
    uniqueBytes: number;
    sharedBytes: number;
    /** Set when its layers could not be read: the sums count only the layers that could. */
    error?: ReadError;
  }[];
  readonly containers: {
    namespace: string;
    id: string;
    image: string;
    snapshotKey: string;
    /** The Kubernetes pod and container name, null outside a pod. */
    pod: ContainerPod | null;
    allocatedBytes: number;
    apparentBytes: number;
    inodes: number;
    /** Set when its writable layer (or the chain below it) could not be read. */
    error?: ReadError;
  }[];
  /** Every snapshot (layer) dir and every leaked entry of a snapshot home, in the order of `categories`:
   * the bytes du gave it, so that a category's entries add up to the category (docs/json.md#du). */
  readonly layers: DuLayer[];
  readonly errors: readonly { path: string; message: string }[];
  readonly cachedTrees: number;
}

/** One snapshot dir (or a leaked entry of a snapshot home) as du counted it. */
export interface DuLayer extends Usage {
  readonly category: Category;
  /** "" for a leaked entry (it belongs to no namespace). */
  readonly namespace: string;
  readonly snapshotter: string;
  /** The snapshot key; a leaked entry's name in its snapshot home. */
  readonly key: string;
  readonly kind: Snapshot["kind"] | "leaked";
  readonly path: string;
  /** The images whose chains hold it, each as `images[].names[0]` (its config digest when it has no name). */
  readonly images: string[];
}

/** Whether a planned tree is a single file (a bolt file inside a snapshotter home, a stray file in a layer
 * home): scanTrees does not exclude a nested file from the tree around it, so such a file's bytes are moved
 * from `other` to its category after the scan instead. */
function isFileTree(t: PlannedTree): boolean {
  try {
    return !lstatSync(fsPath(t.path)).isDirectory();
  } catch {
    return false;
  }
}

/** Attributes every allocated byte under the store's root. Cost: one full walk (committed layers cached). */
export async function computeDu(
  store: Store,
  options: { cacheDir?: string | null; progress?: ScanProgress } = {},
): Promise<DuReport> {
  const planned = planDuTrees(store);
  // only the store's areas and leaked entries can be single files: snapshot dirs are not asked
  const files = planned.filter((t) => t.id !== "other" && t.snapshot === undefined && isFileTree(t));
  const trees = planned.filter((t) => !files.includes(t));
  const scan: ScanResult = await scanTrees(trees, {
    oneFileSystem: true,
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
  });
  const byCategory = new Map<Category, Usage>(categories.map((c) => [c, zero()]));
  // namespace → category → usage: a snapshot's tree is its namespace's, every other tree belongs to none ("")
  const byNamespace = new Map<string, Map<Category, Usage>>();
  const nsUsage = (ns: string, c: Category): Usage => {
    const m = byNamespace.get(ns) ?? new Map<Category, Usage>();
    byNamespace.set(ns, m);
    const u = m.get(c) ?? zero();
    m.set(c, u);
    return u;
  };
  const perTree = (id: string) => scan.perTree.get(id) ?? zero();
  for (const t of trees) {
    add(byCategory.get(t.category) as Usage, perTree(t.id));
    add(nsUsage(t.snapshot?.namespace ?? "", t.category), perTree(t.id));
  }
  const fileUsage = new Map<string, Usage>();
  for (const f of files) {
    try {
      const st = lstatSync(fsPath(f.path));
      if (st.nlink !== 1) continue;
      const u = { allocatedBytes: st.blocks * 512, apparentBytes: st.size, inodes: 1 };
      const other = byCategory.get("other") as Usage;
      if (other.inodes < 1) continue;
      fileUsage.set(f.id, u);
      const minus = { allocatedBytes: -u.allocatedBytes, apparentBytes: -u.apparentBytes, inodes: -1 };
      add(byCategory.get(f.category) as Usage, u);
      add(other, minus);
      add(nsUsage("", f.category), u);
      add(nsUsage("", "other"), minus);
    } catch {
      // absent: nothing to move
    }
  }
  const snapUsage = new Map(
    trees
      .filter((t) => t.snapshot)
      .map((t) => [`${t.snapshot?.namespace}/${t.snapshot?.key}`, perTree(t.id)]),
  );
  const groups = imageGroups(store);
  const users = new Map<string, number>();
  const usedBy = new Map<string, string[]>();
  for (const g of groups) {
    const name = [...g.names].sort()[0] ?? g.configDigest ?? "";
    for (const k of g.keys) {
      const at = `${g.namespace}/${k}`;
      users.set(at, (users.get(at) ?? 0) + 1);
      const names = usedBy.get(at) ?? [];
      names.push(name);
      usedBy.set(at, names);
    }
  }
  const layers: DuLayer[] = [];
  for (const t of planned) {
    const s = t.snapshot;
    if (s !== undefined)
      layers.push({
        category: t.category,
        namespace: s.namespace,
        snapshotter: s.snapshotter,
        key: s.key,
        kind: s.kind,
        path: s.dir,
        images: (usedBy.get(`${s.namespace}/${s.key}`) ?? []).sort(),
        ...perTree(t.id),
      });
    else if (t.category === "leaked")
      layers.push({
        category: "leaked",
        namespace: "",
        snapshotter: "",
        key: basename(t.path),
        kind: "leaked",
        path: t.path,
        images: [],
        ...(fileUsage.get(t.id) ?? perTree(t.id)),
      });
  }
  layers.sort((a, b) => categories.indexOf(a.category) - categories.indexOf(b.category));
  const images = groups.map((g) => {
    let all = 0;
    let unique = 0;
    for (const k of g.keys) {
      const u = snapUsage.get(`${g.namespace}/${k}`)?.allocatedBytes ?? 0;
      all += u;
      if ((users.get(`${g.namespace}/${k}`) ?? 0) === 1) unique += u;
    }
    return {
      namespace: g.namespace,
      names: g.names.sort(),
      configDigest: g.configDigest,
      layers: g.keys.size,
      allocatedBytes: all,
      uniqueBytes: unique,
      sharedBytes: all - unique,
      ...(g.error === undefined ? {} : { error: g.error }),
    };
  });
  const containers = store.containers.map((c) => {
    const u = snapUsage.get(`${c.namespace}/${c.snapshotKey}`) ?? zero();
    return {
      namespace: c.namespace,
      id: c.id,
      image: c.image,
      snapshotKey: c.snapshotKey,
      pod: c.pod ?? null,
      ...u,
      ...(c.readError === undefined ? {} : { error: c.readError }),
    };
  });
  return {
    root: store.location.root,
    engine: scan.engine,
    total: scan.total,
    categories: categories.map((c) => ({ category: c, ...(byCategory.get(c) as Usage) })),
    namespaces: [...byNamespace.keys()].sort().flatMap((namespace) =>
      categories.flatMap((category) => {
        const u = byNamespace.get(namespace)?.get(category);
        return u === undefined || (u.allocatedBytes === 0 && u.inodes === 0)
          ? []
          : [{ namespace, category, ...u }];
      }),
    ),
    images,
    containers,
    layers,
    errors: scan.errors.map((e) => ({ path: e.path, message: e.message })),
    cachedTrees: scan.cachedTrees.length,
  };
}

/** One image filesystem as CRI's ImageFsInfo reports it (docs/json.md#imagefsinfo). */
export interface ImageFsUsage {
  readonly timestamp: number;
  readonly fsId: { readonly mountpoint: string };
  readonly usedBytes: { readonly value: number };
  readonly inodesUsed: { readonly value: number };
  readonly namespace: string;
}

/** CRI ImageFsInfo computed from disk: the snapshotter's usage as containerd's CRI plugin sums it. */
export async function computeImageFsInfo(
  store: Store,
  options: { namespace?: string } = {},
): Promise<ImageFsUsage & { readonly snapshots: number }> {
  // containerd's CRI plugin counts its own namespace; runtimes without namespaces have one, ""
  const ns = options.namespace ?? (store.namespaces.some((n) => n.name === "k8s.io") ? "k8s.io" : "");
  const sn = store.settings.snapshotter ?? "overlayfs";
  const mountpoint = store.settings.imageFsMountpoint ?? store.settings.overlayfsRoot ?? store.location.root;
  const snaps = store.snapshots.filter((s) => s.namespace === ns && s.snapshotter === sn);
  // committed: what the snapshotter recorded at commit; active/view: a walk of the dir (like the snapshotter)
  const walked = snaps.filter((s) => s.kind !== "committed" || s.recordedSize === null);
  const scan = await scanTrees(
    walked.map((s) => ({ id: s.key, path: s.path })),
    { cacheDir: null },
  );
  let usedBytes = 0;
  let inodesUsed = 0;
  for (const s of snaps) {
    const u =
      s.kind === "committed" && s.recordedSize !== null
        ? { allocatedBytes: s.recordedSize.bytes, inodes: s.recordedSize.inodes }
        : (scan.perTree.get(s.key) ?? zero());
    usedBytes += u.allocatedBytes;
    inodesUsed += u.inodes;
  }
  return {
    timestamp: Date.now() * 1_000_000,
    fsId: { mountpoint },
    usedBytes: { value: usedBytes },
    inodesUsed: { value: inodesUsed },
    namespace: ns,
    snapshots: snaps.length,
  };
}
