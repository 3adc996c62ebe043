// fs/file-hash.ts — the one place crifs hashes a file's bytes, and where those bytes are:
//   dataExtents  its runs of data with the holes left out, found by lseek(SEEK_DATA) and lseek(SEEK_HOLE) in
//                the native addon (native/scan.c dataExtent; Node's fs has no SEEK_DATA). A 16 TiB sparse
//                file that holds 4 KiB is one run of 4 KiB, so reading it by its runs costs what it holds.
//                Without the addon (or where the kernel refuses) the whole file is one run.
//   sha256File   what `sha256sum` prints (blob digests, layer contents against their tar); holes hashed as
//                zeros without being read.
//   contentKey   what duplicate finding compares (src/links): sha256 over each of the file's 64 KiB chunks
//                (offset, bytes) that is not all zero, then its size. A hole and a run of zeros read the
//                same, so a sparse copy and a full copy of one file get one key, and only the non-zero bytes
//                are hashed (the benchmark's layers are 10 GiB on disk but 40 GB apparent). Not what
//                `sha256sum` prints.
// Files are opened with O_NOFOLLOW (a layer's symlink is never followed onto the host). Only a file's runs of
// data are read: a 16 TiB sparse file that holds a few blocks costs a few reads (issue 13, item 8).

import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { fsPath } from "./name-codec.js";
import { loadNativeScanner } from "./walk-native.js";

/** A digest (hex) or why the file could not be read (an errno code such as "EACCES"). */
export type DigestResult = { readonly digest: string } | { readonly error: string };

/** [start, end): a run of bytes the file holds (a hole reads as zeros and is not in any run). */
export type Extent = readonly [start: number, end: number];

/**
 * The runs of data of the open file `fd` whose size is `size`, in order, clipped to `size`. `seek: false`
 * (tests), CRIFS_ENGINE=js or no addon: one run [0, size). Cost: two lseeks per run. Moves fd's file position: read with
 * explicit positions.
 */
export function* dataExtents(fd: number, size: number, options: { seek?: boolean } = {}): Generator<Extent> {
  // CRIFS_ENGINE=js: the JS paths only, as for the scanner (fs/walk.ts selectScanEngine)
  const isJs = options.seek === false || process.env.CRIFS_ENGINE === "js";
  const seek = isJs ? undefined : loadNativeScanner().scanner?.dataExtent;
  if (seek === undefined) {
    if (size > 0) yield [0, size];
    return;
  }
  let at = 0;
  while (at < size) {
    const r = seek(fd, at);
    if (r === null) return; // only a hole follows
    if (typeof r === "number") {
      yield [at, size]; // the kernel would not say (-errno): the rest is read whole
      return;
    }
    const start = r[0];
    const end = Math.min(r[1], size);
    if (start >= size || end <= start) return;
    yield [start, end];
    at = end;
  }
}

/** The read buffer of sha256File, allocated once: hashing a layer reads hundreds of thousands of files. */
let readBuffer: Buffer | undefined;
let zeroBuffer: Buffer | undefined;

/**
 * Reads a file to its sha256 (what sha256sum prints), opening it with O_NOFOLLOW. Cost: a read of its runs
 * of data (dataExtents); its holes are hashed as zeros without being read, so the hashing still
 * costs the apparent size: callers hash only files whose size they must compare (formats/tar's layer comparison).
 * `seek: false` reads the whole file (the JS fallback; the digest is the same).
 */
export function sha256File(hostPath: string, options: { seek?: boolean } = {}): string {
  const hash = createHash("sha256");
  const fd = openSync(fsPath(hostPath), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    readBuffer ??= Buffer.allocUnsafe(1 << 20);
    const buf = readBuffer;
    const size = fstatSync(fd).size;
    const zerosUpTo = (from: number, to: number) => {
      zeroBuffer ??= Buffer.alloc(1 << 20);
      for (let at = from; at < to; at += zeroBuffer.length)
        hash.update(zeroBuffer.subarray(0, Math.min(zeroBuffer.length, to - at)));
    };
    let at = 0;
    for (const [start, end] of dataExtents(fd, size, options)) {
      zerosUpTo(at, start);
      at = start;
      while (at < end) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, end - at), at);
        if (n === 0) break; // the file shrank while being read
        hash.update(buf.subarray(0, n));
        at += n;
      }
    }
    zerosUpTo(at, size);
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

const chunk = 64 * 1024;
const zeros = Buffer.alloc(chunk);
let buffer: Buffer | undefined;

/**
 * Reads `hostPath` and returns its content key. Cost: a read of its runs of data (dataExtents: a
 * sparse file's holes are not read, and zero chunks are not hashed), each rounded out to the 64 KiB grid.
 * `seek: false` reads the whole file (the JS fallback; the key is the same).
 */
export function contentKey(hostPath: string, options: { seek?: boolean } = {}): string {
  const hash = createHash("sha256");
  const fd = openSync(fsPath(hostPath), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    // 16 chunks per read; reads of a regular file return whole chunks until the last one
    buffer ??= Buffer.allocUnsafe(16 * chunk);
    const buf = buffer;
    const head = Buffer.alloc(8);
    const size = fstatSync(fd).size;
    // fill the buffer before looking at it: chunks stay on the file's 64 KiB grid even after a short read
    const fill = (at: number, want: number): number => {
      let got = 0;
      for (let r = readSync(fd, buf, 0, want, at); r > 0; ) {
        got += r;
        if (got === want) break;
        r = readSync(fd, buf, got, want - got, at + got);
      }
      return got;
    };
    let done = 0; // the grid offset up to which chunks were looked at (runs can share a chunk)
    for (const [start, end] of dataExtents(fd, size, options)) {
      let offset = Math.max(done, Math.floor(start / chunk) * chunk);
      const stop = Math.min(size, Math.ceil(end / chunk) * chunk);
      while (offset < stop) {
        const n = fill(offset, Math.min(buf.length, stop - offset));
        if (n === 0) break; // the file shrank while being read
        for (let at = 0; at < n; at += chunk) {
          const piece = buf.subarray(at, Math.min(n, at + chunk));
          if (piece.equals(piece.length === chunk ? zeros : zeros.subarray(0, piece.length))) continue;
          head.writeBigUInt64LE(BigInt(offset + at));
          hash.update(head);
          hash.update(piece);
        }
        offset += n;
      }
      done = Math.max(done, offset);
    }
    head.writeBigUInt64LE(BigInt(size));
    hash.update(head); // the size last: files that differ only in trailing zeros differ here
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** contentKey, with an unreadable file as its errno code. */
export function contentKeyOrError(hostPath: string): DigestResult {
  try {
    return { digest: contentKey(hostPath) };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? "EIO" };
  }
}
