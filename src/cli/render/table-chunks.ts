// cli/render/table-chunks.ts — renderTable's text for a table too big to hold (doctor's findings on a bad
// image, links --shared: 10^5 rows), made in two passes over rows made twice: widths, then lines.
//
// Every row costs little because most cells are plain (printable ASCII without "\"): terminalSafe leaves such a
// cell as it is and it is as wide as it is long, which one loop over its code units tells; only a cell that is
// not plain goes through terminalSafe and string-width. A column's cells repeat from row to row (severity,
// check, remedy): the last cell of each column and what it gave are kept, and a row whose cell is that very
// string costs a comparison. The lines are laid out as bytes (ByteChunks: no string a line, and a plain cell is
// one copy).

import { isPlainText } from "../../model/text.js";
import { ByteChunks } from "./byte-chunks.js";
import { displayWidth } from "./format.js";
import { terminalSafe } from "./terminal-safe.js";

/** displayWidth(terminalSafe(cell)), without making the safe string when the cell is plain. */
export function safeWidth(cell: string): number {
  return isPlainText(cell) ? cell.length : displayWidth(terminalSafe(cell));
}

/** One column's last raw cell and its safe text and width (a cell repeated from the row before is not looked at
 * again). */
class Column {
  raw: string | undefined = undefined;
  safe = "";
  width = 0;
  /** safe is printable ASCII (one byte a character). */
  plain = true;

  set(raw: string): void {
    if (raw === this.raw) return;
    this.raw = raw;
    this.plain = isPlainText(raw);
    if (this.plain) {
      this.safe = raw;
      this.width = raw.length;
    } else {
      this.safe = terminalSafe(raw);
      this.width = displayWidth(this.safe);
    }
  }
}

const spaces: string[] = [];

/** `n` blanks, one string per n (made once). */
export function blanks(n: number): string {
  let s = spaces[n];
  if (s === undefined) {
    s = " ".repeat(n);
    spaces[n] = s;
  }
  return s;
}

/**
 * renderTable's very text as UTF-8, in Buffers of `chunkLines` lines. `rows` is called twice, to measure the
 * columns and then to lay them out, and must give the same rows both times; no row is kept in between.
 */
export function* renderTableChunks(
  head: readonly string[],
  rows: () => Iterable<readonly string[]>,
  chunkLines = 1000,
): Generator<Buffer> {
  const last = head.length - 1;
  const columns = head.map(() => new Column());
  const title = head.map((h) => h.toUpperCase());
  const widths = title.map((t, i) => (i === last ? 0 : safeWidth(t)));
  const out = new ByteChunks();
  // as renderTable: each cell padded to its column, three blanks apart, trailing blanks trimmed
  const line = (r: readonly string[]): void => {
    for (let i = 0; i < last; i++) {
      const c = columns[i] as Column;
      c.set(r[i] ?? "");
      out.text(c.safe, c.plain);
      out.blanks(Math.max(0, (widths[i] as number) - c.width) + 3);
    }
    const c = columns[last] as Column;
    c.set(r[last] ?? "");
    out.text(c.safe, c.plain);
    out.endLine();
  };
  for (const r of rows())
    for (let i = 0; i < last; i++) {
      const c = columns[i] as Column;
      c.set(r[i] ?? "");
      if (c.width > (widths[i] as number)) widths[i] = c.width;
    }
  line(title);
  let n = 1;
  for (const r of rows()) {
    line(r);
    if (++n >= chunkLines) {
      yield out.take();
      n = 0;
    }
  }
  if (out.length > 0) yield out.take();
}
