// formats/tar/compare-layer.ts — a layer's tree as its tar describes it (parseLayer) against the tree found in
// its unpacked snapshot dir: which paths are missing or extra, and for each path what differs.
//
//   compared: kinds, permission bits, sizes, sha256 of files (zero-filled files are named as such), symlink
//   targets, device numbers (whiteouts are 0:0), the opaque mark of dirs, hard links (one inode).
//   not compared: owners, times, xattrs other than the opaque mark; the mode of implicit parents, whiteouts,
//   symlinks and of a hard link's second name (its first name's mode is the inode's).
// Pure: the caller reads the disk and passes what it found.

import { createHash } from "node:crypto";
import type { TreeEntry } from "../../fs/walk-sync.js";
import type { LayerEntry } from "./layer.js";

/** One entry of an unpacked layer dir as lstat, readlink, lgetxattr and sha256 found it (fs/walk-sync.ts readTree). */
export type FoundEntry = TreeEntry;

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
function differencesAt(e: LayerEntry, a: FoundEntry, found: ReadonlyMap<string, FoundEntry>): string[] {
  const p = e.path;
  if (e.kind !== a.kind) return [`${p}: is ${kindWords[a.kind]}, the layer has ${kindWords[e.kind]}`];
  const out: string[] = [];
  if (e.hardLinkTo !== null) {
    const first = found.get(e.hardLinkTo);
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
 * The differences between a layer's tree as its tar describes it (parseLayer) and the tree found on disk,
 * sorted by path: missing paths, extra paths, and per path what differs, each as one line. Pure; cost: one
 * map lookup per entry (and a hash of zeros per differing file size, at most zeroCheckMaxBytes).
 */
export function compareLayer(
  expected: ReadonlyMap<string, LayerEntry>,
  found: ReadonlyMap<string, FoundEntry>,
): string[] {
  const out: { path: string; text: string }[] = [];
  for (const e of expected.values()) {
    const a = found.get(e.path);
    if (a === undefined)
      out.push({ path: e.path, text: `${e.path}: missing (the layer has ${kindWords[e.kind]})` });
    else for (const text of differencesAt(e, a, found)) out.push({ path: e.path, text });
  }
  for (const a of found.values()) {
    if (!expected.has(a.path))
      out.push({ path: a.path, text: `${a.path}: ${kindWords[a.kind]} the layer does not have` });
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)).map((d) => d.text);
}
