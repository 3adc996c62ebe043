// logs/cri-log.ts — the two container log line formats, decoded line by line into the lines the container
// wrote. Pure: text in, lines out.
//
//   CRI (containerd's CRI plugin, CRI-O; kubelet reads it):
//     <RFC3339Nano time> <stdout|stderr> <tag> <text>
//     2026-11-22T07:59:16.709562496Z stdout P aaaa…(16384 bytes)     P: a piece; the line goes on
//     2026-11-22T07:59:16.709642826Z stdout F aaaa…(the rest)         F: the last piece of the line
//   The runtime splits lines longer than max_container_log_line_size into P pieces ending with an F piece;
//   each stream is split on its own, so the pieces of one stream's line may enclose the other stream's lines.
//   The nanoseconds drop trailing zeros, so the timestamp's width varies.
//
//   Docker json-file: {"log":"text\n","stream":"stdout","time":"2026-…Z"} per line; a line longer than
//   16 KiB is split into entries whose "log" has no trailing newline, the last one ends with "\n".
//
// A line that does not decode is skipped and counted (a torn write, a foreign line), never fatal.

export type LogStream = "stdout" | "stderr";

/** One line the container wrote, without its newline. */
export interface LogLine {
  /** The time of its first piece, as the runtime wrote it. */
  readonly time: string;
  readonly stream: LogStream;
  readonly text: string;
  /** false when the file ended inside the line (its last piece was never written). */
  readonly isComplete: boolean;
}

export interface CriLogEntry {
  readonly time: string;
  readonly stream: LogStream;
  /** The piece does not end the line (tag P). */
  readonly isPartial: boolean;
  readonly text: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Decodes one CRI log line (without its newline), or null when it is not one. */
export function parseCriLogLine(line: string): CriLogEntry | null {
  const a = line.indexOf(" ");
  const b = a < 0 ? -1 : line.indexOf(" ", a + 1);
  if (a < 0 || b < 0) return null;
  const time = line.slice(0, a);
  const stream = line.slice(a + 1, b);
  if (!RFC3339.test(time) || (stream !== "stdout" && stream !== "stderr")) return null;
  const c = line.indexOf(" ", b + 1);
  // the tag may be the last field when the text is empty and the writer dropped the space
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  // tags are ':'-separated; the first says partial (P) or full (F)
  const first = tag.split(":")[0];
  if (first !== "P" && first !== "F") return null;
  return { time, stream, isPartial: first === "P", text: c < 0 ? "" : line.slice(c + 1) };
}

/** Decodes one docker json-file line, or null when it is not one. `text` keeps its newline, if any. */
export function parseDockerLogLine(line: string): { time: string; stream: LogStream; text: string } | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.log !== "string") return null;
  const stream = o.stream === "stderr" ? "stderr" : "stdout";
  return { time: typeof o.time === "string" ? o.time : "", stream, text: o.log };
}

export type LogFormat = "cri" | "docker-json";

/**
 * Turns log file lines into the container's lines, joining pieces per stream. Feed it every line of every
 * file in order (`push`), then `end()` for a line the file ended inside.
 */
export class LogDecoder {
  /** Lines skipped because they did not decode. */
  malformed = 0;
  readonly #format: LogFormat;
  readonly #open = new Map<LogStream, { time: string; pieces: string[] }>();

  constructor(format: LogFormat) {
    this.#format = format;
  }

  /** One line of a log file, without its newline; returns the lines it completes (0 or 1). */
  push(raw: string): LogLine[] {
    if (raw === "") return [];
    if (this.#format === "cri") {
      const e = parseCriLogLine(raw);
      if (e === null) {
        this.malformed++;
        return [];
      }
      return this.#piece(e.time, e.stream, e.text, !e.isPartial);
    }
    const d = parseDockerLogLine(raw);
    if (d === null) {
      this.malformed++;
      return [];
    }
    const ends = d.text.endsWith("\n");
    return this.#piece(d.time, d.stream, ends ? d.text.slice(0, -1) : d.text, ends);
  }

  #piece(time: string, stream: LogStream, text: string, ends: boolean): LogLine[] {
    const open = this.#open.get(stream);
    if (!ends) {
      if (open === undefined) this.#open.set(stream, { time, pieces: [text] });
      else open.pieces.push(text);
      return [];
    }
    if (open === undefined) return [{ time, stream, text, isComplete: true }];
    this.#open.delete(stream);
    return [{ time: open.time, stream, text: open.pieces.join("") + text, isComplete: true }];
  }

  /** Lines the input ended inside (pieces without their last one), oldest first. */
  end(): LogLine[] {
    const out = [...this.#open.entries()]
      .map(([stream, o]) => ({ time: o.time, stream, text: o.pieces.join(""), isComplete: false }))
      .sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0));
    this.#open.clear();
    return out;
  }

  /** Whether a line is waiting for its last piece. */
  get hasOpenLine(): boolean {
    return this.#open.size > 0;
  }
}
