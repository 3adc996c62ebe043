// test/integration/manifest.ts — what "put back exactly" means, as data: every entry under the given paths
// with its type, mode, owner, size, mtime, xattrs, link target, content hash and hard-link group. Two
// manifests of the same trees are equal only when a restore kept all of that. Read with the kernel's view
// (lstat, getfattr), not with crifs's code.
//
//   const before = manifest([dirA, dirB]);  …move them away and back…  assert.deepEqual(manifest([dirA, dirB]), before);

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { type BigIntStats, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export interface ManifestEntry {
  readonly path: string;
  readonly type: "dir" | "file" | "symlink" | "other" | "absent";
  readonly mode: number;
  readonly owner: string;
  readonly size: number;
  /** Nanoseconds, as a string (bigint stat). */
  readonly mtime: string;
  /** `getfattr -d -m - -e hex` of the entry (not following links), sorted lines. */
  readonly xattrs: string;
  readonly linkTarget: string | null;
  readonly sha256: string | null;
  /** The first path (in walk order) of the entry's hard-link group, for files with more than one link. */
  readonly linkGroup: string | null;
}

function xattrsOf(path: string): string {
  try {
    return execFileSync("getfattr", ["-h", "-d", "-m", "-", "-e", "hex", "--absolute-names", path], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    })
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .sort()
      .join("\n");
  } catch {
    return "";
  }
}

/** The manifest of every entry at and under `roots` (an absent root is one `absent` entry). */
export function manifest(roots: readonly string[]): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  const groups = new Map<string, string>(); // dev:ino → first path
  const visit = (path: string): void => {
    let st: BigIntStats;
    try {
      st = lstatSync(path, { bigint: true });
    } catch {
      out.push({
        path,
        type: "absent",
        mode: 0,
        owner: "",
        size: 0,
        mtime: "",
        xattrs: "",
        linkTarget: null,
        sha256: null,
        linkGroup: null,
      });
      return;
    }
    const type = st.isDirectory() ? "dir" : st.isFile() ? "file" : st.isSymbolicLink() ? "symlink" : "other";
    let linkGroup: string | null = null;
    if (type === "file" && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      linkGroup = groups.get(key) ?? path;
      if (!groups.has(key)) groups.set(key, path);
    }
    out.push({
      path,
      type,
      mode: Number(st.mode),
      owner: `${st.uid}:${st.gid}`,
      size: type === "dir" ? 0 : Number(st.size),
      mtime: st.mtimeNs.toString(),
      xattrs: xattrsOf(path),
      linkTarget: type === "symlink" ? readlinkSync(path) : null,
      sha256: type === "file" ? createHash("sha256").update(readFileSync(path)).digest("hex") : null,
      linkGroup,
    });
    if (type === "dir") for (const n of readdirSync(path).sort()) visit(join(path, n));
  };
  for (const r of roots) visit(r);
  return out;
}
