// test/integration/as-nobody.ts — runs bin/crifs as the unprivileged user nobody (group nogroup, no
// supplementary groups), for the tests that a root-only store says "permission denied" to anyone else.
// A checkout may sit in a dir nobody cannot enter (/root is 0700), so crifs runs from a copy of what it
// needs at run time (bin, dist/src, the native addon, proto, sample, package.json and the runtime packages of
// node_modules) in a temp dir nobody can read; remove() deletes it.

import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type CliResult, REPO } from "./cli.js";

/** node_modules entries crifs does not load at run time (the build and lint tools): not copied. */
const DEV_ONLY = new Set(["@biomejs", "typescript", "@types", ".bin", ".package-lock.json"]);

export interface NobodyCrifs {
  readonly uid: number;
  readonly gid: number;
  /** Runs crifs as nobody with `args` (cwd: the copy, which nobody can enter). */
  run(args: readonly string[]): CliResult;
  remove(): void;
}

/** The uid of user `name` and the gid of group `group`, as this machine's databases say. */
function ids(name: string, group: string): { uid: number; gid: number } {
  const field = (db: string, key: string, i: number) =>
    Number(execFileSync("getent", [db, key], { encoding: "utf8" }).split(":")[i]);
  return { uid: field("passwd", name, 2), gid: field("group", group, 2) };
}

/** A copy of crifs that nobody can run. Cost: copies ~20 MB once. */
export function crifsAsNobody(): NobodyCrifs {
  const { uid, gid } = ids("nobody", "nogroup");
  const dir = mkdtempSync("/var/tmp/crifs-nobody-");
  chmodSync(dir, 0o755);
  for (const p of ["bin", "dist/src", "proto", "sample", "package.json", "build/Release/crifs_scan.node"]) {
    if (existsSync(join(REPO, p))) cpSync(join(REPO, p), join(dir, p), { recursive: true });
  }
  for (const name of readdirSync(join(REPO, "node_modules"))) {
    if (!DEV_ONLY.has(name))
      cpSync(join(REPO, "node_modules", name), join(dir, "node_modules", name), { recursive: true });
  }
  execFileSync("chmod", ["-R", "a+rX", dir]);
  const crifs = join(dir, "bin", "crifs");
  return {
    uid,
    gid,
    run(args) {
      // node drops the supplementary groups when it sets uid and gid (libuv calls setgroups(0) as root)
      const r = spawnSync(process.execPath, [crifs, ...args], {
        encoding: "utf8",
        cwd: dir,
        uid,
        gid,
        timeout: 120_000,
      });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
