// repair/rename-batch.ts — the quarantine moves of one batch, each right after its `unchanged` guard: lstat,
// compare with the plan's identity, rename. Natively (native/rename.c: renameat2 with RENAME_NOREPLACE, no JS
// between an item's guard and its move) when the addon has renameBatch; otherwise the same in JS, one item at
// a time (lstatSync, a look at the destination, renameSync).

import { lstatSync, renameSync } from "node:fs";
import { constants } from "node:os";
import { fsPath } from "../fs/name-codec.js";
import { loadNativeScanner } from "../fs/walk-native.js";

/** What renameBatch answers per item (native/rename.c); a negative number is -errno (the batch stopped). */
export const renameResult = { moved: 0, gone: 1, other: 2, changed: 3, notTried: 4 } as const;

/**
 * Moves srcs[i] to dsts[i] when lstat of srcs[i] shows the dev, ino and ctimeMs of ids[3i..3i+2] (a NaN
 * ctimeMs is not compared), stopping at the first error. Cost: one lstat and one rename per item.
 */
export type RenameBatch = (
  srcs: readonly (string | Buffer)[],
  dsts: readonly (string | Buffer)[],
  ids: Float64Array,
) => Int32Array;

/** Why an item was not moved (results 1–3), in the words of the `unchanged` guard. */
export function refusalReason(result: number): string {
  switch (result) {
    case renameResult.gone:
      return "it is gone";
    case renameResult.other:
      return "another file stands at its path now";
    default:
      return "it changed since the plan was made";
  }
}

function errnoOf(err: unknown): number {
  const n = (err as NodeJS.ErrnoException | undefined)?.errno;
  return typeof n === "number" && n !== 0 ? -Math.abs(n) : -constants.errno.EIO;
}

function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** The JS engine of renameBatch: what native/rename.c does, with a look at the destination standing in for
 * RENAME_NOREPLACE (Node has no flag for it: a rename onto an empty dir would replace it). */
export const renameBatchJs: RenameBatch = (srcs, dsts, ids) => {
  const n = srcs.length;
  const out = new Int32Array(n).fill(renameResult.notTried);
  for (let i = 0; i < n; i++) {
    const src = srcs[i] as string | Buffer;
    const dst = dsts[i] as string | Buffer;
    let r: number = renameResult.moved;
    try {
      const st = lstatSync(typeof src === "string" ? fsPath(src) : src);
      const ctimeMs = ids[3 * i + 2] as number;
      if (st.dev !== ids[3 * i] || st.ino !== ids[3 * i + 1]) r = renameResult.other;
      else if (!Number.isNaN(ctimeMs) && st.ctimeMs !== ctimeMs) r = renameResult.changed;
    } catch (err) {
      r = isAbsent(err) ? renameResult.gone : errnoOf(err);
    }
    if (r === renameResult.moved) {
      const to = typeof dst === "string" ? fsPath(dst) : dst;
      try {
        lstatSync(to);
        r = -constants.errno.EEXIST;
      } catch (err) {
        if (!isAbsent(err)) r = errnoOf(err);
      }
      if (r === renameResult.moved) {
        try {
          renameSync(typeof src === "string" ? fsPath(src) : src, to);
        } catch (err) {
          r = errnoOf(err);
        }
      }
    }
    out[i] = r;
    if (r < 0) break;
  }
  return out;
};

/** The addon's renameBatch, or the JS engine when the addon is not built (or older than renameBatch). */
export function loadRenameBatch(): RenameBatch {
  const native = loadNativeScanner().scanner?.renameBatch;
  return native === undefined ? renameBatchJs : native;
}
