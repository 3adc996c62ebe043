#!/usr/bin/env node
// scripts/build-exe.mjs — `npm run build:exe` (after `npm run build`): crifs as one executable file that runs
// on a Linux node with no Node.js installed, and a container image of it, both made offline:
//
//   dist/exe/crifs              Node's single-executable application: a copy of this node binary with the
//                               blob injected (postject): the CLI bundled into one CommonJS file (esbuild),
//                               and as assets (fs/sea-assets.ts) the native addons, the proto files, the
//                               worker scripts and package.json
//   dist/exe/rootfs/            the image's whole file system: the executable and the shared libraries ldd
//                               names for it and for the addons (glibc, libstdc++, libgcc_s), nothing else
//   dist/exe/oci/               an OCI image layout (umoci) of that rootfs, tag = the package version,
//                               entrypoint crifs
//   dist/exe/crifs.oci.tar      the same layout as one oci-archive (ctr images import, skopeo copy)
//
// Every module's import.meta.url becomes a file URL under /crifs-exe/ (a path that is never there): what a
// module finds beside itself comes from the assets instead (fs/sea-assets.ts), a createRequire of a package
// becomes a plain require that esbuild bundles, and `new Worker(url)` runs the carried code of that worker
// (every dist/src/**/*-worker.js, bundled on its own) with eval. The addons of packages (@napi-rs/xattr,
// better-sqlite3) are loaded through fs/sea-assets.ts's loadSeaAddon.
//
// Usage: node scripts/build-exe.mjs [--no-image]
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const top = resolve(dirname(new URL(import.meta.url).pathname), "..");
const dist = join(top, "dist");
const out = join(dist, "exe");
const work = join(out, "build");
const withImage = !process.argv.includes("--no-image");

function fail(message) {
  console.error(`build-exe: ${message}`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...options });
  if (r.error) fail(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0)
    fail(`${cmd} ${args.join(" ")} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

if (!existsSync(join(dist, "src", "cli", "main.js")))
  fail("cannot find dist/src/cli/main.js: run `npm run build` first");
const pkg = JSON.parse(readFileSync(join(top, "package.json"), "utf8"));
rmSync(out, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// ---- assets: key (path in the package) -> file
const assets = new Map();
assets.set("package.json", join(top, "package.json"));
for (const walk = [join(top, "proto")]; walk.length > 0; ) {
  const dir = walk.pop();
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk.push(p);
    else if (e.name.endsWith(".proto")) assets.set(relative(top, p), p);
  }
}
// the web view's page (scripts/bundle.mjs made it; web/routes.ts serves it from these keys in the executable)
for (const f of ["index.html", "app.js", "app.css"]) {
  const file = join(dist, "src", "web", "assets", f);
  if (existsSync(file)) assets.set(`web/${f}`, file);
}
const scanner = join(top, "build", "Release", "crifs_scan.node");
if (existsSync(scanner)) assets.set("build/Release/crifs_scan.node", scanner);
else
  console.error(
    "build-exe: the native scanner is not built (npm run install): the executable will use the JS scanner",
  );
const xattrKey = `node_modules/@napi-rs/xattr-${process.platform}-${process.arch}-gnu/xattr.${process.platform}-${process.arch}-gnu.node`;
if (existsSync(join(top, xattrKey))) assets.set(xattrKey, join(top, xattrKey));
const sqliteDir = "node_modules/better-sqlite3/build/Release";
if (existsSync(join(top, sqliteDir, "better_sqlite3.node")))
  assets.set(`${sqliteDir}/better_sqlite3.node`, join(top, sqliteDir, "better_sqlite3.node"));

// ---- the JS: one CommonJS file for the CLI, one per worker
const esbuild = await import("esbuild");
const seaAssetsJs = join(dist, "src", "fs", "sea-assets.js");
const shims = {
  "@napi-rs/xattr": `module.exports = require(${JSON.stringify(seaAssetsJs)}).loadSeaAddon(${JSON.stringify(xattrKey)});`,
  bindings: `module.exports = (name) => require(${JSON.stringify(seaAssetsJs)}).loadSeaAddon(${JSON.stringify(`${sqliteDir}/`)} + name);`,
};
for (const [name, code] of Object.entries(shims))
  writeFileSync(join(work, `shim-${name.replace(/\W/g, "_")}.cjs`), code);

const ours = `${join(dist, "src")}/`;
/** import.meta.url → a URL under /crifs-exe/; createRequire(import.meta.url) → the bundle's require. */
const seaModules = {
  name: "sea-modules",
  setup(build) {
    build.onResolve({ filter: /^(@napi-rs\/xattr|bindings)$/ }, (args) => ({
      path: join(work, `shim-${args.path.replace(/\W/g, "_")}.cjs`),
    }));
    build.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(ours)) return undefined;
      let contents = readFileSync(args.path, "utf8");
      contents = contents
        .replaceAll("new Worker(", "new __CrifsWorker(")
        .replaceAll("const require = createRequire(import.meta.url);", "")
        .replaceAll("createRequire(import.meta.url)(", "require(")
        .replaceAll("import.meta.url", `__crifsModuleUrl(${JSON.stringify(relative(top, args.path))})`);
      return { contents, loader: "js" };
    });
  },
};
/**
 * Defined ahead of every bundle: a module's URL under /crifs-exe/, and a Worker that runs the carried code of
 * the worker file it is given (asset "worker/<file name>") with eval, or the file itself when not carried.
 */
const banner = `var __crifsModuleUrl = (rel) => require("node:url").pathToFileURL("/crifs-exe/" + rel).href;
var __CrifsWorker = class extends require("node:worker_threads").Worker {
  constructor(what, options) {
    const name = String(what instanceof URL ? what.pathname : what).split("/").pop();
    let code = null;
    try { code = require("node:sea").getAsset("worker/" + name, "utf8"); } catch {}
    super(code ?? what, code === null ? options : { ...options, eval: true });
  }
};`;
const common = {
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  banner: { js: banner },
  plugins: [seaModules],
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  // walk-native's require of the addon by path is never reached in the executable (it dlopens the asset)
  logOverride: { "unsupported-require-call": "silent" },
};
const entry = `import { run } from ${JSON.stringify(join(dist, "src", "cli", "main.js"))};
run(process.argv.slice(2)).then((code) => { process.exitCode = code; });`;
await esbuild.build({
  ...common,
  stdin: { contents: entry, resolveDir: top },
  outfile: join(work, "crifs.cjs"),
});
// every worker module of dist/src (*-worker.js: the JS scanner's, the file digests', serve's scans), each
// bundled on its own; they are found by file name, which must be unique
const workers = [];
for (const walk = [join(dist, "src")]; walk.length > 0; ) {
  const dir = walk.pop();
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk.push(join(dir, e.name));
    else if (e.name.endsWith("-worker.js")) workers.push(join(dir, e.name));
  }
}
for (const w of workers) {
  const name = w.split("/").pop();
  if (assets.has(`worker/${name}`))
    fail(`two worker modules are named ${name}: the executable finds them by name`);
  const file = join(work, "worker", name);
  await esbuild.build({ ...common, entryPoints: [w], outfile: file });
  assets.set(`worker/${name}`, file);
}

// ---- the blob and the executable
const hash = createHash("sha256").update(readFileSync(join(work, "crifs.cjs")));
for (const [key, file] of [...assets].sort()) hash.update(key).update(readFileSync(file));
const id = hash.digest("hex").slice(0, 16);
const manifestFile = join(work, "sea-manifest.json");
writeFileSync(manifestFile, JSON.stringify({ id, version: pkg.version, keys: [...assets.keys()].sort() }));
assets.set("sea-manifest.json", manifestFile);
const config = {
  main: join(work, "crifs.cjs"),
  output: join(work, "sea-prep.blob"),
  disableExperimentalSEAWarning: true,
  assets: Object.fromEntries(assets),
};
writeFileSync(join(work, "sea-config.json"), JSON.stringify(config, null, 2));
run(process.execPath, ["--experimental-sea-config", join(work, "sea-config.json")]);
const exe = join(out, "crifs");
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
// postject's CLI in a child: its ELF library prints a warning per note section it cannot name, which says
// nothing about the result; its output is shown only when the injection fails
run(process.execPath, [
  join(top, "node_modules", "postject", "dist", "cli.js"),
  exe,
  "NODE_SEA_BLOB",
  config.output,
  "--sentinel-fuse",
  "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2",
]);
const version = run(exe, ["--version"]).trim();
if (version !== pkg.version) fail(`dist/exe/crifs --version says "${version}", not "${pkg.version}"`);
console.log(
  `build-exe: dist/exe/crifs ${version} (${(statSync(exe).size / 2 ** 20).toFixed(0)} MiB, build ${id})`,
);

if (!withImage) process.exit(0);

// ---- the image: the executable and its shared libraries, nothing else
const rootfs = join(out, "rootfs");
const libs = new Set();
for (const f of [exe, ...[...assets.values()].filter((p) => p.endsWith(".node"))]) {
  for (const line of run("ldd", [f]).split("\n")) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]);
  }
}
for (const lib of libs) {
  const to = join(rootfs, lib);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(lib, to); // follows the symlink: the image holds the file under the name the loader asks for
}
mkdirSync(join(rootfs, "usr", "local", "bin"), { recursive: true });
copyFileSync(exe, join(rootfs, "usr", "local", "bin", "crifs"));
chmodSync(join(rootfs, "usr", "local", "bin", "crifs"), 0o755);
for (const d of ["etc", "tmp", "var/cache/crifs", "host"])
  mkdirSync(join(rootfs, d), { recursive: true, mode: 0o700 });
chmodSync(join(rootfs, "tmp"), 0o1777);
writeFileSync(join(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/usr/local/bin/crifs\n");

const layout = join(out, "oci");
const image = `${layout}:${pkg.version}`;
run("umoci", ["init", "--layout", layout]);
run("umoci", ["new", "--image", image]);
run("umoci", ["insert", "--image", image, rootfs, "/"]);
run("umoci", [
  "config",
  "--image",
  image,
  "--config.entrypoint",
  "/usr/local/bin/crifs",
  "--config.cmd=version",
  "--config.user",
  "0:0",
  "--config.workingdir",
  "/",
  "--config.env",
  "PATH=/usr/local/bin",
  "--config.label",
  `org.opencontainers.image.version=${pkg.version}`,
  "--config.label",
  "org.opencontainers.image.title=crifs",
  "--author",
  "crifs",
  "--history.created_by",
  "scripts/build-exe.mjs",
]);
run("umoci", ["gc", "--layout", layout]);
run("tar", ["-C", layout, "-cf", join(out, "crifs.oci.tar"), "."]);
console.log(
  `build-exe: dist/exe/oci:${pkg.version} and dist/exe/crifs.oci.tar (${libs.size} shared libraries)`,
);
