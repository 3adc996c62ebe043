// cli/commands/why.ts — `crifs why <snapshot|blob|dir>`: the chains that keep an object alive, each from a
// root (image, container, lease, gc.root label, an ingest's expireat) through blob labels and snapshot
// parents to the object, as containerd's garbage collector would follow them (src/model/usage.ts); or
// "nothing: it is garbage".
//
// The object is named by a snapshot key, a blob digest (or a unique prefix of either), or a path: a snapshot
// dir (…/snapshots/<id>, or anything inside it such as …/fs) or a blob file (…/blobs/sha256/<hex>). A blob
// is one file shared by every namespace: its chains come from all of them.

import { realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { CrifsError } from "../../errors.js";
import type { Snapshot, Store } from "../../model/store.js";
import { type Step, type UsageObject, whyAlive } from "../../model/usage.js";
import { wordsFor } from "../../runtimes/index.js";
import { render } from "../render/format.js";
import { type GlobalOptions, noteReadErrors, openStores } from "../stores.js";

export interface WhyObject {
  readonly kind: "snapshot" | "blob" | "dir";
  /** The namespace of a snapshot; null for a blob (shared) or a dir no record names. */
  readonly namespace: string | null;
  /** snapshot: "<snapshotter>/<key>"; blob: digest; dir: its path */
  readonly name: string;
  readonly path: string;
}

export interface WhyResult {
  readonly object: WhyObject;
  readonly alive: boolean;
  readonly chains: readonly (readonly Step[])[];
}

function realOrSame(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function isWithin(dir: string, p: string): boolean {
  const r = relative(dir, p);
  return r === "" || (!r.startsWith("..") && !isAbsolute(r));
}

/** The snapshot's own dir (…/snapshots/<id>): its fs/ and work/ are inside. */
function snapshotDir(s: Snapshot): string {
  return s.path.endsWith(`${sep}fs`) ? dirname(s.path) : s.path;
}

type Target =
  | { kind: "snapshot"; store: Store; snapshot: Snapshot }
  | { kind: "blob"; store: Store; digest: string; path: string }
  | { kind: "dir"; store: Store; path: string };

function byPath(stores: readonly Store[], arg: string): Target | null {
  const given = resolve(arg);
  const real = realOrSame(given);
  for (const store of stores) {
    for (const s of store.snapshots) {
      const dir = snapshotDir(s);
      if (isWithin(dir, given) || isWithin(realOrSame(dir), real))
        return { kind: "snapshot", store, snapshot: s };
    }
    // a content store's blob files (containerd's; the others keep none)
    const blobs = join(store.settings.contentRoot ?? "", "blobs");
    for (const base of store.settings.contentRoot === undefined ? [] : [blobs, realOrSame(blobs)]) {
      const rel = relative(base, base === blobs ? given : real).split(sep);
      if (rel.length === 2 && rel[0] !== ".." && rel[0] !== "" && rel[1] !== undefined)
        return {
          kind: "blob",
          store,
          digest: `${rel[0]}:${rel[1]}`,
          path: join(blobs, rel[0] ?? "", rel[1]),
        };
    }
    const snapDir = join(store.settings.overlayfsRoot ?? "", "snapshots");
    for (const base of [snapDir, realOrSame(snapDir)]) {
      const rel = relative(base, base === snapDir ? given : real);
      if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel))
        return { kind: "dir", store, path: join(snapDir, rel.split(sep)[0] ?? "") };
    }
  }
  return null;
}

function byName(stores: readonly Store[], arg: string): Target {
  const bare = arg.replace(/^sha256:/, "");
  const snaps = stores.flatMap((store) => store.snapshots.map((s) => ({ store, s })));
  const blobs = new Map<string, Target>();
  const addBlob = (store: Store, digest: string, path: string) => {
    if (!blobs.has(digest)) blobs.set(digest, { kind: "blob", store, digest, path });
  };
  let hits = snaps.filter((x) => x.s.key === arg);
  for (const store of stores)
    for (const b of store.blobs) if (b.digest === arg) addBlob(store, b.digest, b.path);
  if (hits.length === 0 && blobs.size === 0) {
    hits = snaps.filter((x) => x.s.key.startsWith(arg) || x.s.key.replace(/^sha256:/, "").startsWith(bare));
    for (const store of stores)
      for (const b of store.blobs)
        if (b.digest.replace(/^[a-z0-9]+:/, "").startsWith(bare)) addBlob(store, b.digest, b.path);
  }
  const all: Target[] = [
    ...hits.map((h): Target => ({ kind: "snapshot", store: h.store, snapshot: h.s })),
    ...blobs.values(),
  ];
  if (all.length === 1 && all[0] !== undefined) return all[0];
  if (all.length === 0) {
    throw new CrifsError("not-found", `no snapshot or blob named "${arg}"`, {
      remedy: "name a snapshot key, a blob digest, or a path under the snapshots or blobs dir",
    });
  }
  const names = all
    .slice(0, 5)
    .map((t) =>
      t.kind === "snapshot"
        ? `snapshot ${t.snapshot.namespace}/${t.snapshot.key}`
        : t.kind === "blob"
          ? `blob ${t.digest}`
          : t.path,
    );
  throw new CrifsError(
    "usage",
    `"${arg}" names ${all.length} objects: ${names.join(", ")}${all.length > 5 ? ", …" : ""}`,
    {
      remedy: "add -n <namespace> or give more of the name",
    },
  );
}

/** Why `arg` is alive. Cost: metadata only. */
export function whyResult(stores: readonly Store[], arg: string, now = Date.now()): WhyResult {
  const looksLikePath = arg.includes("/") && !/^[a-z0-9]+:/.test(arg);
  const t = (looksLikePath ? byPath(stores, arg) : null) ?? (looksLikePath ? null : byName(stores, arg));
  if (t === null) {
    throw new CrifsError(
      "not-found",
      "cannot tell what this path is: not a snapshot dir or blob file of a store",
      {
        path: resolve(arg),
        remedy: `give a path under ${[...new Set(stores.map((x) => wordsFor(x.location.runtime).objectPaths))].join("; ")}`,
      },
    );
  }
  if (t.kind === "dir") {
    return { object: { kind: "dir", namespace: null, name: t.path, path: t.path }, alive: false, chains: [] };
  }
  if (t.kind === "snapshot") {
    const s = t.snapshot;
    const o: UsageObject = { kind: "snapshot", namespace: s.namespace, name: `${s.snapshotter}/${s.key}` };
    const chains = whyAlive(t.store, o, { now });
    return {
      object: { kind: "snapshot", namespace: s.namespace, name: o.name, path: snapshotDir(s) },
      alive: chains.length > 0,
      chains,
    };
  }
  const namespaces = [...new Set(t.store.blobs.filter((b) => b.digest === t.digest).map((b) => b.namespace))];
  const chains = namespaces.flatMap((ns) =>
    whyAlive(t.store, { kind: "blob", namespace: ns, name: t.digest }, { now }),
  );
  chains.sort((a, b) => a.length - b.length);
  return {
    object: { kind: "blob", namespace: null, name: t.digest, path: t.path },
    alive: chains.length > 0,
    chains,
  };
}

function stepText(s: Step): string {
  // runtimes without namespaces have one, "": it is not shown
  return s.kind === "label" ? s.name : `${s.kind} ${s.namespace === "" ? "" : `${s.namespace}/`}${s.name}`;
}

function whyText(r: WhyResult): string {
  const o = r.object;
  const what =
    o.kind === "dir"
      ? `dir ${o.path}`
      : `${o.kind} ${o.namespace === null || o.namespace === "" ? "" : `${o.namespace}/`}${o.name} (${o.path})`;
  if (!r.alive) {
    const note = o.kind === "dir" ? " (no snapshot record names this dir)" : "";
    return `${what}\nnothing: it is garbage${note}\n`;
  }
  const lines = r.chains.map((c) => `  ${c.map(stepText).join(" → ")}`);
  return `${what}\nkept alive by ${r.chains.length} chain(s):\n${lines.join("\n")}\n`;
}

/** `crifs why <ref>`. JSON contract: docs/json.md#why. */
export function whyCommand(g: GlobalOptions, arg: string): string {
  const stores = openStores(g);
  noteReadErrors(stores);
  const r = whyResult(stores, arg);
  return render(g.output, r, { table: () => whyText(r) });
}
