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
// node_modules. The web view's page (web/app.ts, with dagre and d3-hierarchy bundled in: no CDN) goes to
// <dist>/src/web/assets/ beside index.html and app.css, where web/routes.ts serves them. Without esbuild (a production install) it says so and bin/crifs uses the
// unbundled modules.
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";

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

/**
 * Packages our modules load on first use with a sync require, which esbuild does not follow (format.ts's YAML
 * writer through createRequire, live/address.ts's createRequire(import.meta.url)("yaml")): each is bundled
 * on its own into one CommonJS file, <outdir>/vendor-<name>.cjs, and those calls are pointed at it. yaml is
 * some 60 files; resolving and compiling them one by one was most of `crifs info`'s own time.
 */
const vendored = ["yaml"];
const vendorFile = (name) => join(outdir, `vendor-${name.replace(/[@/]/g, "_")}.cjs`);

/**
 * import.meta.url → the URL of the module's own unbundled file. For the CommonJS bundle (`commonJs`), a
 * module's createRequire(import.meta.url) becomes the bundle's own require, which esbuild follows: the
 * vendored packages are bundled into crifs.cjs (and so into its code cache) instead of loaded beside it.
 */
function ownUrl({ commonJs }) {
  return {
    name: "own-import-meta-url",
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, async (args) => {
        let contents = await readFile(args.path, "utf8");
        if (args.path.startsWith(ours) && commonJs) {
          contents = contents
            .replaceAll("const require = createRequire(import.meta.url);", "")
            .replaceAll("createRequire(import.meta.url)(", "require(");
        } else if (args.path.startsWith(ours)) {
          for (const name of vendored) {
            // require("yaml") or createRequire(import.meta.url)("yaml"); the require resolves relative to the
            // module's unbundled file (import.meta.url is rewritten below)
            const call = new RegExp(`(require|\\))\\(${JSON.stringify(name)}\\)`, "g");
            let rel = relative(dirname(args.path), vendorFile(name)).split("\\").join("/");
            if (!rel.startsWith(".")) rel = `./${rel}`;
            contents = contents.replace(call, (_, before) => `${before}(${JSON.stringify(rel)})`);
          }
        }
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
}

/** Packages bundled: pure JS that every command loads (and, in the CommonJS bundle, the vendored ones). Any
 * other (native addons such as better-sqlite3, gRPC) stays in node_modules and loads as it would unbundled. */
function onlyBundled(extra = []) {
  const bundledPackages = new Set(["commander", "smol-toml", ...extra]);
  return {
    name: "only-bundled-packages",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const parts = args.path.split("/");
        const name = args.path.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
        return bundledPackages.has(name) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

/**
 * Builtins that load on first use, not at start-up: node:child_process (commander requires it for
 * executable subcommands, which crifs has none of; it pulls in net and dgram) and node:crypto (sha256 of
 * content and chain ids, which metadata commands never call). Each import or require of one resolves to a
 * module of the same names whose functions load the real one on their first call. Only functions are
 * wrapped: a builtin whose class or constant is used at load time must not be listed here.
 */
const lazyBuiltins = ["node:child_process", "node:crypto"];
const lazyLoad = {
  name: "lazy-builtins",
  setup(build) {
    const filter = new RegExp(`^(${lazyBuiltins.map((b) => b.replace(":", "\\:")).join("|")})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: "lazy-builtin" }));
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, async (args) => {
      const real = await import(args.path);
      const names = Object.keys(real).filter(
        (k) => k !== "default" && /^[a-z]/.test(k) && typeof real[k] === "function",
      );
      const lines = [
        `import { createRequire } from "node:module";`,
        "let real;",
        `const load = () => (real ??= createRequire(import.meta.url)(${JSON.stringify(args.path)}));`,
        ...names.map((k) => `export function ${k}(...a) { return load().${k}(...a); }`),
        `export default { ${names.join(", ")} };`,
      ];
      return { contents: lines.join("\n"), loader: "js", resolveDir: process.cwd() };
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
  plugins: [lazyLoad, ownUrl({ commonJs: false }), onlyBundled()],
  // less to parse at start-up; names are kept for --debug's stacks
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
});

/**
 * The same CLI as one CommonJS file, <outdir>/crifs.cjs, that bin/crifs compiles through vm.Script with a V8
 * code cache (crifs.cjs.cache, made by scripts/code-cache.mjs): Node 20 keeps no compiled code of ES modules from one run
 * to the next, and parsing and compiling the bundle was a third of `crifs images`'s instructions. A dynamic
 * import of one of our modules becomes a call that initialises it on first use, so a command still runs only
 * its own modules' top levels. import.meta.url is this file's URL, to which the ownUrl plugin has made each
 * module's own URL relative; bin/crifs passes the file's path as __filename.
 */
await esbuild.build({
  stdin: {
    contents: `export { run } from ${JSON.stringify(resolve(dist, "src", "cli", "main.js"))};`,
    resolveDir: process.cwd(),
    sourcefile: "crifs-entry.js",
  },
  outfile: join(outdir, "crifs.cjs"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  banner: { js: 'var __crifsBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { "import.meta.url": "__crifsBundleUrl" },
  plugins: [lazyLoad, ownUrl({ commonJs: true }), onlyBundled(vendored)],
  // walk-native's require of the addon by its path is resolved when it runs, as unbundled
  logOverride: { "unsupported-require-call": "silent" },
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
});

for (const name of vendored) {
  await esbuild.build({
    stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: process.cwd() },
    outfile: vendorFile(name),
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning",
  });
}

// the web view's page: one browser script, every library in it (the page loads nothing crifs does not serve)
const webOut = join(dist, "src", "web", "assets");
const webSrc = join(dirname(new URL(import.meta.url).pathname), "..", "web");
rmSync(webOut, { recursive: true, force: true });
mkdirSync(webOut, { recursive: true });
await esbuild.build({
  entryPoints: [join(webSrc, "app.ts")],
  outfile: join(webOut, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "linked",
  logLevel: "warning",
});
for (const f of ["index.html", "app.css"]) copyFileSync(join(webSrc, f), join(webOut, f));
