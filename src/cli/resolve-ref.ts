// cli/resolve-ref.ts — a user's reference (container id, snapshot key, image name or digest, or a unique
// prefix of one) to the one object it names across the loaded stores.

import { CrifsError } from "../errors.js";
import type { Container, Image, Snapshot, Store } from "../model/store.js";

export type Target =
  | { readonly type: "container"; readonly store: Store; readonly container: Container }
  | { readonly type: "snapshot"; readonly store: Store; readonly snapshot: Snapshot }
  | { readonly type: "image"; readonly store: Store; readonly image: Image };

type Kind = Target["type"];

function label(t: Target): string {
  switch (t.type) {
    case "container":
      return `container ${t.container.namespace}/${t.container.id}`;
    case "snapshot":
      return `snapshot ${t.snapshot.namespace}/${t.snapshot.snapshotter}/${t.snapshot.key}`;
    case "image":
      return `image ${t.image.namespace}/${t.image.name}`;
  }
}

function candidates(stores: readonly Store[], kinds: readonly Kind[]): { target: Target; names: string[] }[] {
  const out: { target: Target; names: string[] }[] = [];
  for (const store of stores) {
    if (kinds.includes("container"))
      for (const c of store.containers)
        out.push({ target: { type: "container", store, container: c }, names: [c.id, ...(c.names ?? [])] });
    if (kinds.includes("snapshot"))
      for (const s of store.snapshots)
        out.push({ target: { type: "snapshot", store, snapshot: s }, names: [s.key] });
    if (kinds.includes("image"))
      for (const i of store.images)
        out.push({ target: { type: "image", store, image: i }, names: [i.name, i.digest] });
  }
  return out;
}

/** Whether `other` is `chosen`'s own: a container's writable snapshot (containerd keys it by the container's id). */
function isOwn(chosen: Target, other: Target): boolean {
  return (
    chosen.type === "container" &&
    other.type === "snapshot" &&
    other.store === chosen.store &&
    other.snapshot.key === chosen.container.snapshotKey
  );
}

/**
 * Exact names win over prefixes, then the earlier kind in `kinds`; more than one match is an error that lists
 * them. A prefix that matches objects of several kinds names one only when the others are its own (a container
 * and its own snapshot): a prefix shared by a container and an unrelated snapshot or image is ambiguous, as
 * `docker` says of a prefix two ids share (it picked the container silently, the snapshot being unrelated).
 */
export function resolveRef(stores: readonly Store[], ref: string, kinds: readonly Kind[]): Target {
  // "" is a prefix of every name: it would list the whole store as "ambiguous"
  if (ref === "")
    throw new CrifsError("usage", `an empty name names no ${kinds.join(", ")}`, {
      remedy: "pass an id, a name or a prefix of one",
    });
  const all = candidates(stores, kinds);
  let hits = all.filter((c) => c.names.includes(ref));
  const isExact = hits.length > 0;
  if (!isExact) {
    const bare = ref.replace(/^sha256:/, "");
    hits = all.filter((c) =>
      c.names.some((n) => n.startsWith(ref) || n.replace(/^sha256:/, "").startsWith(bare)),
    );
  }
  if (hits.length === 1) return (hits[0] as { target: Target }).target;
  // a container and its own snapshot share a name: the kinds come in order of preference
  for (const kind of kinds) {
    const same = hits.filter((h) => h.target.type === kind);
    if (same.length === 0) continue;
    if (same.length > 1) {
      hits = same;
      break;
    }
    const chosen = (same[0] as { target: Target }).target;
    if (isExact || hits.every((h) => h.target === chosen || isOwn(chosen, h.target))) return chosen;
    break;
  }
  const what = kinds.join(", ");
  if (hits.length === 0) {
    throw new CrifsError("not-found", `no ${what} named "${ref}"`, {
      remedy: "list them with crifs containers / snapshots / images (all namespaces unless -n)",
    });
  }
  const names = hits.slice(0, 5).map((h) => label(h.target));
  throw new CrifsError(
    "usage",
    `"${ref}" names ${hits.length} objects: ${names.join(", ")}${hits.length > 5 ? ", …" : ""}`,
    {
      remedy: "pass -n NAMESPACE or a longer name",
    },
  );
}
