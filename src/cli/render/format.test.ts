import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import type TableType from "cli-table3";
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

test("tables with wide characters, combining marks and emoji are laid out exactly as cli-table3 lays them out", () => {
  const Table = createRequire(import.meta.url)("cli-table3") as typeof TableType;
  const viaCliTable3 = (head: string[], rows: string[][]) => {
    const chars = Object.fromEntries(
      ["top", "top-mid", "top-left", "top-right", "bottom", "bottom-mid", "bottom-left", "bottom-right"]
        .concat(["left", "left-mid", "mid", "mid-mid", "right", "right-mid"])
        .map((k) => [k, ""]),
    );
    const t = new Table({
      head: head.map((h) => h.toUpperCase()),
      chars: { ...chars, middle: "   " },
      style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
    });
    for (const r of rows) t.push([...r]);
    return `${t
      .toString()
      .split("\n")
      .map((l) => l.trimEnd())
      .join("\n")}\n`;
  };
  const cases: [string[], string[][]][] = [
    [["name"], [["日本"], ["ab"]]],
    [
      ["path", "size", "note"],
      [
        ["/usr/share/ca-certificates/mozilla/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt", "4 KiB", "x"],
        ["/etc/日本語/ファイル", "1 B", ""],
        ["e\u0301cole", "12 MiB", "combining"],
        ["🐳 whale", "", "emoji"],
      ],
    ],
  ];
  for (const [head, rows] of cases) assert.equal(renderTable(head, rows), viaCliTable3(head, rows));
});

test("the last column is not padded: one very long cell does not widen every row", () => {
  const rows = Array.from({ length: 1000 }, (_, i) => [String(i), i === 0 ? "p".repeat(100_000) : "short"]);
  const out = renderTable(["n", "paths"], rows);
  assert.ok(out.length < 100_000 + 20_000, `${out.length} characters`);
  assert.equal(out.split("\n")[2], "1     short");
});

test("every row of a long table is one line, padded to the widest cell", () => {
  const rows = Array.from({ length: 2000 }, (_, i) => [`row-${i}`, "x".repeat(i % 50), String(i)]);
  const lines = renderTable(["a", "b", "c"], rows).trimEnd().split("\n");
  assert.equal(lines.length, 2001);
  assert.equal(lines[50], `row-49${" ".repeat(2)}   ${"x".repeat(49)}   49`);
});

test("a namespace column that is empty in every row is left out; one namespaced row keeps it", async () => {
  const { withoutEmptyNamespace } = await import("./format.js");
  assert.deepEqual(
    withoutEmptyNamespace(
      ["namespace", "ref"],
      [
        ["", "a"],
        ["", "b"],
      ],
    ),
    [["ref"], [["a"], ["b"]]],
  );
  const mixed = withoutEmptyNamespace(
    ["namespace", "ref"],
    [
      ["", "a"],
      ["default", "b"],
    ],
  );
  assert.deepEqual(mixed[0], ["namespace", "ref"]);
});
