// fs/testing-as-nobody.ts — for tests (root only): run the built crifs as the user nobody, from any clone.
//
// A clone made in a 0700 directory (mktemp -d, /root) is out of nobody's reach: a script run as nobody
// cannot import dist/src/… from it (ERR_MODULE_NOT_FOUND, the path is not searchable). So what the code
// needs is copied to a fresh directory under /var/tmp that everyone can read:
//
//   /var/tmp/crifs-nobody-XXXXXX/      0755, removed by remove()
//     package.json                     "type": "module" for dist/
//     bin/crifs                        the launcher
//     dist/src/…                       the compiled code (tests included: they are small)
//     build/Release/crifs_scan.node    the native scanner, when it was built
//     proto/, sample/                  what bin/crifs reads beside its code, only with { dependencies: true }
//     node_modules/…                   the production dependencies (dependencies, optionalDependencies,
//                                      transitively), only with { dependencies: true }
//
// and every file of it is made world-readable (a clone under umask 077 has 0600 files). The child is this
// process's own Node (process.execPath): it must be where nobody can run it (/usr/bin/node is; a Node
// under /root/.nvm would not be).

import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** nobody's uid and gid on Debian. */
export const NOBODY = 65534;

/** dist/src/fs → the package root (the clone). */
const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));

export interface StageOptions {
  /** Copy the production dependencies too (what bin/crifs needs; walk.js needs none). Default false. */
  readonly dependencies?: boolean;
  /** Where the staged dir is made. Default /var/tmp. */
  readonly parent?: string;
}

export interface RunAsNobodyOptions {
  /** Environment of the child; PATH is added when absent. Default: PATH only. */
  readonly env?: Readonly<Record<string, string>>;
  /** Arguments after the script. Default none. */
  readonly args?: readonly string[];
  /** Working directory. Default "/". */
  readonly cwd?: string;
  /** Kill the child after this many ms. Default 60000. */
  readonly timeoutMs?: number;
}

/** A copy of the built package that nobody can read and run. */
export interface NobodyPackage {
  /** The copy's root: package.json, bin/crifs, dist/src, build/Release, node_modules. */
  readonly root: string;
  /** The file: URL of a module of the copy, by its path under dist/src ("fs/walk.js"). */
  moduleUrl(rel: string): string;
  /** Writes `source` as an ES module into the copy and runs it with this Node as nobody. */
  runModule(source: string, options?: RunAsNobodyOptions): SpawnSyncReturns<string>;
  /** Runs the copy's bin/crifs with `args` as nobody. Needs { dependencies: true }. */
  runCrifs(args: readonly string[], options?: Omit<RunAsNobodyOptions, "args">): SpawnSyncReturns<string>;
  /** Removes the copy. */
  remove(): void;
}

/** Where `name` resolves from `fromDir`, the way Node looks it up (node_modules of each ancestor). */
function resolvePackageDir(fromDir: string, name: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === packageRoot || dirname(dir) === dir) return null;
  }
}

/** The production dependency closure of the package, as dirs under packageRoot (nested ones included). */
function productionDependencies(): string[] {
  const found = new Set<string>();
  const queue: string[] = [packageRoot];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    const names = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ];
    for (const name of names) {
      const at = resolvePackageDir(dir, name); // an optional one for another platform is absent
      if (at === null || found.has(at)) continue;
      found.add(at);
      queue.push(at);
    }
  }
  // a dir nested in another (a/node_modules/b) comes with its parent's copy
  return [...found].filter((d) => ![...found].some((o) => o !== d && d.startsWith(o + sep)));
}

function runAsNobody(argv: readonly string[], options: RunAsNobodyOptions = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...argv, ...(options.args ?? [])], {
    uid: NOBODY,
    gid: NOBODY,
    encoding: "utf8",
    cwd: options.cwd ?? "/",
    timeout: options.timeoutMs ?? 60_000,
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", ...options.env },
  });
}

/**
 * Copies the built package to a new world-readable dir (see the header) for running it as nobody. Needs
 * root (the child's uid is set) and `npm run build` first. Cost: a copy of dist/src (and the dependencies).
 */
export function stageForNobody(options: StageOptions = {}): NobodyPackage {
  const dist = join(packageRoot, "dist", "src");
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` first`);
  const root = mkdtempSync(join(options.parent ?? "/var/tmp", "crifs-nobody-"));
  try {
    cpSync(join(packageRoot, "package.json"), join(root, "package.json"));
    cpSync(join(packageRoot, "bin"), join(root, "bin"), { recursive: true });
    cpSync(dist, join(root, "dist", "src"), { recursive: true });
    const addon = join(packageRoot, "build", "Release", "crifs_scan.node");
    if (existsSync(addon)) cpSync(addon, join(root, "build", "Release", "crifs_scan.node"));
    // what bin/crifs reads beside its code: the protocol files (live clients) and the sample store (audit)
    if (options.dependencies === true)
      for (const p of ["proto", "sample"])
        if (existsSync(join(packageRoot, p)))
          cpSync(join(packageRoot, p), join(root, p), { recursive: true });
    if (options.dependencies === true)
      for (const dir of productionDependencies())
        cpSync(dir, join(root, relative(packageRoot, dir)), { recursive: true, verbatimSymlinks: true });
    // readable (and searchable, runnable where the owner could) by all, whatever the clone's umask was
    const r = spawnSync("chmod", ["-R", "a+rX", root], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cannot chmod ${root}: ${r.stderr.trim()}`);
    chmodSync(root, 0o755);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  let scripts = 0;
  return {
    root,
    moduleUrl: (rel) => pathToFileURL(join(root, "dist", "src", rel)).href,
    runModule(source, runOptions = {}) {
      const script = join(root, `run-${scripts++}.mjs`);
      writeFileSync(script, source, { mode: 0o644 });
      return runAsNobody([script], runOptions);
    },
    runCrifs(args, runOptions = {}) {
      return runAsNobody([join(root, "bin", "crifs")], { ...runOptions, args });
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
