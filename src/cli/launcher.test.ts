// bin/crifs's code cache: the launcher compiles dist/src/bundle/crifs.cjs with crifs.cjs.cache. These tests
// run a copy of the launcher and of the bundle in a temp dir (never the checkout's, which other tests use at
// the same time) and check what a user would meet: the same output with and without the cache, a cache made
// on the first run and accepted by V8 after, a damaged or stale cache refused and made again, and no file
// written with CRIFS_CODE_CACHE=off or where the dir cannot be written.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { crc32 } from "node:zlib";

/** dist/src/cli → the repo root. */
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const bundle = join(repo, "dist", "src", "bundle", "crifs.cjs");
let top: string;
let cjs: string;
let cache: string;

/** A copy of what `crifs --version` and `crifs --help` read: the launcher, package.json, the CommonJS bundle. */
before(() => {
  assert.ok(existsSync(bundle), `${bundle} is built (npm run build)`);
  top = mkdtempSync(join(tmpdir(), "crifs-launcher-"));
  chmodSync(top, 0o755);
  for (const d of ["bin", "dist/src/cli", "dist/src/bundle"]) mkdirSync(join(top, d), { recursive: true });
  for (const f of ["bin/crifs", "bin/package.json", "package.json", "dist/src/cli/main.js"])
    copyFileSync(join(repo, f), join(top, f));
  cjs = join(top, "dist", "src", "bundle", "crifs.cjs");
  cache = `${cjs}.cache`;
  copyFileSync(bundle, cjs);
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(top, "dist/src/cli/main.js"), past, past); // the bundle is not older than the modules
});

after(() => rmSync(top, { recursive: true, force: true }));

function crifs(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(top, "bin", "crifs"), ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", CRIFS_CODE_CACHE: "", ...env },
  });
  assert.equal(r.stderr, "");
  assert.equal(r.status, 0);
  return r.stdout;
}

/**
 * Whether the cache file holds its CRC-32 and V8 takes the rest as the code cache of the copied bundle,
 * compiled as bin/crifs compiles it (never handed a damaged cache: V8 would end this process).
 */
function accepted(file: Buffer): boolean {
  if (file.length <= 8 || file.readInt32LE(0) !== (crc32(file.subarray(4)) | 0)) return false;
  const data = file.subarray(4);
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${readFileSync(cjs, "utf8")}\n})`;
  return !new Script(wrapped, { filename: cjs, cachedData: data }).cachedDataRejected;
}

test("the first run makes the cache, V8 accepts it, and the next run reads it without writing it again", () => {
  rmSync(cache, { force: true });
  const version = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version;
  assert.equal(crifs(["--version"]).trim(), version);
  assert.ok(existsSync(cache), "the cache was written");
  assert.ok(accepted(readFileSync(cache)), "V8 accepts the cache");
  const made = statSync(cache);
  assert.equal(crifs(["--version"]).trim(), version);
  assert.equal(
    statSync(cache).mtimeMs,
    made.mtimeMs,
    "a run that read an accepted cache leaves it as it was",
  );
});

test("--help is the same with the cache, without it and from the ES modules", () => {
  crifs(["--version"]);
  const withCache = crifs(["--help"]);
  assert.equal(crifs(["--help"], { CRIFS_CODE_CACHE: "off" }), withCache);
  const esm = spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const { run } = await import(${JSON.stringify(join(repo, "dist/src/cli/main.js"))}); process.exitCode = await run(["--help"]);`,
    ],
    { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
  assert.equal(esm.status, 0, esm.stderr);
  assert.equal(esm.stdout, withCache);
  assert.match(withCache, /^Usage: crifs /m);
});

test("a damaged cache is refused before V8 sees it, the run goes on, and the cache is made again", () => {
  crifs(["--version"]);
  const good = readFileSync(cache);
  const bad = Buffer.from(good);
  for (let i = 64; i < bad.length; i += 97) bad[i] = (bad[i] as number) ^ 0xff;
  writeFileSync(cache, bad);
  assert.equal(accepted(bad), false);
  crifs(["--version"]);
  assert.ok(accepted(readFileSync(cache)), "the cache was made again");
  writeFileSync(cache, "");
  crifs(["--version"]);
  assert.ok(accepted(readFileSync(cache)), "an empty cache file is made again too");
});

test("a cache older than the bundle is not read (V8 checks only the source's length) and is made again", () => {
  crifs(["--version"]);
  const past = new Date(Date.now() - 30_000);
  utimesSync(cache, past, past);
  crifs(["--version"]);
  assert.ok(statSync(cache).mtimeMs > past.getTime() + 1000, "the stale cache was replaced");
});

test("CRIFS_CODE_CACHE=off neither reads nor writes the cache", () => {
  rmSync(cache, { force: true });
  crifs(["--version"], { CRIFS_CODE_CACHE: "off" });
  assert.equal(existsSync(cache), false);
});

test("where the bundle's dir cannot be written, crifs runs without a cache and leaves no temp file", (t) => {
  if (process.getuid?.() === 0) {
    // root writes anyway: check the same through a dir that is a file's place, by making the cache path a dir
    rmSync(cache, { force: true });
    mkdirSync(cache);
    crifs(["--version"]);
    assert.ok(statSync(cache).isDirectory(), "the dir in the cache's place is left as it was");
    rmSync(cache, { recursive: true });
  } else {
    rmSync(cache, { force: true });
    chmodSync(join(top, "dist", "src", "bundle"), 0o555);
    t.after(() => chmodSync(join(top, "dist", "src", "bundle"), 0o755));
    crifs(["--version"]);
    assert.equal(existsSync(cache), false);
  }
  const left = spawnSync("ls", [join(top, "dist", "src", "bundle")], { encoding: "utf8" }).stdout;
  assert.doesNotMatch(left, /\.tmp$/m);
});

test("a temp file left by a run killed mid-write is removed by the next write; a live writer's is kept", () => {
  rmSync(cache, { force: true });
  const dead = `${cache}.4194305.tmp`; // above any pid_max: no such process
  const live = `${cache}.${process.pid}.tmp`; // this test's own process: alive
  writeFileSync(dead, "half a cache");
  writeFileSync(live, "a write under way");
  crifs(["--version"]);
  assert.ok(existsSync(cache), "the cache was written");
  assert.equal(existsSync(dead), false, "the dead writer's temp file is gone");
  assert.equal(readFileSync(live, "utf8"), "a write under way", "the live writer's is left");
  rmSync(live);
});
