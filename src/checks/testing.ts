// checks/testing.ts — scenario builders for the checks' unit tests: one line per object, then `input()` gives
// the DoctorInput a real read would have produced. Not used outside tests.
//
//   const input = scenario()
//     .image("default", "bb:latest", "sha256:idx")
//     .blob("default", "sha256:idx", { "containerd.io/gc.ref.content.m.0": "sha256:m" })
//     .snapshot("default", "base", { id: "1" })
//     .orphanDir("9999")
//     .input();

import { join } from "node:path";
import type { IngestDirFact, OverlayMountFact, RootFact, SnapshotterRecord } from "../model/doctor-facts.js";
import type { Labels, SnapshotKind, Store } from "../model/store.js";
import { emptyStore } from "../model/testing.js";
import { containerdTestPaths, containerdWords } from "../runtimes/testing.js";
import type { DoctorInput } from "./doctor-input.js";

export const ROOT = "/r";
/** containerd's paths under ROOT (its meta.db, snapshotter home and db, content store). */
export const PATHS = containerdTestPaths(ROOT);
export const SNAPSHOTS = PATHS.snapshots;
export const CONTENT = PATHS.content;
/** The clock of every scenario; objects are an hour old unless told otherwise. */
export const NOW = Date.parse("2026-01-01T12:00:00Z");
export const OLD = "2026-01-01T11:00:00Z";
export const OLD_MS = Date.parse(OLD);

export function blobPath(digest: string): string {
  const [alg, hex] = digest.split(":");
  return join(CONTENT, "blobs", alg ?? "", hex ?? "");
}

export function snapshotDir(id: string): string {
  return join(SNAPSHOTS, id);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

export interface SnapshotOptions {
  parent?: string;
  kind?: SnapshotKind;
  id?: string;
  labels?: Labels;
  createdAt?: string;
  /** Leave the dir out (the record's dir is gone). */
  noDir?: boolean;
}

export class Scenario {
  // emptyStore's arrays are fresh: this builder alone pushes into them
  readonly #store = emptyStore(
    { runtime: "containerd", root: ROOT, state: "/s" },
    { settings: { overlayfsRoot: PATHS.overlayfsRoot, contentRoot: CONTENT } },
  ) as Mutable<Store>;
  readonly #records: SnapshotterRecord[] = [];
  readonly #dirs: { name: string; mtimeMs: number; isDir: boolean; hasFs: boolean }[] = [];
  readonly #blobFiles: { digest: string; bytes: number; mtimeMs: number }[] = [];
  readonly #ingestDirs: IngestDirFact[] = [];
  readonly #tmpmounts: { name: string; mounted: boolean; mtimeMs: number }[] = [];
  readonly #mounts: OverlayMountFact[] = [];
  readonly #hashes = new Map<string, string>();
  #rootFact: RootFact = {
    path: ROOT,
    isSymlink: false,
    linkTarget: null,
    resolved: ROOT,
    targetUid: 0,
    targetMode: 0o711,
  };
  #nextId = 1;
  #metadataProblems: { path: string; message: string }[] = [];
  #noStore = false;

  #ns(ns: string): void {
    if (!this.#store.namespaces.some((n) => n.name === ns))
      this.#store.namespaces.push({ name: ns, labels: {} });
  }

  image(ns: string, name: string, digest: string, labels: Labels = {}): this {
    this.#ns(ns);
    this.#store.images.push({
      namespace: ns,
      name,
      digest,
      mediaType: "application/vnd.oci.image.index.v1+json",
      size: 100,
      createdAt: OLD,
      updatedAt: OLD,
      labels,
      configDigest: null,
      snapshotKeys: [],
    });
    return this;
  }

  /** A blob record, and its file unless `noFile`. */
  blob(
    ns: string,
    digest: string,
    labels: Labels = {},
    opts: { noFile?: boolean; createdAt?: string; bytes?: number } = {},
  ): this {
    this.#ns(ns);
    this.#store.blobs.push({
      namespace: ns,
      digest,
      size: opts.bytes ?? 100,
      createdAt: opts.createdAt ?? OLD,
      updatedAt: opts.createdAt ?? OLD,
      labels,
      path: blobPath(digest),
    });
    if (opts.noFile !== true && !this.#blobFiles.some((b) => b.digest === digest))
      this.#blobFiles.push({ digest, bytes: opts.bytes ?? 4096, mtimeMs: OLD_MS });
    return this;
  }

  /** A file in blobs/ with no record. */
  blobFile(digest: string, opts: { bytes?: number; mtimeMs?: number } = {}): this {
    this.#blobFiles.push({ digest, bytes: opts.bytes ?? 4096, mtimeMs: opts.mtimeMs ?? OLD_MS });
    return this;
  }

  /** A snapshot in meta.db and the snapshotter's db, with its dir (unless noDir). Kind defaults to committed. */
  snapshot(ns: string, key: string, o: SnapshotOptions = {}): this {
    this.#ns(ns);
    const id = o.id ?? String(this.#nextId++);
    const kind = o.kind ?? "committed";
    this.#store.snapshots.push({
      namespace: ns,
      snapshotter: "overlayfs",
      key,
      parent: o.parent ?? null,
      kind,
      id,
      path: join(SNAPSHOTS, id, "fs"),
      dir: join(SNAPSHOTS, id),
      workPath: kind === "view" ? null : join(SNAPSHOTS, id, "work"),
      createdAt: o.createdAt ?? OLD,
      updatedAt: o.createdAt ?? OLD,
      labels: o.labels ?? {},
      recordedSize: null,
      runtimeKey: `${ns}/${id}/${key}`,
    });
    this.#records.push({ backendKey: `${ns}/${id}/${key}`, id, kind });
    if (o.noDir !== true)
      this.#dirs.push({ name: id, mtimeMs: Date.parse(o.createdAt ?? OLD), isDir: true, hasFs: true });
    return this;
  }

  /** A record only the snapshotter's own db has (meta.db lost it), with its dir. */
  snapshotterOnly(ns: string, key: string, id: string): this {
    this.#records.push({ backendKey: `${ns}/${id}/${key}`, id, kind: "committed" });
    this.#dirs.push({ name: id, mtimeMs: OLD_MS, isDir: true, hasFs: true });
    return this;
  }

  /** A dir under snapshots/ that no record names. */
  orphanDir(name: string, opts: { mtimeMs?: number; isDir?: boolean } = {}): this {
    this.#dirs.push({ name, mtimeMs: opts.mtimeMs ?? OLD_MS, isDir: opts.isDir ?? true, hasFs: true });
    return this;
  }

  container(ns: string, id: string, snapshotKey: string, labels: Labels = {}): this {
    this.#ns(ns);
    this.#store.containers.push({
      namespace: ns,
      id,
      image: "",
      snapshotter: snapshotKey === "" ? "" : "overlayfs",
      snapshotKey,
      runtime: PATHS.runtime,
      createdAt: OLD,
      updatedAt: OLD,
      labels,
      spec: null,
      task: null,
    });
    return this;
  }

  lease(
    ns: string,
    id: string,
    held: { content?: string[]; snapshots?: string[]; ingests?: string[]; labels?: Labels } = {},
  ): this {
    this.#ns(ns);
    this.#store.leases.push({
      namespace: ns,
      id,
      createdAt: OLD,
      labels: held.labels ?? {},
      resources: {
        content: held.content ?? [],
        ingests: held.ingests ?? [],
        snapshots: held.snapshots ?? [],
      },
    });
    return this;
  }

  /** An ingest record (meta.db) and, unless `noDir`, its dir. */
  ingest(
    ns: string,
    ref: string,
    o: { expiresAt?: string | null; updatedAt?: string; noDir?: boolean; bytes?: number; name?: string } = {},
  ): this {
    this.#ns(ns);
    const runtimeKey = `${ns}/1/${ref}`;
    this.#store.ingests.push({ namespace: ns, ref, runtimeKey, expiresAt: o.expiresAt ?? null });
    if (o.noDir !== true) this.ingestDir(runtimeKey, o);
    return this;
  }

  /** An ingest dir, with no record unless ingest() made it. */
  ingestDir(backendRef: string, o: { updatedAt?: string; bytes?: number; name?: string } = {}): this {
    const name = o.name ?? `hash-of-${backendRef.replaceAll("/", "_")}`;
    const updatedAt = o.updatedAt ?? OLD;
    this.#ingestDirs.push({
      name,
      path: join(CONTENT, "ingest", name),
      ref: backendRef,
      total: 5000,
      dataSize: 3000,
      startedAt: updatedAt,
      updatedAt,
      mtimeMs: Date.parse(updatedAt),
      allocatedBytes: o.bytes ?? 8192,
    });
    return this;
  }

  tmpmount(name: string, opts: { mounted?: boolean; mtimeMs?: number } = {}): this {
    this.#tmpmounts.push({ name, mounted: opts.mounted ?? false, mtimeMs: opts.mtimeMs ?? OLD_MS });
    return this;
  }

  /** An overlay mount; lower/upper name snapshot ids (made into …/snapshots/<id>/fs paths) or absolute paths. */
  mount(mountPoint: string, lower: string[], upper: string | null = null): this {
    const p = (x: string) => (x.startsWith("/") ? x : join(SNAPSHOTS, x, "fs"));
    this.#mounts.push({
      mountPoint,
      lowerdir: lower.map(p),
      upperdir: upper === null ? null : p(upper),
      workdir: upper === null ? null : p(upper).replace(/\/fs$/, "/work"),
    });
    return this;
  }

  rootLink(fact: Partial<RootFact>): this {
    this.#rootFact = { ...this.#rootFact, ...fact };
    return this;
  }

  /** The bolt files did not decode: the store is null. */
  corruptMetadata(path: string, message: string): this {
    this.#metadataProblems.push({ path, message });
    this.#noStore = true;
    return this;
  }

  anomaly(path: string, subject: string, message: string): this {
    this.#store.anomalies.push({ path, subject, message });
    return this;
  }

  /** Hash `digest`'s file to `actual` (for --verify). */
  hash(digest: string, actual: string): this {
    this.#hashes.set(blobPath(digest), actual);
    return this;
  }

  input(o: { graceMs?: number; now?: number } = {}): DoctorInput {
    return {
      root: ROOT,
      contentRoot: CONTENT,
      now: o.now ?? NOW,
      graceMs: o.graceMs ?? 60_000,
      store: this.#noStore ? null : (this.#store as Store),
      words: containerdWords,
      metadataProblems: this.#metadataProblems,
      snapshotters: [
        {
          name: "overlayfs",
          snapshotsDir: SNAPSHOTS,
          realSnapshotsDir: SNAPSHOTS,
          records: this.#records,
          dirs: this.#dirs.map((d) => ({
            name: d.name,
            path: join(SNAPSHOTS, d.name),
            isDir: d.isDir,
            mtimeMs: d.mtimeMs,
            ctimeMs: d.mtimeMs,
            hasFs: d.hasFs,
          })),
        },
      ],
      blobFiles: this.#blobFiles.map((b) => ({
        digest: b.digest,
        path: blobPath(b.digest),
        isFile: true,
        size: b.bytes,
        allocatedBytes: b.bytes,
        mtimeMs: b.mtimeMs,
        ctimeMs: b.mtimeMs,
      })),
      ingestDirs: this.#ingestDirs,
      tmpmounts: this.#tmpmounts.map((t) => ({
        name: t.name,
        path: join(ROOT, "tmpmounts", t.name),
        isDir: true,
        mtimeMs: t.mtimeMs,
        ctimeMs: t.mtimeMs,
        isMountPoint: t.mounted,
      })),
      overlayMounts: this.#mounts,
      rootFact: this.#rootFact,
      readErrors: [],
      blobHashes: this.#hashes.size > 0 ? this.#hashes : null,
    };
  }
}

export function scenario(): Scenario {
  return new Scenario();
}

/** A finding as tests compare them: "check path bytes subject". */
/** The containerd-only parts of a DoctorInput, empty, and a sound root owned by root: how a
 * containers/storage or docker store's hand-made input starts. */
export function overlayDriverFacts(
  root: string,
  targetMode: number,
): Pick<
  DoctorInput,
  "snapshotters" | "blobFiles" | "ingestDirs" | "tmpmounts" | "overlayMounts" | "rootFact"
> {
  return {
    snapshotters: [],
    blobFiles: [],
    ingestDirs: [],
    tmpmounts: [],
    overlayMounts: [],
    rootFact: { path: root, isSymlink: false, linkTarget: null, resolved: root, targetUid: 0, targetMode },
  };
}

export function brief(f: { check: string; path: string; bytes: number | null; subject: string }): string {
  return `${f.check} ${f.path} ${f.bytes ?? "-"} ${f.subject}`;
}
