import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { examplesBlock } from "./examples.js";
import { manPage } from "./man-page.js";
import { program } from "./program.js";

/** dist/src/cli → the repo root. */
const repo = new URL("../../../", import.meta.url);

test("docs/man/crifs.1 is what the command definitions make (regenerate: node bin/crifs __man > docs/man/crifs.1)", () => {
  const made = manPage(program(() => {}));
  assert.equal(readFileSync(new URL("docs/man/crifs.1", repo), "utf8"), made);
  // every visible command is in it, and the examples
  for (const c of ["audit", "snapshots tree", "completion", "logs", "doctor"])
    assert.ok(made.includes(`.SS crifs ${c}`), c);
  assert.ok(made.includes("CONTAINER_RUNTIME_ENDPOINT"));
});

test("README.md's examples are exactly cli/examples.ts's, which crifs help <command> prints", async () => {
  const readme = readFileSync(new URL("README.md", repo), "utf8");
  assert.ok(readme.includes(`Examples:\n\n\`\`\`sh\n${examplesBlock()}\`\`\`\n`));
  let out = "";
  await program((s) => {
    out += s;
  })
    .parseAsync(["help", "logs"], { from: "user" })
    .catch(() => {});
  assert.match(out, /Examples:\n {2}crifs logs 2c6a982e --tail 20 --follow +# a CRI container's log/);
});
