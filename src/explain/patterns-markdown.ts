// explain/patterns-markdown.ts — the message table of patterns.ts as the Markdown of docs/explain.md, so that
// page is made from the table and a unit test (patterns-markdown.test.ts) fails when the two differ.
// Regenerate: node -e 'import("./dist/src/explain/patterns-markdown.js").then(m => process.stdout.write(m.patternsMarkdown()))'

import { messagePatterns } from "./patterns.js";

/** A table cell: pipes escaped, on one line. */
function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A prose cell: also `<…>` shown as written, not taken for HTML. */
function text(s: string): string {
  return cell(s).replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One section per message: its words, who prints it, where, what it means, the checks and the next step. */
export function patternsMarkdown(): string {
  const out: string[] = [];
  for (const p of messagePatterns) {
    out.push(`### \`${p.id}\`: ${text(p.title)}`, "");
    out.push("| | |", "| --- | --- |");
    out.push(`| printed by | ${p.speakers.join(", ")} |`);
    out.push(
      `| source | ${p.sources.map((s) => `[${s.repo}](https://github.com/${s.repo}) \`${s.path}\` (${cell(s.where)})`).join("<br>")} |`,
    );
    out.push(`| regex | \`${cell(p.regex.source)}\` (case-insensitive) |`);
    out.push(`| means | ${text(p.meaning)} |`);
    out.push(
      `| checks | ${p.checks.map((c) => `\`${c}\``).join(", ")} (on the ${p.stores.join(", ")} stores) |`,
    );
    out.push(`| next | ${text(p.next)} |`, "");
  }
  return `${out.join("\n")}`;
}
