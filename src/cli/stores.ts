// cli/stores.ts — global flags to loaded stores: which runtime(s), which root, which namespace.
// With --runtime, that adapter loads (at --root or its default place). Without, every adapter that detects
// its store on this host loads, each labelled with runtime and root.

import { CrifsError } from "../errors.js";
import type { Store } from "../model/store.js";
import { adapterFor, adapters } from "../runtimes/index.js";
import type { OutputFormat } from "./render/format.js";

export interface GlobalOptions {
  readonly runtime?: string;
  readonly root?: string;
  readonly state?: string;
  readonly config?: string;
  readonly namespace?: string;
  readonly output: OutputFormat;
  readonly debug: boolean;
}

/** Loads the stores the flags name. Cost: metadata only. */
export function openStores(g: GlobalOptions): Store[] {
  const opts = { root: g.root, state: g.state, config: g.config };
  if (g.runtime !== undefined) {
    const a = adapterFor(g.runtime);
    if (a === undefined) {
      throw new CrifsError("usage", `unknown runtime "${g.runtime}"`, {
        remedy: `use one of ${adapters.map((x) => x.id).join(", ")}`,
      });
    }
    return [filterNamespace(a.load(opts), g.namespace)];
  }
  const found = adapters.filter((a) => a.detect(opts));
  if (found.length === 0) {
    const where = g.root ?? adapters.map((a) => a.defaultRoot).join(", ");
    throw new CrifsError("not-found", `no container runtime store found in ${where}`, {
      remedy: "pass --runtime and --root for a store elsewhere; `crifs audit` shows the bundled sample store",
    });
  }
  return found.map((a) => filterNamespace(a.load(opts), g.namespace));
}

/** The store with only one namespace's objects (all of them when ns is undefined). */
export function filterNamespace(s: Store, ns: string | undefined): Store {
  if (ns === undefined) return s;
  const keep = <T extends { namespace: string }>(xs: readonly T[]) => xs.filter((x) => x.namespace === ns);
  return {
    ...s,
    namespaces: s.namespaces.filter((n) => n.name === ns),
    images: keep(s.images),
    snapshots: keep(s.snapshots),
    containers: keep(s.containers),
    blobs: keep(s.blobs),
    leases: keep(s.leases),
    ingests: keep(s.ingests),
  };
}
