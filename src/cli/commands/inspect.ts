// cli/commands/inspect.ts — `crifs inspect <container|snapshot|image>`: one object with everything crifs
// knows that ties it to the rest: its chain of parents, children, who uses it, its mount, its task.

import { SnapshotIndex } from "../../model/chain.js";
import { planMount } from "../../model/mounts.js";
import type { ReadError, RuntimeId, Snapshot, Store } from "../../model/store.js";
import { adapterFor, wordsFor } from "../../runtimes/index.js";
import { render, renderDisplayYaml } from "../render/format.js";
import { resolveRef } from "../resolve-ref.js";
import { DEFAULT_TIMEOUT_MS, type GlobalOptions, note } from "../stores.js";
import { liveMount, mountFlags } from "./mounts.js";

function brief(s: Snapshot) {
  return { key: s.key, kind: s.kind, id: s.id, path: s.path };
}

function safeMount(s: Snapshot, index: SnapshotIndex, store: Store) {
  try {
    return planMount(s, index, mountFlags(store));
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function snapshotDetail(store: Store, s: Snapshot) {
  const index = new SnapshotIndex(store.snapshots);
  const chain = index.chain(s);
  return {
    ...withError(s),
    chain: chain.parents.map(brief),
    danglingParent: chain.danglingParent,
    isCycle: chain.isCycle,
    children: index.children(s).map(brief),
    usedByContainers: store.containers
      .filter(
        (c) => c.namespace === s.namespace && c.snapshotter === s.snapshotter && c.snapshotKey === s.key,
      )
      .map((c) => c.id),
    usedByImages: store.images
      .filter((i) => i.namespace === s.namespace && i.snapshotKeys.includes(s.key))
      .map((i) => i.name),
    mount: safeMount(s, index, store),
  };
}

/** The object with its `readError` shown as `error` (docs/json.md#inspect), as the listings show it. */
function withError<T extends { readonly readError?: ReadError }>(
  o: T,
): Omit<T, "readError"> & { error?: ReadError } {
  const { readError, ...rest } = o;
  return readError === undefined ? rest : { ...rest, error: readError };
}

export function inspectData(stores: readonly Store[], ref: string): Record<string, unknown> {
  const t = resolveRef(stores, ref, ["container", "snapshot", "image"]);
  const where = { runtime: t.store.location.runtime, root: t.store.location.root };
  switch (t.type) {
    case "container": {
      const c = t.container;
      const s = t.store.snapshots.find(
        (x) => x.namespace === c.namespace && x.snapshotter === c.snapshotter && x.key === c.snapshotKey,
      );
      return {
        type: "container",
        ...where,
        ...withError(c),
        snapshot: s === undefined ? null : snapshotDetail(t.store, s),
        mounted: c.task?.rootfs ? liveMount(c.task.rootfs) : null,
      };
    }
    case "snapshot":
      return { type: "snapshot", ...where, ...snapshotDetail(t.store, t.snapshot) };
    case "image": {
      const i = t.image;
      const present = i.snapshotKeys.map((k) => {
        const s = t.store.snapshots.find((x) => x.namespace === i.namespace && x.key === k);
        return { key: k, snapshot: s === undefined ? null : brief(s) };
      });
      const blob = t.store.blobs.find((b) => b.namespace === i.namespace && b.digest === i.digest);
      return { type: "image", ...where, ...withError(i), targetBlob: blob?.path ?? null, layers: present };
    }
  }
}

/** The daemon's own view of a container (CRI-O's: rootfs mount point, log path, pid), when its socket answers. */
async function daemonContainerView(
  data: Record<string, unknown>,
  sockets: { crioSocket?: string; timeoutMs: number },
): Promise<Record<string, unknown>> {
  const read = adapterFor(String(data.runtime))?.readContainerView;
  if (data.type !== "container" || read === undefined) return data;
  try {
    const daemon = await read(String(data.id), sockets);
    return daemon === undefined ? data : { ...data, daemon };
  } catch {
    return data; // the daemon does not answer or does not know it: what is on disk
  }
}

export async function inspectCommand(
  stores: readonly Store[],
  g: GlobalOptions,
  ref: string,
  options: { crioSocket?: string } = {},
): Promise<string> {
  const data = await daemonContainerView(inspectData(stores, ref), {
    ...options,
    timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  // runtimes without namespaces: no empty namespace field (docs/json.md)
  if (data.namespace === "" && !wordsFor(data.runtime as RuntimeId).hasNamespaces) delete data.namespace;
  const error = data.error as ReadError | undefined;
  if (error !== undefined) note(`${error.path}: ${error.message} (hint: crifs doctor says what to do)`);
  return render(g.output, data, { table: () => renderDisplayYaml(data) });
}
