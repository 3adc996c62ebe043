// docs/explain.md's message list is the table of patterns.ts: this fails when one changes without the other.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { patternsMarkdown } from "./patterns-markdown.js";

const DOC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "docs", "explain.md");

test("docs/explain.md lists exactly the messages of src/explain/patterns.ts", () => {
  const doc = readFileSync(DOC, "utf8");
  const m = /<!-- messages:start -->\n([\s\S]*)\n<!-- messages:end -->/.exec(doc);
  assert.ok(m !== null, "docs/explain.md has no <!-- messages:start --> … <!-- messages:end --> block");
  assert.equal(m[1], patternsMarkdown(), "regenerate the block: see src/explain/patterns-markdown.ts");
});
