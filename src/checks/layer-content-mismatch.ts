// checks/layer-content-mismatch.ts — image layers whose unpacked snapshot no longer holds what their blob
// says (--verify only: it reads every layer blob and every file of every image layer). containerd never
// looks at a snapshot again once it is committed, and blob-digest-mismatch only proves the blob intact: a
// power loss that leaves files of a fresh unpack zero-filled (same size, wrong bytes), or anything that
// edits a lower dir behind containerd's back, is found only by comparing the two.
//
//   blob ──► tar ──► overlay unpack rules (formats/tar parseLayer) ──► expected tree ┐
//   snapshot fs/ ──► lstat, readlink, opaque xattr, sha256 (doctor-input)  ──► tree  ├─► differences
//   compared: the set of paths, kinds, permission bits, sizes, sha256 of files, symlink targets, device numbers
//   (whiteouts are 0:0), opaque dirs, hard links (one inode); not owners, times or other xattrs.

import { createHash } from "node:crypto";
import type { LayerEntry } from "../formats/tar/index.js";
import type { Check, Finding } from "./check.js";
import type { DiskEntryFact, LayerContentFact } from "./doctor-input.js";

/** Differences named in a finding's message; the rest are counted. */
export const shownDifferences = 5;

const kindWords: Record<string, string> = {
  file: "a file",
  dir: "a dir",
  symlink: "a symlink",
  "char-device": "a char device",
  "block-device": "a block device",
  fifo: "a fifo",
  socket: "a socket",
  whiteout: "a whiteout",
};

function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

function short(sha: string): string {
  return sha.slice(0, 12);
}

/** Files up to this size are told apart as "all zero bytes" (what a power loss leaves), by hashing zeros. */
export const zeroCheckMaxBytes = 16 * 1024 * 1024;
const zeroHashes = new Map<number, string>();

/** Whether `sha256` is the hash of `size` zero bytes (sizes up to zeroCheckMaxBytes). Pure; memoized. */
export function isZeroFilled(size: number, sha256: string): boolean {
  if (size === 0 || size > zeroCheckMaxBytes) return false;
  let h = zeroHashes.get(size);
  if (h === undefined) {
    h = createHash("sha256").update(Buffer.alloc(size)).digest("hex");
    zeroHashes.set(size, h);
  }
  return h === sha256;
}

/** What differs at one path that both trees have; [] when nothing does. Pure. */
function differencesAt(
  e: LayerEntry,
  a: DiskEntryFact,
  actual: ReadonlyMap<string, DiskEntryFact>,
): string[] {
  const p = e.path;
  if (e.kind !== a.kind) return [`${p}: is ${kindWords[a.kind]}, the layer has ${kindWords[e.kind]}`];
  const out: string[] = [];
  if (e.hardLinkTo !== null) {
    const first = actual.get(e.hardLinkTo);
    if (first !== undefined && first.inode !== a.inode)
      out.push(`${p}: is not a hard link of ${e.hardLinkTo}, as it is in the layer`);
  }
  if (e.kind === "file") {
    if (e.size !== a.size) out.push(`${p}: holds ${a.size} bytes, the layer ${e.size}`);
    else if (e.sha256 !== null && a.sha256 !== null && e.sha256 !== a.sha256) {
      const zeros = isZeroFilled(a.size, a.sha256) ? ", all zero bytes on disk" : "";
      out.push(
        `${p}: contents differ (sha256 ${short(a.sha256)}… on disk, ${short(e.sha256)}… in the layer${zeros})`,
      );
    }
  }
  if (e.kind === "symlink" && a.target !== null && e.target !== a.target)
    out.push(`${p}: links to ${JSON.stringify(a.target)}, the layer to ${JSON.stringify(e.target)}`);
  if (e.device !== null && a.device !== null && e.kind !== "whiteout") {
    if (e.device.major !== a.device.major || e.device.minor !== a.device.minor)
      out.push(
        `${p}: device ${a.device.major}:${a.device.minor}, the layer ${e.device.major}:${e.device.minor}`,
      );
  }
  if (e.kind === "dir" && e.isOpaque !== a.isOpaque)
    out.push(
      `${p}: ${a.isOpaque ? "is opaque, the layer's dir is not" : "is not opaque, the layer's dir is"}`,
    );
  // a hard link's own name carries its first name's mode: compared there once
  if (e.mode !== null && e.hardLinkTo === null && e.mode !== a.mode)
    out.push(`${p}: mode ${octal(a.mode)}, the layer ${octal(e.mode)}`);
  return out;
}

/**
 * The differences between a layer's tree as its tar describes it and the snapshot's tree on disk, sorted
 * by path: missing paths, extra paths, and per path what differs. Pure.
 */
export function compareLayerTrees(
  expected: ReadonlyMap<string, LayerEntry>,
  actual: ReadonlyMap<string, DiskEntryFact>,
): string[] {
  const out: { path: string; text: string }[] = [];
  for (const e of expected.values()) {
    const a = actual.get(e.path);
    if (a === undefined)
      out.push({ path: e.path, text: `${e.path}: missing (the layer has ${kindWords[e.kind]})` });
    else for (const text of differencesAt(e, a, actual)) out.push({ path: e.path, text });
  }
  for (const a of actual.values()) {
    if (!expected.has(a.path))
      out.push({ path: a.path, text: `${a.path}: ${kindWords[a.kind]} the layer does not have` });
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)).map((d) => d.text);
}

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

function findingOf(f: LayerContentFact): Finding | null {
  const base = { check: "layer-content-mismatch", subject: subject(f), path: f.path, bytes: 0 };
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
      severity: "error",
      message:
        `${layerName(f)} unpacks to a tar with digest ${f.tarDigest}, but the image's config names ${f.diffId}: ` +
        `the blob is not the layer the snapshot was made from, so the snapshot was not compared`,
      remedy: "pull or import the image again; check the blob with doctor --verify (blob-digest-mismatch)",
    };
  }
  if (f.expected === null || f.actual === null) return null; // the snapshot dir is gone: missing-snapshot-dir
  const diffs = compareLayerTrees(f.expected, f.actual);
  if (diffs.length === 0) return null;
  const shown = diffs.slice(0, shownDifferences).join("; ");
  const more = diffs.length > shownDifferences ? `; and ${diffs.length - shownDifferences} more` : "";
  return {
    ...base,
    severity: "error",
    message: `snapshot ${f.namespace}/${f.key} differs from ${layerName(f)} in ${diffs.length} path(s): ${shown}${more}`,
    remedy,
  };
}

/** Image layers whose snapshot differs from their blob. Cost: reads every layer blob and image layer file. */
export const layerContentMismatch: Check = {
  id: "layer-content-mismatch",
  needs: ["metadata", "verify"],
  summary: "an image layer's snapshot whose files differ from the layer blob it was unpacked from (--verify)",
  run(input) {
    const out: Finding[] = [];
    for (const f of input.layerContents ?? []) {
      const finding = findingOf(f);
      if (finding !== null) out.push(finding);
    }
    return out;
  },
};
