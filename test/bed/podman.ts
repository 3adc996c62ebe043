// test/bed/podman.ts: the podman test bed (containers/storage, overlay driver) as the integration suites see
// it. startPodmanBed() runs test/bed/podman/up.sh on a fresh work dir (/var/tmp/crifs-pm.XXXXXX) with the
// containerd bed's OCI archive: images localhost/bb:latest and localhost/bb:small, containers running /
// created / exited. Everything is undone by teardown() (test/bed/podman/down.sh).
//
// Versions: "4.3" is Debian 12's podman on the host; "5" is trixie's podman 5.x, run chrooted in the bed's
// overlay of the cached trixie root (test/bed/trixie/), its store bound in at the same paths: crifs reads it
// from the host as on a node.
//
// Needs root and the Debian packages podman, containers-storage, uidmap and fuse-overlayfs (and mmdebstrap
// for "5", the first time).

import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The podman versions a bed can run (see the header). */
export const PODMAN_VERSIONS = ["4.3", "5"] as const;
export type PodmanVersion = (typeof PODMAN_VERSIONS)[number];

export interface PodmanBedFacts {
  readonly tag: string;
  /** `podman version`'s client version, e.g. 4.3.1 or 5.4.2. */
  readonly version: string;
  /** Container ids. */
  readonly containers: { readonly running: string; readonly created: string; readonly exited: string };
}

export interface PodmanBed {
  readonly work: string;
  readonly version: PodmanVersion;
  /** --root: the graphroot */
  readonly root: string;
  /** --runroot */
  readonly runroot: string;
  /** the storage.conf podman runs with (driver, graphroot, runroot) */
  readonly storageConf: string;
  readonly facts: PodmanBedFacts;
  /** Runs podman with the bed's flags and returns stdout; throws with podman's stderr on failure. */
  pm(args: readonly string[]): string;
  /** Removes containers and images, unmounts, removes the work dir. Idempotent. */
  teardown(): Promise<void>;
}

/** crifs's global flags that point it at the podman bed's store. */
export function podmanFlags(pb: PodmanBed): string[] {
  return ["--runtime", "podman", "--root", pb.root, "--state", pb.runroot, "--config", pb.storageConf];
}

function scriptsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "test", "bed", "podman");
    if (existsSync(join(candidate, "up.sh"))) return candidate;
    if (existsSync(join(dir, "podman", "up.sh"))) return join(dir, "podman");
    dir = dirname(dir);
  }
  throw new Error(`cannot find test/bed/podman/up.sh above ${fileURLToPath(import.meta.url)}`);
}

function run(script: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(
      "bash",
      [join(scriptsDir(), script)],
      { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        done({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stderr });
      },
    );
  });
}

function parseFacts(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** Builds a fresh podman bed from `ociArchive` (the containerd bed's bb-oci.tar). Takes a few seconds (for
 * "5" the first time also the trixie root, about 90 s). */
export async function startPodmanBed(ociArchive: string, version: PodmanVersion = "4.3"): Promise<PodmanBed> {
  const work = resolve(mkdtempSync("/var/tmp/crifs-pm."));
  const env = { PODMAN_BED: work, OCI_ARCHIVE: ociArchive, PODMAN_VERSION: version };
  const teardown = async () => {
    const r = await run("down.sh", env);
    if (r.code !== 0) throw new Error(`podman bed: down.sh failed (exit ${r.code}):\n${r.stderr.trim()}`);
  };
  const up = await run("up.sh", env);
  if (up.code !== 0) {
    await run("down.sh", env);
    throw new Error(`podman bed: up.sh failed (exit ${up.code}) in ${work}:\n${up.stderr.trim()}`);
  }
  const f = parseFacts(readFileSync(join(work, "facts"), "utf8"));
  const need = (k: string) => {
    const v = f.get(k);
    if (v === undefined || v === "") throw new Error(`podman bed: no fact "${k}" in ${work}/facts`);
    return v;
  };
  const root = join(work, "root");
  const runroot = join(work, "runroot");
  const storageConf = join(work, "storage.conf");
  return {
    work,
    version,
    root,
    runroot,
    storageConf,
    facts: {
      tag: need("tag"),
      version: need("version"),
      containers: { running: need("running"), created: need("created"), exited: need("exited") },
    },
    pm(args) {
      try {
        // pm.sh: the bed's flags (and for "5" the chroot) live in common.sh alone
        return execFileSync("bash", [join(scriptsDir(), "pm.sh"), ...args], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, ...env },
          maxBuffer: 16 * 1024 * 1024,
        });
      } catch (e) {
        const stderr = (e as { stderr?: unknown }).stderr;
        throw new Error(
          `podman ${args.join(" ")}: ${typeof stderr === "string" ? stderr.trim() : String(e)}`,
        );
      }
    },
    teardown,
  };
}
