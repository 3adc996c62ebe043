// copy/native-copier.ts — loads the native copier (build/Release/crifs_copy.node, built from native/copy.c by
// node-gyp at npm install). Node's fs has no mknod, no FICLONE without a fallback it chooses itself, no
// nanosecond utimes and no xattrs: the copier needs the addon, and says how to build it when it is absent.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { CrifsError } from "../errors.js";

/** What native/copy.c's copyTree counts. */
export interface NativeCopyStats {
  dirs: number;
  files: number;
  symlinks: number;
  /** Char and block devices (overlay whiteouts among them) and fifos. */
  specials: number;
  sockets: number;
  /** Names made with link() to an earlier copy of the same source inode. */
  hardlinks: number;
  /** Bytes of the regular files copied (apparent sizes; 0 in hardlink mode). */
  bytes: number;
  /** Of those, the bytes shared by FICLONE. */
  reflinkedBytes: number;
  /** [entry path in the tree as bytes, what happened]. */
  warnings: [Buffer, string][];
}

/** Mode numbers native/copy.c takes. */
export const nativeModes = { copy: 0, reflink: 1, auto: 2, hardlink: 3 } as const;

/** An error the addon throws or rejects with: errno, its name, the step and the entry (bytes). */
export interface NativeCopyError extends Error {
  code: string;
  errno: number;
  op: string;
  rel: Buffer;
}

export interface NativeCopier {
  copyTree(src: string | Buffer, dest: string | Buffer, mode: number): Promise<NativeCopyStats>;
  /** One entry; a dir gets everything but its times. [S_IFMT bits, 1 when reflinked, a warning (a socket not made) or null]. */
  copyNode(src: string | Buffer, dest: string | Buffer, mode: number): [number, number, string | null];
  setTimes(
    path: string | Buffer,
    atimeSec: number,
    atimeNsec: number,
    mtimeSec: number,
    mtimeNsec: number,
  ): void;
  /** [name, value] of every xattr of path (a symlink's own). */
  listXattrs(path: string | Buffer): [string, Buffer][];
  /** syncfs(2) of the filesystem holding path. */
  syncFs(path: string | Buffer): void;
}

/** dist/src/copy → the package root. */
const addonPath = fileURLToPath(new URL("../../../build/Release/crifs_copy.node", import.meta.url));

let loaded: NativeCopier | undefined;

/** The addon, loaded once; throws "unsupported" saying how to build it when it is absent or does not load. */
export function nativeCopier(): NativeCopier {
  if (loaded !== undefined) return loaded;
  let why = `${addonPath} is not built`;
  if (existsSync(addonPath)) {
    try {
      const addon = createRequire(import.meta.url)(addonPath) as Partial<NativeCopier>;
      if (typeof addon.copyTree === "function") {
        loaded = addon as NativeCopier;
        return loaded;
      }
      why = `${addonPath} has no copyTree`;
    } catch (err) {
      why = `cannot load ${addonPath}: ${(err as Error).message}`;
    }
  }
  throw new CrifsError("unsupported", `cannot copy trees faithfully: ${why}`, {
    remedy:
      "build the native addon (npm run install in crifs's directory; it needs make, python3 and a C compiler)",
  });
}
