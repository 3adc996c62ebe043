// fs/testing-walk.ts — what the walk tests share: trees with one of everything, scans with a chosen engine,
// and what they are compared against (GNU du's numbers, find's symlinks).

import { execFileSync, spawnSync } from "node:child_process";
import { linkSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ScanOptions, type ScanResult, scanTrees, type Tree } from "./walk.js";

/** The engines under test: both, or the JS one alone with CRIFS_SKIP_NATIVE=1. */
export const engines: readonly ("native" | "js")[] =
  process.env.CRIFS_SKIP_NATIVE === "1" ? ["js"] : ["native", "js"];

/** du's lines for `paths`, in order: [bytes or inodes, path]. */
export function du(args: readonly string[], paths: readonly string[], uid?: number): [number, string][] {
  const r = spawnSync("du", [...args, "--", ...paths], {
    encoding: "utf8",
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  return r.stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const tab = l.indexOf("\t");
      return [Number(l.slice(0, tab)), l.slice(tab + 1)];
    });
}

export function sum(lines: readonly [number, string][]): number {
  return lines.reduce((s, [n]) => s + n, 0);
}

export function sh(script: string, cwd: string): void {
  execFileSync("bash", ["-euc", script], { cwd, stdio: ["ignore", "ignore", "inherit"] });
}

/** find <root> -type l, as (rel, target) pairs sorted by rel. */
export function findSymlinks(root: string): [string, string][] {
  const out = execFileSync("find", [root, "-type", "l", "-printf", "%P\\0%l\\0"]);
  const parts = out.toString("utf8").split("\0");
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) pairs.push([`/${parts[i]}`, parts[i + 1] ?? ""]);
  return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export async function scanWith(
  engine: string,
  trees: readonly Tree[],
  options: ScanOptions = {},
): Promise<ScanResult> {
  const prev = process.env.CRIFS_ENGINE;
  process.env.CRIFS_ENGINE = engine;
  try {
    return await scanTrees(trees, { cacheDir: null, ...options });
  } finally {
    if (prev === undefined) delete process.env.CRIFS_ENGINE;
    else process.env.CRIFS_ENGINE = prev;
  }
}

export function treesOf(...paths: string[]): Tree[] {
  return paths.map((p, i) => ({ id: `t${i}`, path: p }));
}

/** A tree with one of everything: hard links, a sparse file, symlinks, FIFO, socket, whiteout, empty dirs. */
export function makeRichTree(dir: string): void {
  mkdirSync(join(dir, "a/b/c"), { recursive: true });
  mkdirSync(join(dir, "empty/also-empty"), { recursive: true });
  writeFileSync(join(dir, "a/small"), "hello\n");
  writeFileSync(join(dir, "a/zero"), "");
  writeFileSync(join(dir, "a/b/big"), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  truncateSync(join(dir, "a/b/big"), 3 * 1024 * 1024 + 17);
  writeFileSync(join(dir, "a/b/c/linked"), Buffer.alloc(20000, 1));
  linkSync(join(dir, "a/b/c/linked"), join(dir, "a/linked-again"));
  linkSync(join(dir, "a/b/c/linked"), join(dir, "linked-third"));
  symlinkSync("../a/small", join(dir, "a/b/rel-link"));
  symlinkSync("/usr/bin/env", join(dir, "abs-link"));
  symlinkSync("does/not/exist", join(dir, "broken-link"));
  symlinkSync("a", join(dir, "dir-link")); // must not be followed
  symlinkSync("loop", join(dir, "loop"));
  sh(
    [
      "truncate -s 64M sparse",
      "dd if=/dev/urandom of=sparse bs=4096 count=3 seek=2560 conv=notrunc status=none",
      "mkfifo fifo",
      `python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock`,
      "mknod whiteout c 0 0",
      `mkdir -p "$(printf 'deep%.0s/d' $(seq 1 250))"`,
      `echo bottom > "$(printf 'deep%.0s/d' $(seq 1 250))/bottom"`,
    ].join("\n"),
    dir,
  );
}
