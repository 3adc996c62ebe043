// fs/layers-in-root.ts — a layer dir the metadata places under the store's root is read only when it really
// lies there: no symlink on its path between the root and the dir (`<root>/overlay/<id>` made a link to a dir
// elsewhere, or a link planted on a node's disk that, read with --host-root, would lead into the rescuing
// host's own files). export, diff and clone --merged read every file of every layer; they must not read
// another tree's under a layer's name. A layer the metadata places outside the root (an additional image store,
// a snapshotter root configured elsewhere) is the configuration's own and is left as it is.

import { realpathSync } from "node:fs";
import { CrifsError } from "../errors.js";

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** Throws CrifsError (unsafe) when a layer under `root` resolves elsewhere. Cost: one realpath per layer. */
export function checkLayersInRoot(root: string, layers: readonly string[]): void {
  const base = root.replace(/\/+$/, "");
  if (base === "") return;
  const realBase = realOrNull(base);
  if (realBase === null) return; // the root is gone: the layers' own lstat says so
  for (const layer of layers) {
    if (!layer.startsWith(`${base}/`)) continue;
    const real = realOrNull(layer);
    if (real === null) continue; // missing: the view's lstat names it
    const expected = realBase + layer.slice(base.length).replace(/\/+$/, "");
    if (real !== expected)
      throw new CrifsError(
        "unsafe",
        `cannot read the layer: a symlink on its path under the root leads to ${real}`,
        {
          path: layer,
          remedy: "a layer dir is never a link: crifs doctor shows the store; look at what made the link",
        },
      );
  }
}
