// cli/render/table-chunks.ts — renderTable's text for a table too big to hold (doctor's findings on a bad
// image, links --shared: 10^5 rows), made in two passes over rows made twice: widths, then lines.
//
// Every row costs little because most cells are plain (printable ASCII without "\"): terminalSafe leaves such a
// cell as it is and it is as wide as it is long, which one loop over its code units tells; only a cell that is
// not plain goes through terminalSafe and string-width. A column's cells repeat from row to row (severity,
// check, remedy): the last cell of each column and what it gave are kept, and a row whose cell is that very
// string costs a comparison.

import { displayWidth } from "./format.js";
import { terminalSafe } from "./terminal-safe.js";

/** Whether `s` is printable ASCII without "\": terminalSafe leaves it as it is, one column a character. */
function isPlain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x5c) return false;
  }
  return true;
}

/** displayWidth(terminalSafe(cell)), without making the safe string when the cell is plain. */
export function safeWidth(cell: string): number {
  return isPlain(cell) ? cell.length : displayWidth(terminalSafe(cell));
}

/** One column's last raw cell and its safe text and width (a cell repeated from the row before is not looked at
 * again). */
class Column {
  raw: string | undefined = undefined;
  safe = "";
  width = 0;

  set(raw: string): void {
    if (raw === this.raw) return;
    this.raw = raw;
    if (isPlain(raw)) {
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
 * renderTable's very text, in chunks of `chunkLines` lines. `rows` is called twice, to measure the columns and
 * then to lay them out, and must give the same rows both times; no row is kept in between.
 */
export function* renderTableChunks(
  head: readonly string[],
  rows: () => Iterable<readonly string[]>,
  chunkLines = 1000,
): Generator<string> {
  const last = head.length - 1;
  const columns = head.map(() => new Column());
  const title = head.map((h) => h.toUpperCase());
  const widths = title.map((t, i) => (i === last ? 0 : safeWidth(t)));
  const line = (r: readonly string[]): string => {
    let out = "";
    for (let i = 0; i < last; i++) {
      const c = columns[i] as Column;
      c.set(r[i] ?? "");
      const pad = (widths[i] as number) - c.width;
      out += pad > 0 ? `${c.safe}${blanks(pad)}   ` : `${c.safe}   `;
    }
    const c = columns[last] as Column;
    c.set(r[last] ?? "");
    out += c.safe;
    // as renderTable: trailing blanks trimmed (a line ending in a printable character has none)
    const end = out.charCodeAt(out.length - 1);
    return end > 0x20 && end < 0x7f ? out : out.trimEnd();
  };
  for (const r of rows())
    for (let i = 0; i < last; i++) {
      const c = columns[i] as Column;
      c.set(r[i] ?? "");
      if (c.width > (widths[i] as number)) widths[i] = c.width;
    }
  let chunk = `${line(title)}\n`;
  let n = 1;
  for (const r of rows()) {
    chunk += `${line(r)}\n`;
    if (++n >= chunkLines) {
      yield chunk;
      chunk = "";
      n = 0;
    }
  }
  if (chunk !== "") yield chunk;
}
