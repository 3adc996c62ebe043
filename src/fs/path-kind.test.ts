// path-kind.test.ts — pathKind gives the same answers with the native addon and with lstatSync.
// Needs root (mknod); CRIFS_SKIP_ROOT=1 skips instead of failing.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CrifsError } from "../errors.js";
import { pathKind } from "./path-kind.js";
import { loadNativeScanner } from "./walk-native.js";

const skip = process.getuid?.() !== 0 && process.env.CRIFS_SKIP_ROOT === "1";
const dir = mkdtempSync("/var/tmp/crifs-kind-");
after(() => rmSync(dir, { recursive: true, force: true }));

function tree(): Record<string, string | null> {
  mkdirSync(join(dir, "d"), { recursive: true });
  writeFileSync(join(dir, "f"), "x");
  symlinkSync("/nowhere", join(dir, "l"));
  execFileSync("mknod", [join(dir, "w"), "c", "0", "0"]);
  execFileSync("mknod", [join(dir, "c"), "c", "1", "3"]);
  execFileSync("mknod", [join(dir, "p"), "p"]);
  return {
    d: "dir",
    f: "file",
    l: "symlink",
    w: "whiteout",
    c: "other",
    p: "other",
    absent: null,
    "f/x": null,
  };
}

test("pathKind: dir, file, symlink (not followed), whiteout, other devices, absent and ENOTDIR", {
  skip,
}, () => {
  assert.equal(process.getuid?.(), 0, "needs root (set CRIFS_SKIP_ROOT=1 to skip)");
  const want = tree();
  for (const [name, kind] of Object.entries(want)) assert.equal(pathKind(join(dir, name)), kind, name);
  // the same answers from the other engine, in a child process (the engine is chosen once per process)
  const other = process.env.CRIFS_ENGINE === "js" ? "native" : "js";
  if (other === "native" && loadNativeScanner().scanner?.kind === undefined) return;
  const code = `import { pathKind } from ${JSON.stringify(fileURLToPath(new URL("./path-kind.js", import.meta.url)))};
    const names = ${JSON.stringify(Object.keys(want))};
    console.log(JSON.stringify(names.map((n) => pathKind(${JSON.stringify(dir)} + "/" + n))));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    env: { ...process.env, CRIFS_ENGINE: other },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), Object.values(want));
});

test("pathKind: an error other than absence is one CrifsError naming the path, from either engine", {
  skip,
}, () => {
  // root passes permission checks: a name longer than NAME_MAX gives an error that is not "absent"
  const long = join(dir, "n".repeat(300));
  assert.throws(
    () => pathKind(long),
    (err: unknown) =>
      err instanceof CrifsError && err.path === long && err.message === "cannot stat: file name too long",
  );
});
