// checks/layer-content-mismatch.ts — image layers whose unpacked snapshot no longer holds what their blob
// says (--verify only: it reads every layer blob, and every file of every image layer that the blob has at
// the same path with the same size; a path the blob lacks, or a size that differs, is told without a read).
// containerd never looks at a snapshot again once it is committed, and blob-digest-mismatch only proves the
// blob intact: a power loss that leaves files of a fresh unpack zero-filled (same size, wrong bytes), or
// anything that edits a lower dir behind containerd's back, is found only by comparing the two.
//
//   blob ──► tar ──► overlay unpack rules (formats/tar parseLayer) ──► expected tree ┐ compareLayer, in
//   snapshot fs/ ──► lstat, readlink, opaque xattr, sha256 (when comparable) ──► tree ┘ doctor-input, one
//   layer at a time (two whole trees of every layer would not fit in memory) ──► differences ──► one finding
//   compared: the set of paths, kinds, permission bits, sizes, sha256 of files, symlink targets, device numbers
//   (whiteouts are 0:0), opaque dirs, hard links (one inode); not owners, times or other xattrs.

import type { LayerContentFact } from "../model/doctor-facts.js";
import type { Found } from "./check.js";
import { CONTAINERD_ONLY, defineCheck } from "./check.js";

/** Differences named in a finding's message; the rest are counted. */
export const shownDifferences = 5;

function subject(f: LayerContentFact): string {
  return `snapshot ${f.namespace}/${f.snapshotter}/${f.key}`;
}

function layerName(f: LayerContentFact): string {
  return `layer ${f.index + 1} of image ${f.image} (blob ${f.blob.digest})`;
}

const remedy =
  "the unpacked layer is damaged (a power loss, or an edit behind containerd's back): remove the containers " +
  "and images that use it so that containerd removes the snapshot, then pull or import the image again; check " +
  "the disk for errors (dmesg, fsck)";

function foundOf(f: LayerContentFact): Found | null {
  const base = { subject: subject(f), path: f.path };
  if (f.problem !== null) {
    const isDamaged = f.problem.code === "corrupt";
    return {
      ...base,
      severity: isDamaged ? "error" : "info",
      message: `cannot compare snapshot ${f.namespace}/${f.key} with ${layerName(f)}: ${f.problem.message}`,
      remedy: isDamaged
        ? "the blob does not read as a layer: run doctor --verify for blob-digest-mismatch, then pull or import the image again"
        : "compare this layer by other means (unpack the blob with tar and diff -r against the snapshot's fs dir)",
    };
  }
  if (f.tarDigest !== null && f.tarDigest !== f.diffId) {
    return {
      ...base,
      message:
        `${layerName(f)} unpacks to a tar with digest ${f.tarDigest}, but the image's config names ${f.diffId}: ` +
        `the blob is not the layer the snapshot was made from, so the snapshot was not compared`,
      remedy: "pull or import the image again; check the blob with doctor --verify (blob-digest-mismatch)",
    };
  }
  // not compared (the snapshot dir is gone: missing-snapshot-dir's business), or equal
  if (f.differences === null || f.differenceCount === 0) return null;
  const shown = f.differences.slice(0, shownDifferences).join("; ");
  const hidden = f.differenceCount - Math.min(shownDifferences, f.differences.length);
  const more = hidden > 0 ? `; and ${hidden} more` : "";
  return {
    ...base,
    message: `snapshot ${f.namespace}/${f.key} differs from ${layerName(f)} in ${f.differenceCount} path(s): ${shown}${more}`,
    remedy,
  };
}

/** Image layers whose snapshot differs from their blob. Cost: reads every layer blob and image layer file. */
export const layerContentMismatch = defineCheck({
  id: "layer-content-mismatch",
  summary: "an image layer's snapshot whose files differ from the layer blob it was unpacked from (--verify)",
  kind: { severity: "error", needs: ["metadata", "verify"], runtimes: CONTAINERD_ONLY },
  *find(input) {
    for (const f of input.layerContents ?? []) {
      const found = foundOf(f);
      if (found !== null) yield found;
    }
  },
});
