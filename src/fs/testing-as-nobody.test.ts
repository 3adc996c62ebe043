// fs/testing-as-nobody.test.ts — the staged copy runs as nobody even when the clone is out of nobody's reach.
// Needs root; CRIFS_SKIP_ROOT=1 skips instead of failing.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { NOBODY, stageForNobody } from "./testing-as-nobody.js";

const skipRoot = process.getuid?.() !== 0 && process.env.CRIFS_SKIP_ROOT === "1";

test("a staged copy runs a module and bin/crifs as nobody, and nobody cannot write to it", (t) => {
  if (skipRoot) return t.skip("needs root");
  const staged = stageForNobody({ dependencies: true });
  t.after(() => staged.remove());
  assert.equal(statSync(staged.root).mode & 0o777, 0o755);
  const m = staged.runModule(
    `const { decodeName } = await import(${JSON.stringify(staged.moduleUrl("fs/name-codec.js"))});
    process.stdout.write(JSON.stringify([process.getuid(), decodeName(Buffer.from("ok"))]));`,
  );
  assert.equal(m.status, 0, m.stderr);
  assert.deepEqual(JSON.parse(m.stdout), [NOBODY, "ok"]);
  const v = staged.runCrifs(["--version"]);
  assert.equal(v.status, 0, v.stderr);
  const mine = spawnSync(fileURLToPath(new URL("../../../bin/crifs", import.meta.url)), ["--version"], {
    encoding: "utf8",
  });
  assert.equal(v.stdout, mine.stdout);
  const w = staged.runModule(`import { writeFileSync } from "node:fs";
    try { writeFileSync(${JSON.stringify(`${staged.root}/x`)}, ""); } catch (e) { process.stdout.write(e.code); }`);
  assert.equal(w.stdout, "EACCES");
});
