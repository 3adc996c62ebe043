// Runs the compiled tests with node's built-in runner.
//   unit:        every dist/src/**/*.test.js and dist/test/deploy/*.test.js (deploy/'s manifests, offline;
//                one process per file, in parallel)
//   integration: dist/test/integration/all.test.js (one real test bed for the whole run; needs root)
//   pack:        dist/test/pack/pack.test.js (npm pack, then npm install of the tarball; needs the registry)
// Node 20's --test takes files, not globs, so the files are collected here.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const which = process.argv[2] ?? "unit";
const dist = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "dist");

function collect(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) collect(p, out);
    else if (e.name.endsWith(".test.js")) out.push(p);
  }
  return out.sort();
}

const files =
  which === "integration"
    ? [join(dist, "test", "integration", "all.test.js")]
    : which === "pack"
      ? [join(dist, "test", "pack", "pack.test.js")]
      : [...collect(join(dist, "src")), ...collect(join(dist, "test", "deploy"))];
if (files.length === 0 || !files.every((f) => existsSync(f))) {
  console.error(`run-tests: no ${which} test files under ${dist}: run \`npm run build\` first`);
  process.exit(2);
}
// The integration file is one test to node's runner: its bound is the whole suite's (about 15 min on a quiet
// CI machine; a loaded 2-core machine passed 20 min and was cut off mid-suite). 45 min keeps a hang bounded
// inside CI's 90 while a slow machine still finishes; every wait inside the suite has its own timeout.
const extra = which === "integration" ? ["--test-concurrency=1", "--test-timeout=2700000"] : [];
const r = spawnSync(process.execPath, ["--test", ...extra, ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
