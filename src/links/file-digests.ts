// links/file-digests.ts — what duplicate finding reads of a file, for many files at once, in worker threads
// (file-digest-worker.ts) or in this thread for a handful:
//
//   "whole"   a file of at most wholeLimit bytes, read in one pread: its content key (fs/file-hash.ts
//             contentKey, computed over the bytes read) — final, no second read
//   "edges"   a bigger file's first and last edgeBytes: a cheap key that tells most same-sized files apart
//             (what jdupes and rmlint call the partial hash); equal edges say nothing about the middle
//   "content" contentKey itself: a read of the file's runs of data (holes are not read)
//
// Paths travel as bytes (fs/name-codec.ts encodeName) in one SharedArrayBuffer and the 32-byte keys come back
// in another, so a million jobs cost no per-file message or object; a file that cannot be read posts its
// errno code. Workers take batches from a shared counter, so one huge file does not hold up the rest.

import { createHash, hash } from "node:crypto";
import { closeSync, constants, openSync, readSync } from "node:fs";
import { contentKey, contentKeyOrError, type DigestResult } from "../fs/file-hash.js";
import { decodeName, encodeName } from "../fs/name-codec.js";
import { runWorkers } from "../fs/worker-pool.js";

export type KeyMode = "whole" | "edges" | "content";
const modeCodes: Record<KeyMode, number> = { whole: 0, edges: 1, content: 2 };

/** Files up to this size are read whole in one pread ("whole"): as cheap as reading their edges. */
export const wholeLimit = 128 * 1024;
/** Bytes read at each end of a bigger file for its "edges" key. */
export const edgeBytes = 8 * 1024;
/** Bytes of one key. */
export const keyBytes = 32;

/** The jobs of one keys() call, in shared memory: what a worker reads. */
export interface DigestWorkerData {
  /** Every path's bytes, back to back. */
  readonly paths: SharedArrayBuffer;
  /** Uint32Array[n + 1]: path i is prefixes[prefixOf[i]] then paths[offsets[i], offsets[i + 1]). */
  readonly offsets: SharedArrayBuffer;
  /** The paths' first parts (layer dirs: a few, each 80 bytes or so, that a million paths would repeat). */
  readonly prefixes: readonly Uint8Array[];
  /** Uint32Array[n]. */
  readonly prefixOf: SharedArrayBuffer;
  /** Uint8Array[n]: modeCodes. */
  readonly modes: SharedArrayBuffer;
  /** Float64Array[n]: each file's size when it was listed. */
  readonly sizes: SharedArrayBuffer;
  /** Uint8Array[n × keyBytes]: the keys, written by the workers. */
  readonly keys: SharedArrayBuffer;
  /** Int32Array[1]: the next batch start to take. */
  readonly next: SharedArrayBuffer;
  readonly batch: number;
}

export type DigestWorkerMessage =
  | { readonly kind: "error"; readonly index: number; readonly code: string }
  | { readonly kind: "done" };

const workerUrl = new URL("./file-digest-worker.js", import.meta.url);

const chunk = 64 * 1024;
const zeros = Buffer.alloc(chunk);
/**
 * Where a key's input is put together, so that most keys are one sha256 call over one buffer: 8 bytes of
 * chunk offset, up to wholeLimit + 1 bytes read, 8 bytes of size (no hash object, BigInt or Buffer per file).
 */
let buffer: Buffer | undefined;
const dataAt = 8;

function isZero(piece: Buffer): boolean {
  return piece.equals(piece.length === chunk ? zeros : zeros.subarray(0, piece.length));
}

/** Writes n as u64 LE at `at` (n < 2^53). */
function writeU64(buf: Buffer, n: number, at: number): void {
  buf.writeUInt32LE(n % 0x1_0000_0000, at);
  buf.writeUInt32LE(Math.floor(n / 0x1_0000_0000), at + 4);
}

/** Reads up to want bytes at `at` into buf at `into` (short only at the end of the file). */
function fill(fd: number, buf: Buffer, into: number, want: number, at: number): number {
  let got = 0;
  while (got < want) {
    const r = readSync(fd, buf, into + got, want - got, at + got);
    if (r === 0) break;
    got += r;
  }
  return got;
}

/**
 * contentKey of a file listed with at most wholeLimit bytes, from one read of one byte more than it was
 * listed with (a short read of a regular file is its end: no fstat): sha256 over each 64 KiB chunk that is
 * not all zero (its offset as u64 LE, then its bytes), then the size as u64 LE — fs/file-hash.ts's
 * definition, which the unit test holds this to. A file of one chunk (most) is one sha256 call over the
 * buffer as read. A file that grew since it was listed goes to contentKey.
 */
function wholeKey(path: Buffer, listed: number, out: Uint8Array, at: number): void {
  keyOfFile(path, out, at, (fd, buf) => {
    const n = readSync(fd, buf, dataAt, Math.min(listed, wholeLimit) + 1, 0);
    if (n > listed || n > wholeLimit) return Buffer.from(contentKey(decodeName(path)), "hex");
    if (n <= chunk) {
      const data = buf.subarray(dataAt, dataAt + n);
      if (n > 0 && !isZero(data)) {
        writeU64(buf, 0, 0); // the chunk's offset
        writeU64(buf, n, dataAt + n);
        return hash("sha256", buf.subarray(0, dataAt + n + 8), "buffer");
      }
      writeU64(buf, n, 0); // no data chunk: the size alone
      return hash("sha256", buf.subarray(0, 8), "buffer");
    }
    const h = createHash("sha256");
    const head = Buffer.alloc(8);
    for (let o = 0; o < n; o += chunk) {
      const piece = buf.subarray(dataAt + o, dataAt + Math.min(n, o + chunk));
      if (isZero(piece)) continue;
      writeU64(head, o, 0);
      h.update(head);
      h.update(piece);
    }
    writeU64(head, n, 0);
    h.update(head);
    return h.digest();
  });
}

/**
 * sha256 of the first and the last edgeBytes (a hole reads as zeros, without a disk read) and the size the
 * file was listed with: a filter only (the content key that follows has the size fstat gives). One sha256
 * call over [first][last][size] as they lie in the buffer.
 */
function edgesKey(path: Buffer, size: number, out: Uint8Array, at: number): void {
  keyOfFile(path, out, at, (fd, buf) => {
    const head = fill(fd, buf, 0, Math.min(edgeBytes, size), 0);
    const tail = Math.max(0, size - edgeBytes);
    const end = head + fill(fd, buf, head, size - tail, tail);
    writeU64(buf, size, end);
    return hash("sha256", buf.subarray(0, end + 8), "buffer");
  });
}

/** Opens path (never through a symlink), lets key read it with the shared buffer, closes it, and stores the
 * 32-byte digest key returns at out[at]. */
function keyOfFile(
  path: Buffer,
  out: Uint8Array,
  at: number,
  key: (fd: number, buf: Buffer) => Buffer,
): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  let digest: Buffer;
  try {
    buffer ??= Buffer.allocUnsafe(dataAt + wholeLimit + 1 + 8);
    digest = key(fd, buffer);
  } finally {
    closeSync(fd);
  }
  out.set(digest, at);
}

/** Views on the last DigestWorkerData seen: made once per call, not once per job. */
let views:
  | {
      data: DigestWorkerData;
      offsets: Uint32Array;
      prefixOf: Uint32Array;
      modes: Uint8Array;
      sizes: Float64Array;
      keys: Uint8Array;
    }
  | undefined;

/** Where a job's path is put together (Node copies a Buffer path before the call returns). */
let pathBuffer = Buffer.alloc(4096);

/** Runs job i of `data` into its key slot; returns the errno code when the file cannot be read. */
export function runKeyJob(data: DigestWorkerData, i: number): string | null {
  if (views?.data !== data) {
    views = {
      data,
      offsets: new Uint32Array(data.offsets),
      prefixOf: new Uint32Array(data.prefixOf),
      modes: new Uint8Array(data.modes),
      sizes: new Float64Array(data.sizes),
      keys: new Uint8Array(data.keys),
    };
  }
  const { offsets, prefixOf, modes, sizes, keys: out } = views;
  const prefix = data.prefixes[prefixOf[i] as number] as Uint8Array;
  const start = offsets[i] as number;
  const end = offsets[i + 1] as number;
  if (pathBuffer.length < prefix.length + end - start)
    pathBuffer = Buffer.alloc(2 * (prefix.length + end - start));
  pathBuffer.set(prefix, 0);
  pathBuffer.set(new Uint8Array(data.paths, start, end - start), prefix.length);
  const path = pathBuffer.subarray(0, prefix.length + end - start);
  const mode = modes[i];
  try {
    if (mode === modeCodes.whole) wholeKey(path, sizes[i] as number, out, i * keyBytes);
    else if (mode === modeCodes.edges) edgesKey(path, sizes[i] as number, out, i * keyBytes);
    else out.set(Buffer.from(contentKey(decodeName(path)), "hex"), i * keyBytes);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? "EIO";
  }
}

/** The keys of fileKeys(): key i is keys[i × keyBytes, (i + 1) × keyBytes), unless errors has i. */
export interface FileKeys {
  readonly keys: Uint8Array;
  /** Job index → errno code of a file that could not be read. */
  readonly errors: Map<number, string>;
}

/**
 * What fileKeys reads: job i is the file whose path is prefixes[prefixOf(i)] followed by the bytes
 * writePath(i) gives, in mode(i).
 */
export interface KeyJobs {
  readonly length: number;
  readonly prefixes: readonly Uint8Array[];
  prefixOf(i: number): number;
  /** Length of the rest of job i's path in bytes. */
  pathLength(i: number): number;
  /** Copies the rest of job i's path into shared memory (no object per path). */
  writePath(i: number, into: Uint8Array, at: number): void;
  mode(i: number): KeyMode;
  /** The size the file was listed with. */
  size(i: number): number;
}

/**
 * A worker's young generation: its jobs make a few small objects each (file data lands in reused Buffers,
 * outside the V8 heap), and Node's default (tens of MB per worker, its pages kept once touched) showed in
 * links --shared's peak RSS (issue 15: ~16 MB with two workers on 10^6 files).
 */
const workerLimits = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 16 };

/**
 * The keys of `jobs` (modes: see the header), read by `threads` workers taking batches from a shared
 * counter; fewer than `inlineBelow` jobs (default 64) or one thread: in this thread. Cost: per job one open
 * and the reads its mode says.
 */
export async function fileKeys(
  jobs: KeyJobs,
  options: { threads: number; inlineBelow?: number },
): Promise<FileKeys> {
  const n = jobs.length;
  const offsets = new Uint32Array(new SharedArrayBuffer(4 * (n + 1)));
  for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i] as number) + jobs.pathLength(i);
  const pathBytes = new Uint8Array(new SharedArrayBuffer(Math.max(1, offsets[n] as number)));
  const modeBytes = new Uint8Array(new SharedArrayBuffer(Math.max(1, n)));
  const sizes = new Float64Array(new SharedArrayBuffer(Math.max(8, 8 * n)));
  const prefixOf = new Uint32Array(new SharedArrayBuffer(Math.max(4, 4 * n)));
  for (let i = 0; i < n; i++) {
    jobs.writePath(i, pathBytes, offsets[i] as number);
    prefixOf[i] = jobs.prefixOf(i);
    modeBytes[i] = modeCodes[jobs.mode(i)];
    sizes[i] = jobs.size(i);
  }
  const batch = 64;
  const data: DigestWorkerData = {
    paths: pathBytes.buffer as SharedArrayBuffer,
    offsets: offsets.buffer as SharedArrayBuffer,
    prefixes: jobs.prefixes,
    prefixOf: prefixOf.buffer as SharedArrayBuffer,
    modes: modeBytes.buffer as SharedArrayBuffer,
    sizes: sizes.buffer as SharedArrayBuffer,
    keys: new SharedArrayBuffer(Math.max(1, n * keyBytes)),
    next: new SharedArrayBuffer(4),
    batch,
  };
  const errors = new Map<number, string>();
  if (n < (options.inlineBelow ?? 64) || options.threads <= 1) {
    for (let i = 0; i < n; i++) {
      const code = runKeyJob(data, i);
      if (code !== null) errors.set(i, code);
    }
  } else {
    const count = Math.min(options.threads, Math.ceil(n / batch));
    await runWorkers<DigestWorkerMessage>(
      workerUrl,
      data,
      count,
      (m) => {
        if (m.kind === "error") errors.set(m.index, m.code);
      },
      workerLimits,
    );
  }
  return { keys: new Uint8Array(data.keys, 0, n * keyBytes), errors };
}

/**
 * Content keys of `paths` (same order). Cost: a full read of every file's runs of data. fileKeys with every
 * mode "content", as digests or errno codes.
 */
export async function contentKeys(
  paths: readonly string[],
  options: { threads: number; inlineBelow?: number },
): Promise<DigestResult[]> {
  if (paths.length < (options.inlineBelow ?? 64) || options.threads <= 1) return paths.map(contentKeyOrError);
  const bytes = paths.map(encodeName);
  const r = await fileKeys(
    {
      length: paths.length,
      prefixes: [new Uint8Array(0)],
      prefixOf: () => 0,
      pathLength: (i) => (bytes[i] as Buffer).length,
      writePath: (i, into, at) => into.set(bytes[i] as Buffer, at),
      mode: () => "content",
      size: () => 0,
    },
    options,
  );
  return paths.map((_, i): DigestResult => {
    const code = r.errors.get(i);
    if (code !== undefined) return { error: code };
    return { digest: Buffer.from(r.keys.subarray(i * keyBytes, (i + 1) * keyBytes)).toString("hex") };
  });
}
