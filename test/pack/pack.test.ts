// test/pack/pack.test.ts — the published package as a user gets it: `npm pack` (whose prepack builds
// tsconfig.build.json into dist-pkg/) ships no tests and no test helpers, and the tarball, installed into an
// empty project with `npm install ./crifs-<version>.tgz` (dependencies from the registry, the install hook
// building the native scanner), runs. Needs npm and the registry; run by `npm run test:pack` and
// scripts/test.sh, after `npm run build`.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "bin", "crifs"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the repo root above this file");
}

const REPO = repoRoot();
const manifest = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  name: string;
  version: string;
};

interface PackReport {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

function run(cmd: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status ?? r.signal}:\n${r.stderr}\n${r.stdout}`);
  }
  return r.stdout;
}

/** `npm pack --json` prints one report per package; lifecycle output goes to stderr. */
function packReport(stdout: string): PackReport {
  const reports = JSON.parse(stdout) as PackReport[];
  assert.equal(reports.length, 1);
  return reports[0] as PackReport;
}

/** Paths a published package must not hold: compiled tests, test helpers, the test tree, the dev build. */
function testLike(path: string): boolean {
  return (
    path.endsWith(".test.js") ||
    /(^|\/)testing[^/]*\.js$/.test(path) ||
    path.startsWith("test/") ||
    path.startsWith("dist/")
  );
}

describe("the npm package", { timeout: 900_000 }, () => {
  let work = "";
  before(() => {
    work = mkdtempSync(join(tmpdir(), "crifs-pack-"));
  });
  after(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  test("npm pack --dry-run --json lists the packaged build and no test, test helper or test/ file", () => {
    const report = packReport(run("npm", ["pack", "--dry-run", "--json"], REPO));
    const paths = report.files.map((f) => f.path);
    assert.deepEqual(paths.filter(testLike), []);
    for (const p of [
      "bin/crifs",
      "package.json",
      "dist-pkg/src/cli/main.js",
      "sample/containerd-root.tar.gz",
    ]) {
      assert.ok(paths.includes(p), `${p} is in the package`);
    }
    assert.ok(paths.includes("proto/cri.proto"), "the CRI proto is in the package");
    assert.ok(
      paths.some((p) => p.startsWith("dist-pkg/src/runtimes/containerd/")),
      "the containerd adapter is in the package",
    );
    assert.equal(report.filename, `${manifest.name}-${manifest.version}.tgz`);
    assert.equal(existsSync(join(REPO, "dist-pkg")), false, "postpack removed dist-pkg/ from the checkout");
  });

  test("the packed tarball, installed with npm into an empty project, runs crifs --version", () => {
    const report = packReport(run("npm", ["pack", "--json", "--pack-destination", work], REPO));
    const tarball = join(work, report.filename);
    // what the tarball holds, read back from the tarball itself (npm prefixes every entry with package/)
    const entries = run("tar", ["-tzf", tarball], work)
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.replace(/^package\//, ""));
    assert.deepEqual(entries.filter(testLike), []);

    const app = join(work, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), `${JSON.stringify({ name: "app", private: true })}\n`);
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], app);
    const installed = join(app, "node_modules", "crifs");
    assert.equal(existsSync(join(installed, "dist")), false, "no dev build in the install");
    assert.equal(existsSync(join(installed, "dist-pkg", "src", "cli", "main.js")), true);

    const bin = join(app, "node_modules", ".bin", "crifs");
    assert.equal(run(bin, ["--version"], app).trim(), manifest.version);
    // a command that loads a lazily imported module and the bundled proto/: with no socket listening it
    // says so in one stderr line and answers from disk, with the package's version
    const r = spawnSync(bin, ["--address", join(work, "none.sock"), "--timeout", "2s", "version"], {
      cwd: app,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^crifs: ${manifest.version.replace(/\./g, "\\.")}$`, "m"));
    assert.match(r.stderr, /^crifs: .*none\.sock: /, "one note naming the socket that did not answer");
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  });
});
