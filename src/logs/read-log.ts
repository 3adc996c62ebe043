// logs/read-log.ts — a container's log on disk: the current file and its rotated copies, read in the order
// they were written, decoded into the container's lines (cri-log.ts); `--tail` and `--follow`.
//
//   kubelet (CRI):  <dir>/<restart>.log                       the file the runtime writes
//                   <dir>/<restart>.log.<YYYYMMDD-HHMMSS>     rotated copies (kubelet's container log manager),
//                   <dir>/<restart>.log.<YYYYMMDD-HHMMSS>.gz  older ones gzipped; the timestamp orders them
//                   <dir>/<restart>.log.<…>.tmp               a copy being compressed: skipped
//   docker:         <id>-json.log, <id>-json.log.1 (newest rotated) … <id>-json.log.N (oldest), maybe .gz
//
// --follow polls the current file (no inotify: the log dir may be on any file system) and follows a rotation:
// when the path names a new inode, the rest of the old file is read and then the new one from its start;
// when the file shrank in place (copytruncate), reading starts again from 0.

import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CrifsError, fromFsError } from "../errors.js";
import { LogDecoder, type LogFormat, type LogLine } from "./cri-log.js";

/** Largest log file read whole (kubelet rotates at 10 MiB by default; docker's json-file has no default). */
export const MAX_LOG_FILE_BYTES = 1024 * 1024 * 1024;

const CRI_ROTATED = /^\.(\d{8}-\d{6})(\.gz)?$/;
const DOCKER_ROTATED = /^\.(\d+)(\.gz)?$/;

/**
 * The files of one container log, oldest first, the current file last (also when it does not exist yet).
 * Cost: one readdir.
 */
export function listLogFiles(current: string, format: LogFormat): string[] {
  const dir = dirname(current);
  const base = basename(current);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch (err) {
    // the pod's log dir is gone: there is only the (missing) current file
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [current];
    throw fromFsError(err, dir, "list");
  }
  const rotated: { name: string; order: string | number }[] = [];
  for (const n of names) {
    if (!n.startsWith(`${base}.`)) continue;
    const m = (format === "cri" ? CRI_ROTATED : DOCKER_ROTATED).exec(n.slice(base.length));
    if (m === null) continue;
    rotated.push({ name: n, order: format === "cri" ? (m[1] as string) : -Number(m[1]) });
  }
  rotated.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : a.name < b.name ? -1 : 1));
  return [...rotated.map((r) => join(dir, r.name)), current];
}

/** The text of one log file (gunzipped when it ends in .gz); "" when it does not exist. */
export function readLogText(path: string): string {
  let buf: Buffer;
  try {
    if (statSync(path).size > MAX_LOG_FILE_BYTES)
      throw new CrifsError("unsupported", `cannot read log file: larger than ${MAX_LOG_FILE_BYTES} bytes`, {
        path,
        remedy: "read it with tail or less",
      });
    buf = readFileSync(path);
  } catch (err) {
    if (err instanceof CrifsError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw fromFsError(err, path);
  }
  if (!path.endsWith(".gz")) return buf.toString("utf8");
  try {
    return gunzipSync(buf, { maxOutputLength: MAX_LOG_FILE_BYTES }).toString("utf8");
  } catch (err) {
    throw new CrifsError("corrupt", `cannot decompress log file: ${(err as Error).message}`, {
      path,
      remedy: "the rotated copy is damaged; the other files can still be read one by one",
      cause: err,
    });
  }
}

export interface LogRead {
  readonly lines: LogLine[];
  /** Bytes of the current file up to its last newline: where following it goes on (`completeOnly`). */
  readonly currentOffset: number;
  /** The decoder, holding the pieces of a line not yet ended (`completeOnly`): following goes on with it. */
  readonly decoder: LogDecoder;
  /** Lines of the files that did not decode (skipped). */
  readonly malformed: number;
  readonly files: readonly string[];
}

/**
 * Every line of a container log, rotated files first, in order; with `tail`, only the last `tail` lines.
 * Cost: reads every file whole.
 */
export function readContainerLog(
  current: string,
  format: LogFormat,
  options: { tail?: number; completeOnly?: boolean } = {},
): LogRead {
  const files = listLogFiles(current, format);
  const d = new LogDecoder(format);
  let lines: LogLine[] = [];
  let currentOffset = 0;
  for (const f of files) {
    let text = readLogText(f);
    if (f === current && options.completeOnly === true) {
      // the text after the last newline is still being written: following reads it
      text = text.slice(0, text.lastIndexOf("\n") + 1);
      currentOffset = Buffer.byteLength(text);
    }
    for (const raw of text.split("\n")) {
      lines.push(...d.push(raw));
      // bound the memory of a tail over big files: keep at most twice what is asked
      if (options.tail !== undefined && lines.length > 2 * options.tail + 1024)
        lines = lines.slice(-options.tail);
    }
  }
  if (options.completeOnly !== true) lines.push(...d.end());
  if (options.tail !== undefined) lines = options.tail === 0 ? [] : lines.slice(-options.tail);
  return { lines, malformed: d.malformed, files, currentOffset, decoder: d };
}

/** A line as `crifs logs` prints it: the text and, unless the log ended inside it, a newline. */
export function formatLogLine(l: LogLine): string {
  return l.isComplete ? `${l.text}\n` : l.text;
}

export interface FollowOptions {
  /** Milliseconds between polls. Default 250. */
  readonly intervalMs?: number;
  /** Stops following when aborted. */
  readonly signal?: AbortSignal;
  /** Where to start in the current file (bytes); default its end at the time of the call. */
  readonly fromOffset?: number;
  /** The decoder of the read before (its open pieces); default a new one. */
  readonly decoder?: LogDecoder;
}

/**
 * Follows the current log file from `fromOffset`, calling `emit` with each complete line, until `signal`
 * aborts. Follows rotation (a new inode at the path) and truncation. Lines split across reads wait for their
 * newline. Returns how many lines did not decode.
 */
export async function followContainerLog(
  current: string,
  format: LogFormat,
  emit: (line: LogLine) => void,
  options: FollowOptions = {},
): Promise<number> {
  const interval = options.intervalMs ?? 250;
  const d = options.decoder ?? new LogDecoder(format);
  let fd: number | null = null;
  let ino = -1;
  let offset = 0;
  let rest = "";
  const open = (from: number | undefined): void => {
    try {
      fd = openSync(current, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        fd = null;
        return;
      }
      throw fromFsError(err, current);
    }
    const st = fstatSync(fd);
    ino = st.ino;
    offset = from === undefined ? st.size : Math.min(from, st.size);
    rest = "";
  };
  const drain = (): void => {
    if (fd === null) return;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n <= 0) break;
      offset += n;
      const chunk = rest + buf.subarray(0, n).toString("utf8");
      const parts = chunk.split("\n");
      rest = parts.pop() ?? "";
      for (const p of parts) for (const l of d.push(p)) emit(l);
    }
  };
  const close = (): void => {
    if (fd !== null) closeSync(fd);
    fd = null;
  };
  open(options.fromOffset);
  try {
    while (options.signal?.aborted !== true) {
      drain();
      let st: { ino: number; size: number } | null = null;
      try {
        st = statSync(current);
      } catch {
        st = null; // rotated away and not yet recreated
      }
      if (fd === null) {
        if (st !== null) open(0);
      } else if (st !== null && st.ino !== ino) {
        drain(); // the rest of the rotated file first
        close();
        open(0);
      } else if (st !== null && st.size < offset) {
        offset = 0; // truncated in place
        rest = "";
      }
      if (fd !== null) drain();
      await new Promise<void>((done) => {
        const t = setTimeout(done, interval);
        options.signal?.addEventListener("abort", () => {
          clearTimeout(t);
          done();
        });
      });
    }
  } finally {
    close();
  }
  return d.malformed;
}
