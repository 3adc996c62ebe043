// fs/testing-tree.ts — trees for unit tests, built at test time from one line per entry, in temp dirs
// removed after the test file's tests, and rootOnly for the test files that need root. Not used outside tests.
//
//   const root = tempDir("crifs-resolve-");
//   plantTree(root, ["d etc", "f etc/passwd root", "l data/abs /etc/passwd", "h data/hard etc/passwd"]);

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before } from "node:test";

/** For a test file that needs root (mknod, trusted.* xattrs, chown): whether its tests are to be skipped
 * (CRIFS_SKIP_ROOT=1 without root); without root and without that, a before() hook fails the file. */
export function rootOnly(): boolean {
  const skip = process.getuid?.() !== 0 && process.env.CRIFS_SKIP_ROOT === "1";
  before(() => {
    if (!skip)
      assert.equal(process.getuid?.(), 0, "these tests need root (set CRIFS_SKIP_ROOT=1 to skip them)");
  });
  return skip;
}

/** A new dir under /var/tmp (its real path), removed after the calling test file's (or test's) tests. */
export function tempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(`/var/tmp/${prefix}`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Fills `root` from lines, making parent dirs as needed: "d path", "f path contents…", "l path target",
 * "h path existing" (a hard link to `existing`, relative to `root` unless absolute), "w path" (a whiteout:
 * 0:0 char device), "o path" (a dir with trusted.overlay.opaque=y). Throws on any other line.
 */
export function plantTree(root: string, lines: readonly string[]): void {
  mkdirSync(root, { recursive: true });
  for (const line of lines) {
    const [type, path = "", ...rest] = line.split(" ");
    const host = join(root, path);
    mkdirSync(dirname(host), { recursive: true });
    if (type === "d") mkdirSync(host, { recursive: true });
    else if (type === "f") writeFileSync(host, rest.join(" "));
    else if (type === "l") symlinkSync(rest.join(" "), host);
    else if (type === "h") linkSync(resolve(root, rest.join(" ")), host);
    else if (type === "w") execFileSync("mknod", [host, "c", "0", "0"]);
    else if (type === "o") {
      mkdirSync(host, { recursive: true });
      execFileSync("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", host]);
    } else throw new Error(`bad line ${line}`);
  }
}
