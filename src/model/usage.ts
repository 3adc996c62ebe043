// model/usage.ts — what is in use, as containerd's garbage collector sees it (metadata/gc.go, 1.6): the
// meaning of "provably unused". Pure: a store (and the time) in, sets and chains out.
//
//   roots   image            → its target blob, and the refs in its labels
//           container        → its snapshot (snapshotter/snapshotKey), and the refs in its labels
//           lease            → every blob, ingest and snapshot it holds, unless gc.expire has passed;
//                              a lease labelled containerd.io/gc.flat holds them without their references
//           gc.root label    → the blob or snapshot carrying it
//           ingest           → itself while its expireat lies ahead (an ingest without one lives by its lease)
//   edges   blob             → the refs in its labels
//           snapshot         → its parent, and the refs in its labels
//   refs    containerd.io/gc.ref.content, containerd.io/gc.ref.content.<name> or /<name>  → blob <value>
//           containerd.io/gc.ref.snapshot.<snapshotter>[/<name>]                         → snapshot <value>
// Everything stays inside one namespace. An edge to an object that does not exist is followed nowhere
// (containerd calls it a dead edge); it is not an error here either.

import type { Labels, Store } from "./store.js";

export const LABEL_GC_ROOT = "containerd.io/gc.root";
export const LABEL_GC_EXPIRE = "containerd.io/gc.expire";
export const LABEL_GC_FLAT = "containerd.io/gc.flat";
const CONTENT_REF = "containerd.io/gc.ref.content";
const SNAPSHOT_REF = "containerd.io/gc.ref.snapshot.";

/** The most chains whyAlive returns (a base layer under many containers has one chain per container). */
export const MAX_CHAINS = 64;
/** The most steps whyAlive takes looking for chains (bounds the walk on a pathological label graph). */
export const MAX_WHY_STEPS = 100_000;

export type ObjectKind = "blob" | "snapshot" | "ingest";
export type StepKind = "image" | "container" | "lease" | "label" | ObjectKind;

/** One object on a chain. Snapshots are named "<snapshotter>/<key>". */
export interface Step {
  readonly kind: StepKind;
  readonly namespace: string;
  readonly name: string;
}

/** An object whose life is in question: a blob record, a snapshot or an ingest of one namespace. */
export interface UsageObject {
  readonly kind: ObjectKind;
  readonly namespace: string;
  /** blob: digest; snapshot: "<snapshotter>/<key>"; ingest: the client ref */
  readonly name: string;
}

export interface Reachable {
  /** "<ns>/<digest>" of every blob record or dead edge reached */
  readonly blobs: ReadonlySet<string>;
  /** snapshotRef() ("<ns>/<snapshotter>/<key>") of every snapshot reached */
  readonly snapshots: ReadonlySet<string>;
  /** "<ns>/<ref>" of every ingest held */
  readonly ingests: ReadonlySet<string>;
}

export interface UsageOptions {
  /** The time leases and ingests expire against, in ms since the epoch. Default: Date.now(). */
  readonly now?: number;
}

function nodeKey(o: UsageObject): string {
  return `${o.kind}:${o.namespace}/${o.name}`;
}

/** The objects a label set points at (gc.ref.content*, gc.ref.snapshot.*), in label order. */
export function labelRefs(namespace: string, labels: Labels): UsageObject[] {
  const out: UsageObject[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith(CONTENT_REF)) {
      const sep = k.charAt(CONTENT_REF.length);
      if (sep === "" || sep === "." || sep === "/") out.push({ kind: "blob", namespace, name: v });
    } else if (k.startsWith(SNAPSHOT_REF)) {
      const rest = k.slice(SNAPSHOT_REF.length);
      const slash = rest.indexOf("/");
      const snapshotter = slash < 0 ? rest : rest.slice(0, slash);
      if (snapshotter !== "" && v !== "")
        out.push({ kind: "snapshot", namespace, name: `${snapshotter}/${v}` });
    }
  }
  return out;
}

/** Whether a lease still holds: no gc.expire label, an unreadable one (containerd ignores it), or a future one. */
export function isLeaseLive(labels: Labels, now: number): boolean {
  const v = labels[LABEL_GC_EXPIRE];
  if (v === undefined) return true;
  const t = Date.parse(v);
  return Number.isNaN(t) || t >= now;
}

interface Edge {
  readonly from: string;
  readonly step: Step;
}

/** The GC graph of one store: root steps and labelled edges, both ways. */
class UsageGraph {
  /** node key → the roots that hold it directly (image, container, lease, gc.root label); `flat` = a
   * lease labelled gc.flat, which holds the object but not what it references */
  readonly rootsOf = new Map<string, { step: Step; flat: boolean }[]>();
  /** node key → nodes it references */
  readonly refs = new Map<string, UsageObject[]>();
  /** node key → nodes referencing it */
  readonly referrers = new Map<string, Edge[]>();
  readonly objects = new Map<string, UsageObject>();

  constructor(store: Store, now: number) {
    for (const img of store.images) {
      const root: Step = { kind: "image", namespace: img.namespace, name: img.name };
      if (img.digest !== "") this.#root({ kind: "blob", namespace: img.namespace, name: img.digest }, root);
      for (const r of labelRefs(img.namespace, img.labels)) this.#root(r, root);
    }
    for (const c of store.containers) {
      const root: Step = { kind: "container", namespace: c.namespace, name: c.id };
      if (c.snapshotter !== "")
        this.#root(
          { kind: "snapshot", namespace: c.namespace, name: `${c.snapshotter}/${c.snapshotKey}` },
          root,
        );
      for (const r of labelRefs(c.namespace, c.labels)) this.#root(r, root);
    }
    for (const l of store.leases) {
      if (!isLeaseLive(l.labels, now)) continue;
      const root: Step = { kind: "lease", namespace: l.namespace, name: l.id };
      const flat = l.labels[LABEL_GC_FLAT] !== undefined;
      const held: UsageObject[] = [
        ...l.resources.content.map((d): UsageObject => ({ kind: "blob", namespace: l.namespace, name: d })),
        ...l.resources.ingests.map((r): UsageObject => ({ kind: "ingest", namespace: l.namespace, name: r })),
        ...l.resources.snapshots.map(
          (s): UsageObject => ({ kind: "snapshot", namespace: l.namespace, name: s }),
        ),
      ];
      for (const o of held) this.#root(o, root, flat);
    }
    for (const i of store.ingests) {
      const obj: UsageObject = { kind: "ingest", namespace: i.namespace, name: i.ref };
      this.objects.set(nodeKey(obj), obj);
      if (i.expiresAt !== null && Date.parse(i.expiresAt) >= now)
        this.#root(obj, { kind: "label", namespace: i.namespace, name: `expireat=${i.expiresAt}` });
    }
    for (const b of store.blobs) {
      const obj: UsageObject = { kind: "blob", namespace: b.namespace, name: b.digest };
      this.objects.set(nodeKey(obj), obj);
      this.#labelled(obj, b.labels);
    }
    for (const s of store.snapshots) {
      const obj: UsageObject = {
        kind: "snapshot",
        namespace: s.namespace,
        name: `${s.snapshotter}/${s.key}`,
      };
      this.objects.set(nodeKey(obj), obj);
      if (s.parent !== null)
        this.#edge(obj, { kind: "snapshot", namespace: s.namespace, name: `${s.snapshotter}/${s.parent}` });
      this.#labelled(obj, s.labels);
    }
  }

  #labelled(obj: UsageObject, labels: Labels): void {
    const rootValue = labels[LABEL_GC_ROOT];
    if (rootValue !== undefined)
      this.#root(obj, { kind: "label", namespace: obj.namespace, name: `${LABEL_GC_ROOT}=${rootValue}` });
    for (const r of labelRefs(obj.namespace, labels)) this.#edge(obj, r);
  }

  #root(obj: UsageObject, root: Step, flat = false): void {
    const k = nodeKey(obj);
    if (!this.objects.has(k)) this.objects.set(k, obj);
    const list = this.rootsOf.get(k);
    if (list) list.push({ step: root, flat });
    else this.rootsOf.set(k, [{ step: root, flat }]);
  }

  #edge(from: UsageObject, to: UsageObject): void {
    const fk = nodeKey(from);
    const tk = nodeKey(to);
    if (!this.objects.has(tk)) this.objects.set(tk, to);
    const out = this.refs.get(fk);
    if (out) out.push(to);
    else this.refs.set(fk, [to]);
    const step: Step = { kind: from.kind, namespace: from.namespace, name: from.name };
    const back = this.referrers.get(tk);
    if (back) back.push({ from: fk, step });
    else this.referrers.set(tk, [{ from: fk, step }]);
  }

  /** True when some root holds `k` in a way whose references are followed (not only flat leases). */
  isFollowedRoot(k: string): boolean {
    return (this.rootsOf.get(k) ?? []).some((r) => !r.flat);
  }
}

/** Everything the garbage collector would keep. Cost: linear in records and labels. */
export function reachable(store: Store, options: UsageOptions = {}): Reachable {
  const g = new UsageGraph(store, options.now ?? Date.now());
  const seen = new Set<string>();
  const expanded = new Set<string>();
  const queue: string[] = [];
  for (const k of g.rootsOf.keys()) {
    seen.add(k);
    if (g.isFollowedRoot(k)) {
      expanded.add(k);
      queue.push(k);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const k = queue[i] as string;
    for (const r of g.refs.get(k) ?? []) {
      const rk = nodeKey(r);
      seen.add(rk);
      if (!expanded.has(rk)) {
        expanded.add(rk);
        queue.push(rk);
      }
    }
  }
  const blobs = new Set<string>();
  const snapshots = new Set<string>();
  const ingests = new Set<string>();
  for (const k of seen) {
    const o = g.objects.get(k);
    if (o === undefined) continue;
    const id = `${o.namespace}/${o.name}`;
    if (o.kind === "blob") blobs.add(id);
    else if (o.kind === "snapshot") snapshots.add(id);
    else ingests.add(id);
  }
  return { blobs, snapshots, ingests };
}

/**
 * The chains that keep `object` alive, each from a root (image, container, lease, gc.root label) to the
 * object itself, shortest first; [] when it is garbage. At most MAX_CHAINS. Cost: a walk back from the
 * object over the references to it.
 */
export function whyAlive(store: Store, object: UsageObject, options: UsageOptions = {}): Step[][] {
  const g = new UsageGraph(store, options.now ?? Date.now());
  const target = nodeKey(object);
  const chains: Step[][] = [];
  const self: Step = { kind: object.kind, namespace: object.namespace, name: object.name };
  // depth-first back from the object; `path` holds the objects from the object up to the current one
  let steps = 0;
  const walk = (k: string, path: Step[], onPath: Set<string>, isTarget: boolean): void => {
    if (chains.length >= MAX_CHAINS || ++steps > MAX_WHY_STEPS) return;
    for (const r of g.rootsOf.get(k) ?? []) {
      if (r.flat && !isTarget) continue; // a flat lease holds the object itself, not what it references
      chains.push([r.step, ...[...path].reverse()]);
      if (chains.length >= MAX_CHAINS) return;
    }
    for (const e of g.referrers.get(k) ?? []) {
      if (onPath.has(e.from)) continue; // a parent cycle: not a way to a root
      onPath.add(e.from);
      path.push(e.step);
      walk(e.from, path, onPath, false);
      path.pop();
      onPath.delete(e.from);
    }
  };
  walk(target, [self], new Set([target]), true);
  return chains.sort((a, b) => a.length - b.length);
}
