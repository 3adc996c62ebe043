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

export function renderYaml(data: unknown): string {
  return (require("yaml") as typeof yamlTypes).stringify(data, { lineWidth: 0 });
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
  const last = head.length - 1;
  const widths = head.map((_, i) => {
    let w = 0;
    if (i < last) for (const r of all) w = Math.max(w, displayWidth(r[i] ?? ""));
    return w;
  });
  const line = (r: readonly string[]) => {
    let out = "";
    for (let i = 0; i < last; i++) {
      const cell = r[i] ?? "";
      out += `${cell}${" ".repeat((widths[i] ?? 0) - displayWidth(cell))}   `;
    }
    return `${out}${r[last] ?? ""}`.trimEnd();
  };
  return `${all.map(line).join("\n")}\n`;
}

let stringWidth: ((s: string) => number) | undefined;

/** Printable ASCII is one column a character; anything else is measured. */
function displayWidth(cell: string): number {
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

/** What a table shows for a value crifs could not read (the JSON has `error` instead). */
export const UNREADABLE = "?";
