// runtimes/containerd/image-layers.ts — from an image's target blob to the snapshots it unpacks to:
//   index (application/vnd.oci.image.index.v1+json, docker manifest list) -> manifest for this platform
//   manifest -> config blob -> rootfs.diff_ids -> chain ids (the committed snapshot keys, base first):
//     chain[0] = diff_id[0];  chain[n] = sha256(chain[n-1] + " " + diff_id[n])
// Reads small JSON blobs from the content store. A missing or unreadable blob leaves the image without
// layers and is reported as an anomaly (`ctr images check` says "blob not found" for the same image).

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Anomaly } from "../../model/store.js";

const MAX_BLOB_JSON = 4 * 1024 * 1024;

export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out.at(-1);
    out.push(prev === undefined ? d : `sha256:${createHash("sha256").update(`${prev} ${d}`).digest("hex")}`);
  }
  return out;
}

export function blobPath(contentRoot: string, digest: string): string {
  const [alg, hex] = digest.split(":");
  return join(contentRoot, "blobs", alg ?? "", hex ?? "");
}

const goArch: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
};

/** The config digest and snapshot keys of an image. Cost: reads two or three small blobs. */
export function readImageLayers(
  contentRoot: string,
  target: { digest: string; mediaType: string },
  subject: string,
): { configDigest: string | null; snapshotKeys: string[]; anomaly: Anomaly | null } {
  let digest = target.digest;
  for (let depth = 0; depth < 4; depth++) {
    const path = blobPath(contentRoot, digest);
    let doc: {
      manifests?: { digest?: string; platform?: { os?: string; architecture?: string } }[];
      config?: { digest?: string };
    };
    try {
      const buf = readFileSync(path);
      if (buf.length > MAX_BLOB_JSON) throw new Error(`${buf.length} bytes is too large for a manifest`);
      doc = JSON.parse(buf.toString("utf8"));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "blob not found" : (err as Error).message;
      return {
        configDigest: null,
        snapshotKeys: [],
        anomaly: { path, subject, message: `cannot read ${digest} of ${subject}: ${why}` },
      };
    }
    if (Array.isArray(doc.manifests)) {
      const arch = goArch[process.arch] ?? process.arch;
      const pick =
        doc.manifests.find((m) => m.platform?.os === "linux" && m.platform.architecture === arch) ??
        doc.manifests[0];
      if (pick?.digest === undefined) break;
      digest = pick.digest;
      continue;
    }
    const config = doc.config?.digest;
    if (config === undefined) break;
    try {
      const cfg = JSON.parse(readFileSync(blobPath(contentRoot, config), "utf8")) as {
        rootfs?: { diff_ids?: string[] };
      };
      return { configDigest: config, snapshotKeys: chainIds(cfg.rootfs?.diff_ids ?? []), anomaly: null };
    } catch (err) {
      const p = blobPath(contentRoot, config);
      // the same words as for a manifest: a missing blob is missing-blob's finding, not a decoding error
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "blob not found" : (err as Error).message;
      return {
        configDigest: config,
        snapshotKeys: [],
        anomaly: { path: p, subject, message: `cannot read config ${config} of ${subject}: ${why}` },
      };
    }
  }
  return { configDigest: null, snapshotKeys: [], anomaly: null };
}
