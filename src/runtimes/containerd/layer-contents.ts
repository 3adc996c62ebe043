// runtimes/containerd/layer-contents.ts — doctor --verify's look at every image layer: its blob from the
// content store, unpacked in memory (formats/tar), against its snapshot's fs/ dir on disk (fs/walk-sync.ts readTree):
//
//   image → manifest (content-store.ts manifestLayers) → layers[i] blob ─► inflate, sha256 = diff_ids[i]? ─┐
//   committed snapshot with key chain(0..i) ─► fs/ dir walked (lstat, readlink, xattr, sha256) ──────────┴► compareLayer
//
// Only the differences are kept (two whole trees of every layer would not fit in memory on a big host).

import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { CrifsError } from "../../errors.js";
import type { Descriptor } from "../../formats/oci/image.js";
import {
  compareLayer,
  decompressLayer,
  type LayerEntry,
  maxLayerBytes,
  parseLayer,
} from "../../formats/tar/index.js";
import type { FactReader } from "../../fs/fact-reader.js";
import { readTree } from "../../fs/walk-sync.js";
import type { LayerContentFact } from "../../model/doctor-facts.js";
import type { Image, Snapshot, Store } from "../../model/store.js";
import { blobPath, manifestLayers, readJsonBlob } from "./content-store.js";

interface LayerJob {
  readonly snapshot: Snapshot;
  readonly index: number;
  readonly image: Image;
  readonly blob: Descriptor;
  readonly diffId: string;
}

/** Each committed snapshot that is some image's layer, with the blob it came from. Cost: small JSON reads. */
function imageLayerJobs(store: Store, contentRoot: string): LayerJob[] {
  const committed = new Map<string, Snapshot>();
  for (const s of store.snapshots)
    if (s.kind === "committed") committed.set(`${s.namespace}\u0000${s.snapshotter}\u0000${s.key}`, s);
  const jobs = new Map<string, LayerJob>();
  for (const image of store.images) {
    if (image.configDigest === null || image.snapshotKeys.length === 0) continue;
    const layers = manifestLayers(contentRoot, image.digest, image.configDigest);
    const cfg = readJsonBlob(contentRoot, image.configDigest);
    const diffIds =
      "doc" in cfg ? (cfg.doc.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids : undefined;
    if (layers === null || !Array.isArray(diffIds) || layers.length !== diffIds.length) continue;
    image.snapshotKeys.forEach((key, index) => {
      const blob = layers[index];
      const diffId = diffIds[index];
      if (blob === undefined || typeof diffId !== "string" || blob.mediaType.includes("encrypted")) return;
      for (const snapshotter of new Set(store.snapshots.map((s) => s.snapshotter))) {
        const id = `${image.namespace}\u0000${snapshotter}\u0000${key}`;
        const snapshot = committed.get(id);
        if (snapshot !== undefined && !jobs.has(id)) jobs.set(id, { snapshot, index, image, blob, diffId });
      }
    });
  }
  return [...jobs.values()];
}

/** A layer blob as read: the tar's digest, the tree it describes, or why it could not be read. */
interface LayerTar {
  readonly tarDigest: string | null;
  /** null when the blob could not be read, or is not the tar the image names (not compared then). */
  readonly expected: ReadonlyMap<string, LayerEntry> | null;
  readonly problem: LayerContentFact["problem"];
}

/** A layer blob read, inflated, checked against its diff id and parsed; null when the file is absent. */
function readLayerTar(r: FactReader, path: string, diffId: string, isBase: boolean): LayerTar | null {
  let bytes: Buffer;
  try {
    const size = statSync(path).size;
    if (size > maxLayerBytes) {
      const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
      const message = `cannot compare the layer: its blob is ${gib(size)}, and crifs reads at most ${gib(maxLayerBytes)} into memory`;
      return { tarDigest: null, expected: null, problem: { code: "unsupported", message } };
    }
    bytes = readFileSync(path);
  } catch (err) {
    r.note(path, "read", err);
    return null;
  }
  try {
    const tar = decompressLayer(bytes);
    const tarDigest = `sha256:${createHash("sha256").update(tar).digest("hex")}`;
    // a tar that is not the one the image names is not compared entry by entry
    return { tarDigest, expected: tarDigest === diffId ? parseLayer(tar, { isBase }) : null, problem: null };
  } catch (err) {
    if (!(err instanceof CrifsError)) throw err;
    return { tarDigest: null, expected: null, problem: { code: err.code, message: err.message } };
  }
}

/** Differences kept per layer (the finding names the first few and counts the rest). */
export const maxKeptDifferences = 64;

/**
 * Each image layer's blob unpacked in memory and compared with its snapshot's tree on disk, one layer at a
 * time. Jobs are taken by blob, so a blob read once serves every snapshot unpacked from it (the same layer in
 * several namespaces) and then is let go. A blob file that is absent is left out (missing-blob's business, or
 * the runtime discarded the blobs of unpacked layers). A snapshot file is read for its sha256 only when the
 * tar has a file of the same size at its path. Cost: every layer blob read and inflated (at most
 * maxLayerBytes each), every image layer walked and every file in it that could be equal read.
 */
export function readLayerContents(r: FactReader, store: Store, contentRoot: string): LayerContentFact[] {
  const out: LayerContentFact[] = [];
  const jobs = imageLayerJobs(store, contentRoot);
  const blobKey = (j: LayerJob) => `${j.blob.digest}\u0000${j.snapshot.parent === null}`;
  jobs.sort((a, b) => (blobKey(a) < blobKey(b) ? -1 : blobKey(a) > blobKey(b) ? 1 : 0));
  let last: { key: string; tar: LayerTar | null } | null = null;
  for (const job of jobs) {
    const path = blobPath(contentRoot, job.blob.digest);
    if (last?.key !== blobKey(job)) {
      last = null; // let the previous tree go before reading the next blob
      last = { key: blobKey(job), tar: readLayerTar(r, path, job.diffId, job.snapshot.parent === null) };
    }
    const tar = last.tar;
    if (tar === null) continue;
    const expected = tar.expected;
    const found =
      expected === null
        ? null
        : readTree(r, job.snapshot.path, {
            hashWhen: (p, size) => {
              const want = expected.get(p);
              return want?.kind === "file" && want.size === size && want.sha256 !== null;
            },
          });
    const diffs = expected === null || found === null ? null : compareLayer(expected, found);
    out.push({
      namespace: job.snapshot.namespace,
      snapshotter: job.snapshot.snapshotter,
      key: job.snapshot.key,
      path: job.snapshot.path,
      index: job.index,
      image: `${job.image.namespace}/${job.image.name}`,
      blob: { digest: job.blob.digest, path, mediaType: job.blob.mediaType },
      diffId: job.diffId,
      tarDigest: tar.tarDigest,
      problem: tar.problem,
      differences: diffs === null ? null : diffs.slice(0, maxKeptDifferences),
      differenceCount: diffs?.length ?? 0,
    });
  }
  // read in blob order (one blob in memory at a time), reported in layer order
  const order = (f: LayerContentFact) =>
    `${f.namespace}\u0000${f.image}\u0000${String(f.index).padStart(6, "0")}\u0000${f.key}`;
  return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}
