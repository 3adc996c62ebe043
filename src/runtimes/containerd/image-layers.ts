// runtimes/containerd/image-layers.ts — from an image's target blob to the snapshots it unpacks to:
//   index -> manifest for this platform (content-store.ts findManifest)
//   manifest -> config blob -> rootfs.diff_ids -> chain ids (the committed snapshot keys, base first;
//   formats/oci chainIds)
// A missing or unreadable blob leaves the image without layers and is reported as an anomaly (`ctr images
// check` says "blob not found" for the same image).

import { chainIds } from "../../formats/oci/image.js";
import type { Anomaly } from "../../model/store.js";
import { findManifest, manifestConfig, readJsonBlob } from "./content-store.js";

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
  const arch = goArch[process.arch] ?? process.arch;
  // this platform's manifest, or the index's first: only that one is read
  const found = findManifest(contentRoot, target.digest, {
    order: (ms) => {
      const pick = ms.find((m) => m.platform?.os === "linux" && m.platform.architecture === arch) ?? ms[0];
      return pick === undefined ? [] : [pick];
    },
  });
  if (found === null) return { configDigest: null, snapshotKeys: [], anomaly: null };
  if ("problem" in found) {
    const { digest, path, why } = found.problem;
    return {
      configDigest: null,
      snapshotKeys: [],
      anomaly: { path, subject, message: `cannot read ${digest} of ${subject}: ${why}` },
    };
  }
  const config = manifestConfig(found.manifest);
  if (config === null) return { configDigest: null, snapshotKeys: [], anomaly: null };
  const cfg = readJsonBlob(contentRoot, config);
  if ("problem" in cfg) {
    // the same words as for a manifest: a missing blob is missing-blob's finding, not a decoding error
    const { path, why } = cfg.problem;
    return {
      configDigest: config,
      snapshotKeys: [],
      anomaly: { path, subject, message: `cannot read config ${config} of ${subject}: ${why}` },
    };
  }
  const diffIds = (cfg.doc.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
  const keys = Array.isArray(diffIds) ? chainIds(diffIds as string[]) : [];
  return { configDigest: config, snapshotKeys: keys, anomaly: null };
}
