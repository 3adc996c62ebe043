// test/integration/manifest.ts — what "put back exactly" means, for tests that name several roots: the
// manifest of src/copy/manifest.ts (type, mode, owner, size, device numbers, mtime, xattrs, link target,
// content hash, hard-link group of every entry) under each root, with each entry's path made absolute, and
// one `absent` entry for a root that is not there. Two manifests of the same roots are equal only when a
// restore kept all of that.
//
//   const before = manifest([dirA, dirB]);  …move them away and back…  assert.deepEqual(manifest([dirA, dirB]), before);

import { lstatSync } from "node:fs";
import { readManifest, type ManifestEntry as TreeEntry } from "../../src/copy/manifest.js";

export type ManifestEntry = Omit<TreeEntry, "type"> & { readonly type: TreeEntry["type"] | "absent" };

function absent(path: string): ManifestEntry {
  return {
    path,
    type: "absent",
    mode: 0,
    uid: 0,
    gid: 0,
    size: 0,
    rdev: null,
    mtimeNs: "",
    xattrs: [],
    linkTarget: null,
    sha256: null,
    linkGroup: null,
  };
}

/** The manifest of every entry at and under `roots` (an absent root is one `absent` entry). */
export function manifest(roots: readonly string[]): ManifestEntry[] {
  return roots.flatMap((root) => {
    try {
      lstatSync(root);
    } catch {
      return [absent(root)];
    }
    return readManifest(root).map((e) => ({ ...e, path: e.path === "" ? root : `${root}/${e.path}` }));
  });
}
