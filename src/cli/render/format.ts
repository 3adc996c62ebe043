// cli/render/format.ts — data in, text out. One place decides how each output format looks:
//   json   the documented contract (docs/json.md), two-space indented
//   yaml   the same data as YAML
//   table  aligned columns without borders, like ctr and crictl
//   tree   indented parent/child lines (where a command has a tree)

import { createRequire } from "node:module";
import type TableType from "cli-table3";
import type * as yamlTypes from "yaml";
import { CrifsError } from "../../errors.js";

// the YAML writer and cli-table3 load on first use: most runs print plain tables or JSON
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

const plain = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "   ",
};

/** Columns without borders. Cells are strings; header in capitals like ctr. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const header = head.map((h) => h.toUpperCase());
  // cli-table3 measures every cell's display width (wide and combining characters, colour codes), which costs
  // seconds on the tens of thousands of rows doctor or links can print; printable ASCII is one column a
  // character, so such tables are laid out directly, the same way
  const isPlain = (c: string) => /^[\x20-\x7e]*$/.test(c);
  if (header.every(isPlain) && rows.every((r) => r.every(isPlain))) return plainTable(header, rows);
  const Table = require("cli-table3") as typeof TableType;
  const t = new Table({
    head: header,
    chars: plain,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  for (const r of rows) t.push([...r]);
  return `${t
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")}\n`;
}

/** Columns padded to the widest cell, three spaces apart, trailing blanks trimmed: cli-table3's layout. */
function plainTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) =>
    widths
      .map((w, i) => (r[i] ?? "").padEnd(w))
      .join("   ")
      .trimEnd();
  return `${all.map(line).join("\n")}\n`;
}

export interface TreeNode {
  readonly label: string;
  readonly children: readonly TreeNode[];
}

/** Indented tree: each child under its parent with "└─"/"├─" guides. */
export function renderTree(roots: readonly TreeNode[]): string {
  const lines: string[] = [];
  const walk = (n: TreeNode, prefix: string, isLast: boolean, isRoot: boolean) => {
    lines.push(isRoot ? n.label : `${prefix}${isLast ? "└─ " : "├─ "}${n.label}`);
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
      return views.table ? views.table() : renderYaml(data);
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
