// lookup.ts — lookupBolt: answers a few lookups from a bbolt file by reading the meta pages and the pages on the
// way to the keys asked for, not the whole file (openBolt reads and checks every page: right for a command that
// shows a whole store, too much for one that needs one record of 8 MiB).
//
//   open ─▶ read both meta heads ─▶ current meta (checksum, page size, high-water mark within the file size)
//        ─▶ fn(root bucket): each get()/bucket() reads the pages on its path (lazy-tree.ts, checked per page)
//        ─▶ re-read the meta heads ─▶ unchanged: fn's answer
//                                   └─ changed (a commit landed meanwhile): again, as openBolt retries
//
// Safe against a writer for the same reason as openBolt (open.ts): bbolt never rewrites a page that the current
// meta reaches, so pages read while neither meta changed belong to that meta's tree. fn must copy out what it
// keeps (the buckets it was handed read from the file and go stale when the call ends).

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { CrifsError, fromFsError } from "../../errors.js";
import { LazyTree } from "./lazy-tree.js";
import { chooseMeta, metaBytes, pickMeta, readMetas } from "./meta.js";
import { corruptRemedy } from "./page.js";
import type { BoltBucket } from "./types.js";

export interface LookupBoltOptions {
  /** Views tried before giving up on a file that keeps changing (default 20, at least 1). */
  attempts?: number;
  /** Pause before retry k is k × this many milliseconds (default 20). */
  retryDelayMs?: number;
  /** Called between the lookups and the second read of the meta heads (tests commit there). */
  beforeRecheck?: () => void;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function readAt(fd: number, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, out, got, length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? out : out.subarray(0, got);
}

/** The two meta heads as an image readMetas can take: page 0's at 0, page 1's at the page size page 0 names,
 * or (page 0 invalid) the file's first MiB, where readMetas probes for page 1 as it does on a whole image. */
function metaImage(fd: number, fileBytes: number): Uint8Array {
  const head0 = readAt(fd, 0, metaBytes);
  const meta0 = readMetas(head0).meta0;
  if (typeof meta0 === "string") return readAt(fd, 0, Math.min(fileBytes, (1 << 20) + metaBytes));
  const head1 = readAt(fd, meta0.pageSize, metaBytes);
  const image = new Uint8Array(meta0.pageSize + head1.length);
  image.set(head0, 0);
  image.set(head1, meta0.pageSize);
  return image;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One attempt: the answer, or "changed" when a commit landed between the two reads of the meta heads. */
function attempt<T>(
  path: string,
  fn: (root: BoltBucket) => T,
  o: LookupBoltOptions,
): { value: T } | "changed" {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw fromFsError(err, path);
  }
  try {
    const fileBytes = fstatSync(fd).size;
    const image = metaImage(fd, fileBytes);
    const pageSize = pickMeta(readMetas(image))?.pageSize ?? 4096;
    const head0 = image.subarray(0, metaBytes);
    const head1 = image.subarray(pageSize, pageSize + metaBytes);
    let value: T | undefined;
    let failure: unknown;
    try {
      const meta = chooseMeta(image, path, fileBytes);
      const tree = new LazyTree({
        name: path,
        pageSize: meta.pageSize,
        highWater: Number(meta.pgid),
        filePages: Math.floor(fileBytes / meta.pageSize),
        read: (offset, length) => {
          const b = readAt(fd, offset, length);
          if (b.length < length)
            throw new CrifsError(
              "corrupt",
              `cannot read ${length} bytes at byte ${offset}: the file ends first`,
              { path, remedy: corruptRemedy },
            );
          return b;
        },
      });
      value = fn(tree.bucket(meta.root, meta.sequence));
    } catch (err) {
      failure = err;
    }
    o.beforeRecheck?.();
    if (!sameBytes(head0, readAt(fd, 0, metaBytes)) || !sameBytes(head1, readAt(fd, pageSize, metaBytes))) {
      return "changed";
    }
    if (failure !== undefined) throw failure;
    return { value: value as T };
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs `fn` on the root bucket of a consistent view of the file, reading only the pages its lookups reach.
 * Throws CrifsError naming the path: "not-found"/"permission" from the file system, "corrupt" (one line, the
 * page and bucket) when a page on the way is invalid, "busy" when every view overlapped a commit.
 * Cost: two meta reads, and one read per page on the lookups' paths (cached within a view).
 */
export function lookupBolt<T>(path: string, fn: (root: BoltBucket) => T, options: LookupBoltOptions = {}): T {
  const attempts = Math.max(1, Math.floor(options.attempts ?? 20));
  const delay = Math.max(0, options.retryDelayMs ?? 20);
  for (let i = 1; i <= attempts; i++) {
    if (i > 1 && delay > 0) Atomics.wait(sleepCell, 0, 0, delay * (i - 1));
    let r: { value: T } | "changed";
    try {
      r = attempt(path, fn, options);
    } catch (err) {
      if (!(err instanceof CrifsError) || err.code !== "corrupt") throw err;
      throw new CrifsError(err.code, err.message, {
        path,
        remedy: "no commit overlapped the read, so the damage is on disk: restore the file from a backup",
        cause: err,
      });
    }
    if (r !== "changed") return r.value;
  }
  throw new CrifsError(
    "busy",
    `cannot read a consistent view: the file changed during all ${attempts} reads`,
    {
      path,
      remedy: "the owner is committing all the time: retry, or stop it and run crifs again",
    },
  );
}
