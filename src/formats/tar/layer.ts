// formats/tar/layer.ts — an OCI/Docker layer blob as the tree containerd's overlayfs unpack leaves on disk.
//
//   blob ──► decompressLayer: gzip (1f 8b) is inflated, a plain tar passes as is, zstd is refused
//        ──► parseLayer: tar entries ──► one LayerEntry per path of the snapshot's fs/ dir
//
// The rules follow containerd's archive.Apply (1.6/1.7, pkg/archive/tar.go, diff/apply/apply_linux.go):
// - names are cleaned and rooted: "./a/b/", "a/b" and "/a/b" are all /a/b; the root itself is skipped;
// - a parent that has no entry of its own is created (its mode comes from elsewhere: not compared);
// - a later entry replaces an earlier one at the same path; a dir over a dir merges (the new mode wins);
//   a non-dir over a dir removes what was below it;
// - a layer with a parent is applied straight into its upper dir with the overlay conversion:
//   `.wh.<name>` becomes a character device 0:0 at <name> ("whiteout"), `.wh..wh..opq` sets
//   trusted.overlay.opaque=y on its dir; neither marker file is written;
// - a base layer (no parent) is applied through a bind mount without the conversion: a `.wh.<name>`
//   removes <name> (and what is below it), an opaque marker changes nothing; neither leaves a trace;
// - a hard link (`link to`) is a second name of the earlier entry's inode;
// - a symlink's mode is not applied (Linux has no lchmod); owners, times and xattrs are not described here.

import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { posix } from "node:path";
import type * as zlib from "node:zlib";
import { CrifsError } from "../../errors.js";
import type { TreeEntryKind } from "../../fs/walk-sync.js";
import { parseTar, type TarEntry } from "./read-tar.js";

/** Largest uncompressed layer crifs holds in memory (and largest blob it reads): 2 GiB. */
export const maxLayerBytes = 2 * 1024 * 1024 * 1024;

/** What a layer's tar can hold: every kind a tree holds but a socket (fs/walk-sync.ts readTree). */
export type LayerEntryKind = Exclude<TreeEntryKind, "socket">;

/** One path of an unpacked layer, as the tar describes it. */
export interface LayerEntry {
  /** "/"-rooted path inside the layer (the path in a container). */
  readonly path: string;
  readonly kind: LayerEntryKind;
  /** Permission bits with setuid/setgid/sticky; null when the tar does not decide them (a parent made
   * on the way, a whiteout, a symlink). */
  readonly mode: number | null;
  /** Bytes of a regular file; 0 otherwise. */
  readonly size: number;
  /** Hex sha256 of a regular file's contents; null otherwise. */
  readonly sha256: string | null;
  /** A symlink's target as stored; null otherwise. */
  readonly target: string | null;
  /** For the second (third…) name of a hard-linked inode: the path of its first name. */
  readonly hardLinkTo: string | null;
  /** Device numbers of a device node (a whiteout is 0:0). */
  readonly device: { readonly major: number; readonly minor: number } | null;
  /** A dir marked trusted.overlay.opaque=y (`.wh..wh..opq` in the tar). */
  readonly isOpaque: boolean;
  /** A dir with no entry of its own, made only as the parent of entries. */
  readonly isImplicit: boolean;
}

export interface ParseLayerOptions {
  /** The layer is applied without a parent (through a bind mount): whiteouts leave no trace. */
  readonly isBase: boolean;
}

/** What a blob starts with, from its first bytes. Pure. */
export function layerCompression(blob: Uint8Array): "gzip" | "zstd" | "tar" {
  if (blob[0] === 0x1f && blob[1] === 0x8b) return "gzip";
  if (blob[0] === 0x28 && blob[1] === 0xb5 && blob[2] === 0x2f && blob[3] === 0xfd) return "zstd";
  return "tar";
}

/**
 * The uncompressed tar of a layer blob: gzip is inflated in memory (at most maxLayerBytes), a plain tar is
 * returned as is. Throws "unsupported" for zstd and for a tar larger than maxLayerBytes, "corrupt" for a
 * gzip stream that does not inflate. Cost: one inflate.
 */
export function decompressLayer(blob: Uint8Array, maxBytes = maxLayerBytes): Uint8Array {
  const kind = layerCompression(blob);
  if (kind === "zstd") {
    throw new CrifsError("unsupported", "cannot read the layer: it is zstd-compressed", {
      remedy: "crifs reads gzip and plain tar layers only",
    });
  }
  if (kind === "tar") {
    if (blob.length > maxBytes) throw tooLarge(blob.length, maxBytes);
    return blob;
  }
  try {
    // node:zlib loads on first use: most commands never inflate a layer (start-up, issue 15)
    const { gunzipSync } = createRequire(import.meta.url)("node:zlib") as typeof zlib;
    return gunzipSync(blob, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(null, maxBytes);
    // "unexpected end of file", "incorrect header check", "invalid block type"…
    throw new CrifsError("corrupt", `cannot inflate the gzip layer: ${(err as Error).message}`, {
      remedy:
        "the blob is damaged or truncated: check it with crifs doctor --verify, then pull the image again",
      cause: err,
    });
  }
}

function tooLarge(bytes: number | null, maxBytes: number): CrifsError {
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  const size = bytes === null ? `more than ${gib(maxBytes)}` : gib(bytes);
  return new CrifsError(
    "unsupported",
    `cannot compare the layer: its tar is ${size}, and crifs reads at most ${gib(maxBytes)} into memory`,
    { remedy: "compare this layer by other means (e.g. unpack the blob with tar and diff -r)" },
  );
}

function layerPath(name: string): string {
  const p = posix.normalize(`/${name}`);
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

/** The fields an entry of most kinds leaves empty. */
function blankEntry(path: string) {
  return {
    path,
    size: 0,
    sha256: null,
    target: null,
    hardLinkTo: null,
    device: null,
    isOpaque: false,
    isImplicit: false,
  };
}

function implicitDir(path: string): LayerEntry {
  return { ...blankEntry(path), kind: "dir", mode: null, isImplicit: true };
}

const whiteoutPrefix = ".wh.";
const opaqueMarker = ".wh..wh..opq";

/** The tree the layer leaves on disk: path → entry. Keeps the tar's removal rules (see the header). */
class LayerTree {
  readonly entries = new Map<string, LayerEntry>();

  /** Makes the missing ancestors of `path` as implicit dirs. */
  parents(path: string): void {
    const missing: string[] = [];
    for (let d = posix.dirname(path); d !== "/" && !this.entries.has(d); d = posix.dirname(d))
      missing.push(d);
    for (const d of missing.reverse()) this.entries.set(d, implicitDir(d));
  }

  /** Removes `path` and everything below it. */
  remove(path: string): void {
    const old = this.entries.get(path);
    if (old === undefined) return;
    this.entries.delete(path);
    if (old.kind !== "dir") return;
    const prefix = `${path}/`;
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  put(e: LayerEntry): void {
    const old = this.entries.get(e.path);
    if (old?.kind === "dir" && e.kind === "dir") {
      this.entries.set(e.path, { ...e, isOpaque: old.isOpaque || e.isOpaque });
      return;
    }
    this.remove(e.path);
    this.entries.set(e.path, e);
  }
}

function entryOf(t: TarEntry, path: string, tree: LayerTree): LayerEntry {
  const base = { ...blankEntry(path), mode: t.mode };
  switch (t.kind) {
    case "file":
      return {
        ...base,
        kind: "file",
        size: t.data.length,
        sha256: createHash("sha256").update(t.data).digest("hex"),
      };
    case "dir":
      return { ...base, kind: "dir" };
    case "symlink":
      return { ...base, kind: "symlink", mode: null, target: t.linkname };
    case "fifo":
      return { ...base, kind: "fifo" };
    case "char-device":
    case "block-device": {
      const device = { major: t.devmajor, minor: t.devminor };
      const isWhiteout = t.kind === "char-device" && device.major === 0 && device.minor === 0;
      return isWhiteout
        ? { ...base, kind: "whiteout", mode: null, device }
        : { ...base, kind: t.kind, device };
    }
    case "hardlink": {
      const to = layerPath(t.linkname);
      const first = tree.entries.get(to);
      if (first === undefined || first.kind === "dir" || first.isImplicit) {
        throw new CrifsError(
          "corrupt",
          `cannot read tar entry ${JSON.stringify(t.name)} at offset ${t.offset}: it is a hard link to ${JSON.stringify(t.linkname)}, which no earlier entry of the layer is`,
          { remedy: "the layer is malformed: containerd cannot have unpacked it either" },
        );
      }
      return { ...first, path, hardLinkTo: first.hardLinkTo ?? first.path };
    }
    case "other":
      throw new CrifsError(
        "unsupported",
        `cannot read tar entry ${JSON.stringify(t.name)} at offset ${t.offset}: type '${t.typeflag}' is not a file type containerd unpacks`,
        { remedy: "the layer is unusual: compare it by other means" },
      );
  }
}

/**
 * The tree a layer tar leaves in its snapshot's fs/ dir, by path (see the header for the rules). Pure; cost:
 * one pass over the tar and one sha256 of every regular file's data. Throws like parseTar.
 */
export function parseLayer(tar: Uint8Array, options: ParseLayerOptions): Map<string, LayerEntry> {
  const tree = new LayerTree();
  for (const t of parseTar(tar)) {
    const path = layerPath(t.name);
    if (path === "/") continue; // containerd skips the root entry
    tree.parents(path);
    const base = posix.basename(path);
    const dir = posix.dirname(path);
    if (base === opaqueMarker) {
      const d = tree.entries.get(dir);
      if (!options.isBase && d !== undefined && d.kind === "dir")
        tree.entries.set(dir, { ...d, isOpaque: true });
      continue;
    }
    if (base.startsWith(whiteoutPrefix)) {
      const target = posix.join(dir, base.slice(whiteoutPrefix.length));
      if (options.isBase) tree.remove(target);
      else tree.put(entryOf({ ...t, kind: "char-device", devmajor: 0, devminor: 0 }, target, tree));
      continue;
    }
    tree.put(entryOf(t, path, tree));
  }
  return tree.entries;
}
