// copy/manifest.ts — what "the same tree" means, as data: every entry under a root with its path (bytes), type,
// mode, owner, size, device numbers, mtime (ns), xattrs, link target, content hash and hard-link group. Two
// trees are copies of each other exactly when their manifests are equal (compareManifests). Used by
// `clone --verify`, by relocate, and by the tests (test/integration/manifest.ts wraps it).
//
// Read with the kernel's view: lstat (never following a symlink), llistxattr/lgetxattr (native/copy.c),
// readlink as bytes, sha256 of a file's data runs (holes hashed as zeros without being read:
// fs/file-hash.ts). Entries come sorted by their path's bytes, the root first as "". Hard-link groups are
// numbered 1, 2, … in that order among the inodes that have two or more names IN THE TREE (not by nlink:
// a hardlink clone raises the source's nlinks, and an inode linked from outside is no group here), so two
// trees with the same grouping have equal numbers. atime is left out: reading the tree changes it.

import { createHash } from "node:crypto";
import { type BigIntStats, lstatSync, readdirSync, readlinkSync } from "node:fs";
import { sha256File } from "../fs/file-hash.js";
import { decodeName, encodeName, fsPath } from "../fs/name-codec.js";
import { nativeCopier } from "./native-copier.js";

export type ManifestType = "dir" | "file" | "symlink" | "char" | "block" | "fifo" | "socket";

export interface ManifestEntry {
  /** Path below the root, "a/b" (decodeName form: exact bytes); "" for the root. */
  readonly path: string;
  readonly type: ManifestType;
  /** Permission bits with setuid, setgid and sticky (st_mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of a file or symlink; 0 for the others. */
  readonly size: number;
  /** "major:minor" of a char or block device (0:0 is an overlay whiteout), else null. */
  readonly rdev: string | null;
  /** Nanoseconds since the epoch, as a string. */
  readonly mtimeNs: string;
  /** [name, value as hex] sorted by name. */
  readonly xattrs: readonly (readonly [string, string])[];
  /** A symlink's target (decodeName form), else null. */
  readonly linkTarget: string | null;
  /** sha256 (hex) of a regular file's content, else null (or null for every file with `hash: false`). */
  readonly sha256: string | null;
  /** Its hard-link group in this tree (1, 2, … in path order), or null for an inode with one name here. */
  readonly linkGroup: number | null;
}

export interface ManifestOptions {
  /** Hash the content of regular files. Default true. */
  readonly hash?: boolean;
}

function typeOf(st: BigIntStats): ManifestType {
  if (st.isDirectory()) return "dir";
  if (st.isFile()) return "file";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  if (st.isFIFO()) return "fifo";
  return "socket";
}

const byBytes = (a: Buffer, b: Buffer) => Buffer.compare(a, b);

/** One entry to put in a manifest: its path in the tree ("" for the root) and the host file that holds it. */
export interface ManifestSource {
  readonly rel: string;
  readonly abs: string;
}

/**
 * The manifest of the tree at `root` (a directory, or any entry: then one entry). Cost: a full walk, an
 * llistxattr per entry, and reading every regular file's data unless `hash: false`.
 */
export function readManifest(root: string, options: ManifestOptions = {}): ManifestEntry[] {
  const raw: ManifestSource[] = [];
  const visit = (abs: string, rel: string): void => {
    raw.push({ rel, abs });
    if (!lstatSync(fsPath(abs)).isDirectory()) return;
    const children = readdirSync(fsPath(abs), { encoding: "buffer" }).sort(byBytes);
    for (const c of children) {
      const name = decodeName(c);
      visit(`${abs}/${name}`, rel === "" ? name : `${rel}/${name}`);
    }
  };
  visit(root.replace(/\/+$/, "") || "/", "");
  return manifestOf(raw, options);
}

/**
 * The manifest of a tree given as its entries, wherever their files are (a merged overlay view: each entry in
 * the layer that provides it). `hideXattr` leaves attributes out (overlay's own, which a mount hides).
 * Hard-link groups are numbered in the order of the paths' bytes, so any two sources of the same tree agree.
 */
export function manifestOf(
  entries: Iterable<ManifestSource>,
  options: ManifestOptions & { readonly hideXattr?: (name: string) => boolean } = {},
): ManifestEntry[] {
  const hash = options.hash !== false;
  const hide = options.hideXattr ?? (() => false);
  const xattrs = nativeCopier().listXattrs;
  const raw: { rel: string; st: BigIntStats; abs: string }[] = [];
  const names = new Map<string, number>(); // dev:ino → names in the tree
  for (const { rel, abs } of entries) {
    const st = lstatSync(fsPath(abs), { bigint: true });
    raw.push({ rel, st, abs });
    if (st.isDirectory()) continue;
    const key = `${st.dev}:${st.ino}`;
    names.set(key, (names.get(key) ?? 0) + 1);
  }
  const groups = new Map<string, number>();
  for (const { st } of [...raw].sort((a, b) => byBytes(encodeName(a.rel), encodeName(b.rel)))) {
    const key = `${st.dev}:${st.ino}`;
    if (!st.isDirectory() && (names.get(key) ?? 0) > 1 && !groups.has(key)) groups.set(key, groups.size + 1);
  }
  return raw.map(({ rel, st, abs }) => {
    const type = typeOf(st);
    const linkGroup = type === "dir" ? null : (groups.get(`${st.dev}:${st.ino}`) ?? null);
    // Linux's dev_t: major in bits 8-19 and 32-63, minor in bits 0-7 and 20-31
    const r = st.rdev;
    const rdev =
      type === "char" || type === "block"
        ? `${((r >> 8n) & 0xfffn) | ((r >> 32n) & 0xfffff000n)}:${(r & 0xffn) | ((r >> 12n) & 0xffffff00n)}`
        : null;
    return {
      path: rel,
      type,
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      size: type === "file" || type === "symlink" ? Number(st.size) : 0,
      rdev,
      mtimeNs: st.mtimeNs.toString(),
      xattrs: xattrs(fsPath(abs))
        .filter(([n]) => !hide(n))
        .map(([n, v]) => [n, v.toString("hex")] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      linkTarget: type === "symlink" ? decodeName(readlinkSync(fsPath(abs), { encoding: "buffer" })) : null,
      sha256: type === "file" && hash ? sha256File(abs) : null,
      linkGroup,
    };
  });
}

/** One field of one entry that differs between two manifests (or an entry only one of them has). */
export interface ManifestDifference {
  readonly path: string;
  /** The field that differs, or "entry" when the path is in one manifest only. */
  readonly field: keyof ManifestEntry | "entry";
  /** The values, as text ("absent" for a missing entry). */
  readonly left: string;
  readonly right: string;
}

const fields: readonly (keyof ManifestEntry)[] = [
  "type",
  "mode",
  "uid",
  "gid",
  "size",
  "rdev",
  "mtimeNs",
  "xattrs",
  "linkTarget",
  "sha256",
  "linkGroup",
];

function show(v: unknown): string {
  if (typeof v === "number" && v >= 0) return String(v);
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Every difference between manifests `a` and `b`: `a`'s entries in its order, then the entries only `b` has;
 * at most `limit` (default all). Equal trees: []. */
export function compareManifests(
  a: readonly ManifestEntry[],
  b: readonly ManifestEntry[],
  limit = Number.POSITIVE_INFINITY,
): ManifestDifference[] {
  const out: ManifestDifference[] = [];
  const right = new Map(b.map((e) => [e.path, e]));
  for (const x of a) {
    if (out.length >= limit) return out;
    const y = right.get(x.path);
    right.delete(x.path);
    if (y === undefined) {
      out.push({ path: x.path, field: "entry", left: x.type, right: "absent" });
      continue;
    }
    for (const f of fields) {
      const l = show(x[f]);
      const r = show(y[f]);
      if (l !== r && out.length < limit) out.push({ path: x.path, field: f, left: l, right: r });
    }
  }
  for (const y of right.values()) {
    if (out.length >= limit) break;
    out.push({ path: y.path, field: "entry", left: "absent", right: y.type });
  }
  return out;
}

/** A digest of a whole manifest (sha256 of its JSON): one value to print or compare. */
export function manifestDigest(m: readonly ManifestEntry[]): string {
  return `sha256:${createHash("sha256").update(JSON.stringify(m)).digest("hex")}`;
}
