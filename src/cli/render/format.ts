// cli/render/format.ts — data in, text out. One place decides how each output format looks:
//   json   the documented contract (docs/json.md), two-space indented
//   yaml   the same data as YAML
//   table  aligned columns without borders, like ctr and crictl
//   tree   indented parent/child lines (where a command has a tree)

import { createRequire } from "node:module";
import type * as yamlTypes from "yaml";
import { CrifsError } from "../../errors.js";
import { terminalSafe, terminalSafeDeep } from "./terminal-safe.js";

// the YAML writer and string-width load on first use: most runs print ASCII tables or JSON
const require = createRequire(import.meta.url);

export type OutputFormat = "table" | "json" | "yaml" | "tree";
export const outputFormats: readonly OutputFormat[] = ["table", "json", "yaml", "tree"];

export function parseFormat(v: string): OutputFormat {
  if ((outputFormats as readonly string[]).includes(v)) return v as OutputFormat;
  throw new CrifsError("usage", `unknown output format "${v}"`, {
    remedy: `use one of ${outputFormats.join(", ")}`,
  });
}

export function renderJson(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/** How crifs writes YAML. Lossless for any string (names are bytes: a name may hold newlines, control bytes,
 * escaped non-UTF-8 bytes): no folding, no block scalars, and double-quoted strings in JSON's escapes. The
 * yaml package's other styles lost text in 1 of ~2,000 random names (a space between two newlines came back
 * as a backslash, trailing spaces in a block scalar went); this set round-trips 400,000 of them. */
const YAML_OPTIONS = { lineWidth: 0, doubleQuotedAsJSON: true, blockQuote: false } as const;

export function renderYaml(data: unknown): string {
  return (require("yaml") as typeof yamlTypes).stringify(data, YAML_OPTIONS);
}

/** YAML for a terminal (the table view of commands that have no table): every string through terminalSafe. */
export function renderDisplayYaml(data: unknown): string {
  return renderYaml(terminalSafeDeep(data));
}

/**
 * Columns without borders, like ctr's: header in capitals, columns three spaces apart, each padded to its
 * widest cell's display width (string-width: a wide character takes two columns, a combining mark none), the
 * last column not padded, trailing blanks trimmed. Every cell goes through terminalSafe (control bytes, bytes
 * that are not UTF-8 and bidi controls shown as escapes), so a hostile name neither forges a row nor moves the
 * cursor. cli-table3 laid these out before, the same way, but it
 * measures and wraps every cell several times: a table with one non-ASCII name in it (every Debian image's
 * ca-certificates has some) took minutes at the 80,000 rows `links --shared` prints.
 */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [head.map((h) => h.toUpperCase()), ...rows.map((r) => r.map((c) => terminalSafe(c)))];
  const widths = columnWidths(head.length, all);
  return `${all.map((r) => tableLine(widths, r)).join("\n")}\n`;
}

/** Each column's widest cell (display width) in `rows`; the last column is not padded, so 0. */
function columnWidths(columns: number, rows: readonly (readonly string[])[]): number[] {
  const last = columns - 1;
  const widths = new Array<number>(columns).fill(0);
  for (const r of rows)
    for (let i = 0; i < last; i++) widths[i] = Math.max(widths[i] ?? 0, displayWidth(r[i] ?? ""));
  return widths;
}

/** One row, cells already terminal-safe, padded to `widths` (a wider cell pushes the rest of its row right). */
function tableLine(widths: readonly number[], r: readonly string[]): string {
  const last = widths.length - 1;
  let out = "";
  for (let i = 0; i < last; i++) {
    const cell = r[i] ?? "";
    out += `${cell}${" ".repeat(Math.max(0, (widths[i] ?? 0) - displayWidth(cell)))}   `;
  }
  return `${out}${r[last] ?? ""}`.trimEnd();
}

/**
 * renderTable for rows that come in batches, written as they come (bounded memory for a listing of millions):
 * the column widths are those of the header and the first batch, and stay; a wider cell later pushes the rest
 * of its row right instead of re-laying the table. One batch gives exactly renderTable's text.
 */
export function* renderTableStream(
  head: readonly string[],
  batches: Iterable<readonly (readonly string[])[]>,
): Generator<string> {
  let widths: number[] | null = null;
  for (const batch of batches) {
    const rows = batch.map((r) => r.map((c) => terminalSafe(c)));
    if (widths === null) {
      const title = head.map((h) => h.toUpperCase());
      widths = columnWidths(head.length, [title, ...rows]);
      rows.unshift(title);
    }
    if (rows.length > 0) yield `${rows.map((r) => tableLine(widths as number[], r)).join("\n")}\n`;
  }
  if (widths === null)
    yield `${tableLine(
      columnWidths(head.length, [head]),
      head.map((h) => h.toUpperCase()),
    )}\n`;
}

/**
 * renderJson of `data`, an object one of whose values is a long array (`key`), in pieces of `chunkItems`
 * elements: the same text, never all of it in one string.
 */
export function* renderJsonChunks(
  data: Readonly<Record<string, unknown>>,
  key: string,
  chunkItems = 500,
): Generator<string> {
  const items = data[key];
  if (!Array.isArray(items) || items.length === 0) {
    yield renderJson(data);
    return;
  }
  yield* renderJsonChunksOf(data, key, items, chunkItems);
}

/**
 * renderJsonChunks of `data` with `items` as the array at `key` (whatever `data` has there): the items are
 * taken one at a time as they come (a generator that makes each one), never all held.
 */
export function* renderJsonChunksOf(
  data: Readonly<Record<string, unknown>>,
  key: string,
  items: Iterable<unknown>,
  chunkItems = 500,
): Generator<string> {
  // the text of the object without the array, with a marker where the array goes: exactly where
  // JSON.stringify puts it (key order kept), indented as it indents
  const marker = "\u0000crifs-items\u0000";
  const outer = renderJson({ ...data, [key]: marker });
  const at = outer.indexOf(JSON.stringify(marker));
  const indent = outer.slice(outer.lastIndexOf("\n", at) + 1, at).replace(/[^ ].*$/, "");
  const pad = `${indent}  `;
  let chunk = "";
  let i = 0;
  for (const item of items) {
    if (i === 0) yield `${outer.slice(0, at)}[\n`;
    chunk += `${i === 0 ? "" : ",\n"}${pad}${JSON.stringify(item, null, 2).replaceAll("\n", `\n${pad}`)}`;
    if (++i % chunkItems === 0) {
      yield chunk;
      chunk = "";
    }
  }
  if (i === 0) {
    yield renderJson({ ...data, [key]: [] });
    return;
  }
  yield `${chunk}\n${indent}]${outer.slice(at + JSON.stringify(marker).length)}`;
}

/** renderJson of the array of `items`, written piece by piece: the same text, never the whole array in memory. */
export function* renderJsonStream(items: Iterable<unknown>): Generator<string> {
  let first = true;
  for (const item of items) {
    // an element is the array's text indented once more; strings hold no raw newline (JSON escapes it)
    yield `${first ? "[\n" : ",\n"}  ${JSON.stringify(item, null, 2).replaceAll("\n", "\n  ")}`;
    first = false;
  }
  yield first ? "[]\n" : "\n]\n";
}

/** renderYaml of the array of `items`, one list item at a time (block style: the items' texts concatenate). */
export function* renderYamlStream(items: Iterable<unknown>): Generator<string> {
  const yaml = require("yaml") as typeof yamlTypes;
  let any = false;
  for (const item of items) {
    any = true;
    yield yaml.stringify([item], YAML_OPTIONS);
  }
  if (!any) yield yaml.stringify([], YAML_OPTIONS);
}

let stringWidth: ((s: string) => number) | undefined;

/** Printable ASCII is one column a character; anything else is measured. */
export function displayWidth(cell: string): number {
  if (/^[\x20-\x7e]*$/.test(cell)) return cell.length;
  stringWidth ??= require("string-width") as (s: string) => number;
  return stringWidth(cell);
}

/** Plain lines for a terminal (a command's text that is not a table): each line through terminalSafe, so a
 * value with a newline or an escape sequence in it stays on its line and shows as escapes. */
export function renderLines(lines: readonly string[]): string {
  return `${lines.map((l) => terminalSafe(l)).join("\n")}\n`;
}

export interface TreeNode {
  readonly label: string;
  readonly children: readonly TreeNode[];
}

/** Indented tree: each child under its parent with "└─"/"├─" guides; labels pass through terminalSafe. */
export function renderTree(roots: readonly TreeNode[]): string {
  const lines: string[] = [];
  const walk = (n: TreeNode, prefix: string, isLast: boolean, isRoot: boolean) => {
    const label = terminalSafe(n.label);
    lines.push(isRoot ? label : `${prefix}${isLast ? "└─ " : "├─ "}${label}`);
    const next = isRoot ? "" : prefix + (isLast ? "   " : "│  ");
    n.children.forEach((c, i) => {
      walk(c, next, i === n.children.length - 1, false);
    });
  };
  for (const r of roots) walk(r, "", true, true);
  return `${lines.join("\n")}\n`;
}

/** Renders with the given format; `table` and `tree` builders are only called when asked for. */
export function render(
  format: OutputFormat,
  data: unknown,
  views: { table?: () => string; tree?: () => string },
): string {
  switch (format) {
    case "json":
      return renderJson(data);
    case "yaml":
      return renderYaml(data);
    case "tree":
      if (views.tree) return views.tree();
      throw new CrifsError("usage", "this command has no tree output", {
        remedy: "use -o table, json or yaml",
      });
    case "table":
      return views.table ? views.table() : renderDisplayYaml(data);
  }
}

export function shortDigest(d: string): string {
  const i = d.indexOf(":");
  return i < 0 ? d.slice(0, 12) : d.slice(i + 1, i + 13);
}

export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** The table without its first column when that is `namespace` and every row's is empty: runtimes without
 * namespaces (containers/storage, docker) get no blank column. A table mixing them with containerd keeps it. */
export function withoutEmptyNamespace(
  head: readonly string[],
  rows: readonly (readonly string[])[],
): [readonly string[], readonly (readonly string[])[]] {
  if (head[0] !== "namespace" || rows.length === 0 || rows.some((r) => r[0] !== "")) return [head, rows];
  return [head.slice(1), rows.map((r) => r.slice(1))];
}

/** A table of namespaced rows: renderTable after withoutEmptyNamespace. */
export function renderNamespacedTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const [h, r] = withoutEmptyNamespace(head, rows);
  return renderTable(h, r);
}

/** The table columns of a list command, in order: header → the row's cell. */
export type Columns<R> = Readonly<Record<string, (row: R) => string>>;

/** How a list command prints besides its format: `-q` (ids only) and `--no-headers` (the table's rows only). */
export interface ListingView {
  readonly output: OutputFormat;
  /** -q: each row's id (what `id` gives: the same string as the JSON's), one a line, whatever the format. */
  readonly quiet?: boolean;
  /** --no-headers: the table without its header line (other formats have none). */
  readonly noHeaders?: boolean;
}

/** A list command's output: the rows themselves as JSON or YAML (the contract), or a table of `columns`
 * (renderNamespacedTable: a leading "namespace" column goes when every row's is empty), or `tree`; with -q
 * only `id` of each row (terminal-safe: a key holding a newline stays one line), with --no-headers the table
 * without its header. */
export function renderListing<R>(
  view: OutputFormat | ListingView,
  rows: readonly R[],
  columns: Columns<R>,
  o: { readonly id?: (row: R) => string; readonly tree?: () => string } = {},
): string {
  const v: ListingView = typeof view === "string" ? { output: view } : view;
  if (v.quiet === true && o.id !== undefined) {
    const id = o.id;
    return rows.map((r) => `${terminalSafe(id(r))}\n`).join("");
  }
  const cells = Object.values(columns);
  return render(v.output, rows, {
    table: () => {
      const text = renderNamespacedTable(
        Object.keys(columns),
        rows.map((r) => cells.map((cell) => cell(r))),
      );
      return v.noHeaders === true ? text.slice(text.indexOf("\n") + 1) : text;
    },
    ...(o.tree === undefined ? {} : { tree: o.tree }),
  });
}

/** What a table shows for a value crifs could not read (the JSON has `error` instead). */
export const UNREADABLE = "?";
