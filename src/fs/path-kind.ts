// fs/path-kind.ts — what lstat finds at a host path, as a kind, for the lookups of an overlay view. With the
// native addon loaded this costs one lstat and no JS object (resolving every link of a big image asks
// tens of thousands of names); otherwise it is lstatSync. CRIFS_ENGINE=js forces the JS path, like the
// scanner's.

import { lstatSync } from "node:fs";
import { fromFsError } from "../errors.js";
import { fsPath } from "./name-codec.js";
import type { EntryKind } from "./resolve-in-root.js";
import { loadNativeScanner } from "./walk-native.js";
import { errnoName } from "./walk-tree-scan.js";
import { isWhiteout } from "./xattr.js";

/** An entry's kind in one layer: a whiteout (char device 0:0) told apart. */
export type LayerKind = EntryKind | "whiteout";

/** The native answers, by the addon's code (0: absent, handled apart). */
const nativeKinds: readonly (LayerKind | null)[] = [null, "file", "dir", "symlink", "other", "whiteout"];

let nativeKind: ((path: string | Buffer) => number) | null | undefined;

function native(): ((path: string | Buffer) => number) | null {
  if (nativeKind === undefined) {
    const scanner = process.env.CRIFS_ENGINE === "js" ? null : loadNativeScanner().scanner;
    nativeKind = typeof scanner?.kind === "function" ? scanner.kind.bind(scanner) : null;
  }
  return nativeKind;
}

/**
 * What lstat finds at `hostPath` (the last component is not followed; a path carrying bytes that are not
 * UTF-8 goes to the kernel as those bytes): null when absent (ENOENT, or
 * ENOTDIR: a component is not a dir). Throws CrifsError naming the path on any other error.
 */
export function pathKind(hostPath: string): LayerKind | null {
  const fast = native();
  if (fast !== null) {
    const k = fast(fsPath(hostPath));
    if (k === 0) return null;
    if (k > 0) return nativeKinds[k] ?? "other";
    throw fromFsError({ code: errnoName(-k) ?? `errno ${-k}` }, hostPath, "stat");
  }
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(fsPath(hostPath), { throwIfNoEntry: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") return null;
    throw fromFsError(err, hostPath, "stat");
  }
  if (st === undefined) return null;
  if (isWhiteout(st)) return "whiteout";
  return st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
}
