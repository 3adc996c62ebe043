import assert from "node:assert/strict";
import { test } from "node:test";
import { renderTable } from "./format.js";

test("plain ASCII tables are laid out like cli-table3: columns padded to the widest cell, three spaces apart", () => {
  assert.equal(
    renderTable(
      ["a", "bb", "c"],
      [
        ["x", "yyyy", ""],
        ["longer value", "", "z"],
      ],
    ),
    "A              BB     C\nx              yyyy\nlonger value          z\n",
  );
  assert.equal(renderTable(["namespace", "id"], []), "NAMESPACE   ID\n");
});

test("a table with wide characters still goes through cli-table3", () => {
  const out = renderTable(["name"], [["日本"], ["ab"]]);
  assert.equal(out.split("\n")[0], "NAME");
  assert.ok(out.includes("日本"));
});

test("every row of a long table is one line, padded to the widest cell", () => {
  const rows = Array.from({ length: 2000 }, (_, i) => [`row-${i}`, "x".repeat(i % 50), String(i)]);
  const lines = renderTable(["a", "b", "c"], rows).trimEnd().split("\n");
  assert.equal(lines.length, 2001);
  assert.equal(lines[50], `row-49${" ".repeat(2)}   ${"x".repeat(49)}   49`);
});
