// The layout arrows of issue 14: src/cli and src/checks reach a runtime only through runtimes/index.ts (tests
// also through runtimes/testing.ts), no runtime's file or dir name appears in their code outside comments, and
// runtimes/index.ts hands out a runtime's doings only as Adapter methods. Reads the TypeScript sources beside
// dist/, and the compiled runtimes/index.js.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const above = [...sources(join(SRC, "cli")), ...sources(join(SRC, "checks"))];

test("src/cli and src/checks import a runtime only through runtimes/index.ts (or runtimes/testing.ts)", () => {
  const bad = above.flatMap((f) =>
    [...readFileSync(f, "utf8").matchAll(/from "([^"]*runtimes\/[^"]*)"|import\("([^"]*runtimes\/[^"]*)"\)/g)]
      .map((m) => m[1] ?? m[2] ?? "")
      .filter((spec) => !/runtimes\/(index|testing)\.js$/.test(spec))
      .map((spec) => `${relative(SRC, f)}: ${spec}`),
  );
  assert.deepEqual(bad, []);
});

test("no runtime's file or dir name appears in src/cli or src/checks outside comments", () => {
  const words = /io\.containerd|overlay2|layerdb|meta\.db|overlay-layers/;
  const bad = above.flatMap((f) =>
    readFileSync(f, "utf8")
      .split("\n")
      .map((line, i) => ({ code: line.replace(/^\s*(\/\/|\*|\/\*\*).*$/, "").replace(/ \/\/ .*$/, ""), i }))
      .filter((l) => words.test(l.code))
      .map((l) => `${relative(SRC, f)}:${l.i + 1}: ${l.code.trim()}`),
  );
  assert.deepEqual(bad, []);
});

test("runtimes/index.ts exports no runtime's own function or value: only the adapter list, its lookups and types", async () => {
  const index: Record<string, unknown> = await import("./index.js");
  const adapters = index.adapters as readonly unknown[];
  const lookups = new Set(["adapters", "adapterFor", "requireAdapter", "liveAdapter", "wordsFor"]);
  const bad = Object.entries(index)
    .filter(([name, value]) => !lookups.has(name) && !adapters.includes(value))
    .map(([name]) => `${name}: make it a method of the Adapter (or a type)`);
  assert.deepEqual(bad, []);
});
