#!/usr/bin/env node
// scripts/bundle.mjs <dist dir> — bundles the CLI built by tsc (<dist>/src/cli/main.js) into
// <dist>/src/bundle/: main.js with what every command needs, and one chunk per command (and per shared
// part) that loads when that command runs, as the dynamic imports in cli/program.ts say. Start-up was the
// Node module loader resolving and linking ~100 ES modules for `crifs images` (issue 15 item 4); bin/crifs
// loads the bundle when it is there and not older than the modules it was made from.
//
// Each module's import.meta.url is rewritten to the URL its unbundled file has, so what a module finds
// relative to itself still holds: the native addon (../../../build), package.json, the sample, the proto
// files, and the worker entries (walk-worker.js, file-digest-worker.js), which stay unbundled files of <dist>.
// commander and smol-toml are bundled; every other package (gRPC, yaml, xattr, native addons) stays in
// node_modules. Without esbuild (a production install) it says so and bin/crifs uses the
// unbundled modules.
import { existsSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";

const dist = process.argv[2];
if (dist === undefined || !existsSync(join(dist, "src", "cli", "main.js"))) {
  console.error(
    `bundle: cannot find ${dist ?? "<dist>"}/src/cli/main.js (usage: node scripts/bundle.mjs dist)`,
  );
  process.exit(64);
}
const outdir = join(dist, "src", "bundle");
const ours = `${resolve(dist, "src")}/`;
rmSync(outdir, { recursive: true, force: true }); // never a bundle older than the modules

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  // stderr: npm pack --json prints its report on stdout, where prepack's output would land too
  console.error("bundle: esbuild is not installed: bin/crifs will load the unbundled modules");
  process.exit(0);
}

/** import.meta.url → the URL of the module's own unbundled file. */
const ownUrl = {
  name: "own-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      let contents = await readFile(args.path, "utf8");
      if (args.path.startsWith(ours) && contents.includes("import.meta.url")) {
        const rel = relative(outdir, args.path).split("\\").join("/");
        contents = contents.replaceAll(
          "import.meta.url",
          `new URL(${JSON.stringify(rel)}, import.meta.url).href`,
        );
      }
      return { contents, loader: "js" };
    });
  },
};

/** Packages bundled: pure JS that every command loads. Any other (native addons such as better-sqlite3,
 * gRPC, yaml) stays in node_modules and loads as it would unbundled. */
const bundledPackages = new Set(["commander", "smol-toml"]);
const onlyBundled = {
  name: "only-bundled-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const parts = args.path.split("/");
      const name = args.path.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
      return bundledPackages.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

await esbuild.build({
  entryPoints: [join(dist, "src", "cli", "main.js")],
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // commander is CommonJS: its require() of node builtins needs a require in an ES module
  banner: {
    js: 'import { createRequire as __crifsCreateRequire } from "node:module"; const require = __crifsCreateRequire(import.meta.url);',
  },
  plugins: [ownUrl, onlyBundled],
  logLevel: "warning",
});
