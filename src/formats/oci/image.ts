// formats/oci/image.ts — pieces of the OCI image spec that more than one runtime reads (pure):
//   chain ids: chain[0] = diff_id[0]; chain[n] = sha256(chain[n-1] + " " + diff_id[n]) (the committed
//              snapshot keys of containerd, the layerdb dirs of Docker), base first
//   descriptors: the { digest, mediaType } entries of a manifest's layers or an index's manifests

import { createHash } from "node:crypto";

/** chainN = sha256("<chainN-1> <diffN>"), chain1 = diff1 (OCI image spec). Pure. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out.at(-1);
    out.push(prev === undefined ? d : `sha256:${createHash("sha256").update(`${prev} ${d}`).digest("hex")}`);
  }
  return out;
}

export interface Descriptor {
  readonly digest: string;
  readonly mediaType: string;
  readonly platform?: { readonly os?: string; readonly architecture?: string };
}

/** The descriptors of a JSON array (manifest layers, index manifests); entries without a digest are left out. */
export function parseDescriptors(v: unknown): Descriptor[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((d) => {
    const x = d as { digest?: unknown; mediaType?: unknown; platform?: unknown } | null;
    if (typeof x?.digest !== "string") return [];
    const p = x.platform as { os?: unknown; architecture?: unknown } | null | undefined;
    const platform =
      typeof p === "object" && p !== null
        ? {
            ...(typeof p.os === "string" ? { os: p.os } : {}),
            ...(typeof p.architecture === "string" ? { architecture: p.architecture } : {}),
          }
        : undefined;
    return [
      {
        digest: x.digest,
        mediaType: typeof x.mediaType === "string" ? x.mediaType : "",
        ...(platform === undefined ? {} : { platform }),
      },
    ];
  });
}
