// runtimes/containerd/content-store.ts — containerd's content store as crifs reads it:
//   <content>/blobs/<alg>/<hex>     one file per blob, named by its digest
// and the one walk from an image's target blob to its manifest, which the loader (image-layers.ts: the
// snapshot keys) and doctor (layer contents: the layer blobs) both take:
//   index (application/vnd.oci.image.index.v1+json, docker manifest list) -> manifest(s) -> config
// Manifests, indexes and configs are small JSON blobs, read whole up to maxJsonBlob.

import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Descriptor, parseDescriptors } from "../../formats/oci/image.js";

/** Largest manifest, index or config read. */
export const maxJsonBlob = 4 * 1024 * 1024;
/** Index nesting followed: an index at this depth (root = 0) is not looked into. */
const maxIndexDepth = 3;
/** Manifests of one index looked at. */
const maxIndexManifests = 256;

/** `<content>/blobs/<alg>/<hex>`. Pure. */
export function blobPath(contentRoot: string, digest: string): string {
  const [alg, hex] = digest.split(":");
  return join(contentRoot, "blobs", alg ?? "", hex ?? "");
}

/** A blob that could not be read as JSON: its path and why ("blob not found" when it is absent). */
export interface BlobProblem {
  readonly digest: string;
  readonly path: string;
  readonly why: string;
}

export type JsonBlob = { readonly doc: Record<string, unknown> } | { readonly problem: BlobProblem };

/** A small JSON blob (manifest, index, config). Cost: one stat and one read of at most maxJsonBlob. */
export function readJsonBlob(contentRoot: string, digest: string): JsonBlob {
  const path = blobPath(contentRoot, digest);
  try {
    const size = statSync(path).size;
    if (size > maxJsonBlob) throw new Error(`${size} bytes is too large for a manifest`);
    const v = JSON.parse(readFileSync(path, "utf8")) as unknown;
    if (typeof v !== "object" || v === null) throw new Error("not a JSON object");
    return { doc: v as Record<string, unknown> };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "blob not found" : (err as Error).message;
    return { problem: { digest, path, why } };
  }
}

export interface ManifestWalk {
  /** The manifests of an index to try, in order (default: all of them, as listed). */
  readonly order?: (manifests: readonly Descriptor[]) => readonly Descriptor[];
  /** Whether this manifest is the one sought (default: the first reached). */
  readonly accept?: (manifest: Record<string, unknown>) => boolean;
}

export type ManifestFound =
  | { readonly digest: string; readonly manifest: Record<string, unknown> }
  | { readonly problem: BlobProblem }
  | null;

/**
 * From the blob `digest` (an index or a manifest) down the index nesting to the first manifest `accept`
 * takes, trying each index's manifests in `order`. When none is taken: the first blob that could not be read,
 * or null. Cost: one small read per blob tried (at most maxIndexManifests per index, maxIndexDepth deep).
 */
export function findManifest(contentRoot: string, digest: string, walk: ManifestWalk = {}): ManifestFound {
  let problem: BlobProblem | null = null;
  const visit = (d: string, depth: number): { digest: string; manifest: Record<string, unknown> } | null => {
    const blob = readJsonBlob(contentRoot, d);
    if ("problem" in blob) {
      problem ??= blob.problem;
      return null;
    }
    if (Array.isArray(blob.doc.manifests)) {
      if (depth >= maxIndexDepth) return null;
      const all = parseDescriptors(blob.doc.manifests).slice(0, maxIndexManifests);
      for (const m of walk.order?.(all) ?? all) {
        const found = visit(m.digest, depth + 1);
        if (found !== null) return found;
      }
      return null;
    }
    return (walk.accept?.(blob.doc) ?? true) ? { digest: d, manifest: blob.doc } : null;
  };
  return visit(digest, 0) ?? (problem === null ? null : { problem });
}

/** The config digest a manifest names, or null. */
export function manifestConfig(manifest: Record<string, unknown>): string | null {
  const d = (manifest.config as { digest?: unknown } | undefined)?.digest;
  return typeof d === "string" ? d : null;
}

/** The layer descriptors of the manifest (below `digest`, an index or a manifest) whose config is `config`;
 * null when no readable manifest has it. Cost: as findManifest. */
export function manifestLayers(contentRoot: string, digest: string, config: string): Descriptor[] | null {
  const found = findManifest(contentRoot, digest, { accept: (m) => manifestConfig(m) === config });
  return found === null || "problem" in found ? null : parseDescriptors(found.manifest.layers);
}
