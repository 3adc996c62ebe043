// runtimes/containerd/testing-sample.ts — shared by unit tests only: unpacks sample/containerd-root.tar.gz
// (a real containerd root, made by scripts/make-sample.sh from the test bed; see sample/README.md) into a
// temp dir without any root-only operation, so the decoders and du can be tested as any user.
//
// What is left out, and why: the tarball's character devices (overlay whiteouts in snapshot dirs and the
// kernel's leftover in work/work/) need mknod, which is root-only, so they are excluded and listed in
// `skippedDevices`; owners are not restored (chown is root-only: files belong to the running user); xattrs
// are not restored (the opaque markers are trusted.*, root-only). The kernel makes overlay's work/work dirs
// mode 000, which only root may list: they get u+rx (listed in `openedDirs`), so a walk as any user reads
// the same tree root reads. None of it is metadata the decoders read, and the sizes du measures stay put.

import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest parent of this file holding sample/ (src or dist). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, "sample", "containerd-root.tar.gz"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find sample/containerd-root.tar.gz above the compiled tests");
}

/** The paths loadContainerd takes: root/ (containerd's --root), state/ (empty: no tasks), config.toml. */
export type SamplePaths = { readonly [K in "root" | "state" | "config"]: string };

export interface UnpackedSample extends SamplePaths {
  /** The temp dir holding the three. */
  readonly dir: string;
  /** Device nodes in the tarball that were not made (mknod is root-only). */
  readonly skippedDevices: readonly string[];
  /** Dirs whose owner could neither list nor enter them (overlay's work/work, mode 000), given u+rx. */
  readonly openedDirs: readonly string[];
  remove(): void;
}

export function unpackSample(): UnpackedSample {
  const tarball = join(repoRoot(), "sample", "containerd-root.tar.gz");
  // `tar -tv` lines start with the mode, whose first letter is the type: c/b are device nodes
  const listing = execFileSync("tar", ["-tvzf", tarball], { encoding: "utf8" }).split("\n");
  const names = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
  const skippedDevices = names.filter((_, i) => /^[cb]/.test(listing[i] ?? ""));
  const openedDirs = names.filter((_, i) => /^d(?!r.x)/.test(listing[i] ?? ""));
  const dir = mkdtempSync(join(tmpdir(), "crifs-sample-unit-"));
  const excludes = skippedDevices.map((n) => `--exclude=${n}`);
  execFileSync("tar", ["-xzf", tarball, "-C", dir, "--no-same-owner", "--no-wildcards", ...excludes]);
  for (const d of openedDirs) chmodSync(join(dir, d), 0o700);
  const state = join(dir, "state");
  mkdirSync(state);
  const config = join(dir, "config.toml");
  writeFileSync(config, readFileSync(config, "utf8").replaceAll("@SAMPLE@", dir));
  return {
    dir,
    root: join(dir, "root"),
    state,
    config,
    skippedDevices,
    openedDirs,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
