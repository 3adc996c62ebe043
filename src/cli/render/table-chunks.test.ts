import assert from "node:assert/strict";
import { test } from "node:test";
import { displayWidth, renderTable } from "./format.js";
import { renderTableChunks, safeWidth } from "./table-chunks.js";
import { terminalSafe } from "./terminal-safe.js";

/** Cells of every kind the fast paths must tell apart: plain, a backslash, control bytes, escaped name bytes,
 * bidi controls, wide characters, combining marks, emoji, trailing and leading blanks, empty. */
const cells = [
  "plain",
  "/usr/lib/node_modules/pkg/index.js",
  "back\\slash",
  "new\nline",
  "tab\there",
  "esc\u001b[31mred",
  "del\u007f",
  "c1\u0085",
  "bad byte \udc80\udcff",
  "bidi \u202eevil\u202c",
  "wide 日本語",
  "combining e\u0301",
  "emoji 🐳",
  "trailing   ",
  "  leading",
  "nbsp\u00a0",
  "",
  "~",
  " ",
];

function rowsOf(seed: number, n: number, columns: number): string[][] {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x;
  };
  return Array.from({ length: n }, () =>
    Array.from({ length: columns }, () => {
      const c = cells[next() % cells.length] as string;
      // a run of one cell repeated (the chunked renderer keeps each column's last cell) and new ones
      return next() % 3 === 0 ? c : `${c}${next() % 50}`;
    }),
  );
}

test("renderTableChunks gives renderTable's very text, whatever the cells hold and however it is chunked", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const columns = 1 + (seed % 5);
    const head = ["severity", "check", "subject", "path", "remedy"].slice(0, columns);
    const rows = rowsOf(seed, seed * 7, columns);
    const expected = renderTable(head, rows);
    for (const chunkLines of [1, 3, 1000]) {
      let calls = 0;
      const chunks = [
        ...renderTableChunks(
          head,
          () => {
            calls++;
            return rows;
          },
          chunkLines,
        ),
      ];
      // the very bytes the text gives as UTF-8, and each chunk whole lines
      assert.deepEqual(Buffer.concat(chunks), Buffer.from(expected), `seed ${seed}, chunks of ${chunkLines}`);
      for (const c of chunks) assert.equal(c.at(-1), 0x0a, "a chunk ends with its last line");
      assert.equal(calls, 2, "the rows are made twice: widths, then lines");
    }
  }
  assert.equal(
    Buffer.concat([...renderTableChunks(["a", "b"], () => [])]).toString(),
    renderTable(["a", "b"], []),
  );
});

test("safeWidth is the display width of the cell as printed (its fast path for plain cells agrees)", () => {
  for (const c of cells) assert.equal(safeWidth(c), displayWidth(terminalSafe(c)), JSON.stringify(c));
  assert.equal(safeWidth("wide 日本語"), 11);
  assert.equal(safeWidth("a\\b"), 4);
});
