// test/integration/relocate-steps.ts — what every runtime's relocate tests share (relocate.suite.ts,
// relocate-docker.ts, relocate-containerd.ts): the loop-mounted ext4 the store moves to, crifs with the fault
// hook, the store's manifest, the check that the old root is back, and the two fault drivers, each killing a
// real `crifs relocate --apply` (CRIFS_RELOCATE_FAULT) at every step boundary:
//   killEachThenResume     one run killed at each boundary in turn, each kill taken up by the next --resume
//   killEachThenRollback   a run per boundary, each taken back by --rollback and checked by the caller at once

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { compareManifests, type ManifestEntry, readManifest } from "../../src/copy/manifest.js";
import { CRIFS, crifs } from "./cli.js";

/** The steps of a relocation to another filesystem, in order (src/relocate/plan.ts). */
export const STEPS = ["copy", "verify", "promote", "rename-old", "switch", "persist", "remove"] as const;

/** Every point a run is killed at: after the copy's intent and before its change (`copy:intent`), then after
 * each step's change and before its done record. */
export const FAULT_POINTS = ["copy:intent", ...STEPS] as const;

export function isMountPoint(p: string): boolean {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .some((l) => l.split(" ")[4] === p);
}

/** A fresh ext4 of `mb` MiB mounted at `<work>/mnt`. */
export function makeLoopFs(work: string, mb: number): string {
  const img = join(work, "disk.img");
  const mnt = join(work, "mnt");
  execFileSync("truncate", ["-s", `${mb}M`, img]);
  execFileSync("mkfs.ext4", ["-q", "-F", img]);
  mkdirSync(mnt, { recursive: true });
  execFileSync("mount", ["-o", "loop", img, mnt]);
  return mnt;
}

export function umountAll(paths: readonly string[]): void {
  for (const p of paths) if (p !== "" && isMountPoint(p)) execFileSync("umount", [p]);
}

/** crifs with extra environment (the fault hook); status and the signal that ended it. */
export function crifsEnv(args: readonly string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CRIFS, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The manifest of a tree with crifs's own quarantine left out: relocate's last step records the quarantined
 * old root as a repair run in the new root's .crifs-quarantine (so `crifs repair --purge` finds it), which
 * also changes the top dir's mtime; everything the runtime keeps must be equal. */
export function storeManifest(root: string): ManifestEntry[] {
  return readManifest(root)
    .filter((e) => e.path !== ".crifs-quarantine" && !e.path.startsWith(".crifs-quarantine/"))
    .map((e) => (e.path === "" ? { ...e, mtimeNs: "0" } : e));
}

export function ok(r: { status: number | null; stderr: string }, what: string): void {
  assert.equal(r.status, 0, `${what}: exit ${r.status}: ${r.stderr}`);
}

/** The store is back at its old root: a real dir, nothing mounted on it, no old name left beside it, no
 * fstab line of crifs's; with `old`, its manifest equals the one taken before the run (nothing lost). */
export function assertRootBack(
  root: string,
  fstab: string,
  why: string,
  old?: readonly ManifestEntry[],
): void {
  const st = lstatSync(root);
  assert.ok(st.isDirectory() && !st.isSymbolicLink(), `${why}: the root is a real dir again`);
  assert.ok(!isMountPoint(root), `${why}: nothing is mounted on the root`);
  const oldNames = readdirSync(dirname(root)).filter((n) => n.startsWith(`${basename(root)}.crifs-old-`));
  assert.deepEqual(oldNames, [], `${why}: no old name is left beside the root`);
  assert.ok(!(existsSync(fstab) && readFileSync(fstab, "utf8").includes("crifs relocate")), `${why}: fstab`);
  if (old !== undefined)
    assert.deepEqual(compareManifests(old, storeManifest(root), 5), [], `${why}: the old root's manifest`);
}

/** `rl(...args)` is crifs's argv for `relocate ...args` on the store under test (its --fstab included). */
export type RelocateArgs = (...args: string[]) => string[];

/** One run to `newDir` killed at every boundary in turn (the first by `--apply`, each next by a `--resume`),
 * then a last `--resume` that finishes it; a new plan for the root is refused while the run is open. One copy
 * in all. */
export function killEachThenResume(rl: RelocateArgs, newDir: string): void {
  const [first, ...rest] = FAULT_POINTS;
  const k = crifsEnv(rl(newDir, "--apply"), { CRIFS_RELOCATE_FAULT: first });
  assert.equal(k.signal, "SIGKILL", `fault ${first}: ${k.stderr}`);
  const open = crifs(rl(join(dirname(newDir), "other")));
  assert.equal(open.status, 75, `a new plan is refused while a run is open: ${open.stderr}`);
  for (const step of rest) {
    const r = crifsEnv(rl("--resume"), { CRIFS_RELOCATE_FAULT: step });
    assert.equal(r.signal, "SIGKILL", `--resume killed at ${step}: ${r.stderr}`);
  }
  ok(crifs(rl("--resume")), "the last --resume");
}

/** For every boundary, a fresh run to `<mnt>/<prefix>-<point>` killed there, taken back by `--rollback`, then
 * `check(point)` (while the store is back and nothing else has touched it); the copy a rollback leaves is
 * removed after. */
export function killEachThenRollback(
  rl: RelocateArgs,
  mnt: string,
  prefix: string,
  check: (point: string) => void,
): void {
  for (const point of FAULT_POINTS) {
    const newDir = join(mnt, `${prefix}-${point.replace(":", "-")}`);
    const k = crifsEnv(rl(newDir, "--apply"), { CRIFS_RELOCATE_FAULT: point });
    assert.equal(k.signal, "SIGKILL", `fault ${point}: ${k.stderr}`);
    ok(crifs(rl("--rollback")), `--rollback after a kill at ${point}`);
    check(point);
    rmSync(newDir, { recursive: true, force: true });
  }
}
