// native/build.mjs — npm's install hook: builds the native scanner (binding.gyp → build/Release/crifs_scan.node)
// with the node-gyp that npm bundles. It never fails the install: without a compiler, make or python3, it prints
// one line and crifs uses its JS scanner. CRIFS_SKIP_NATIVE=1 skips the build.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath &&
      join(dirname(process.env.npm_execpath), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ];
  for (const c of candidates) if (c && existsSync(c)) return [process.execPath, [c]];
  return ["node-gyp", []]; // on PATH, if anywhere
}

function reason(output) {
  const lines = output.split("\n").map((l) => l.trim());
  const hit =
    lines.find((l) => /gyp ERR! stack Error:|: error:|not found:/.test(l)) ??
    lines.find((l) => l.startsWith("gyp ERR!")) ??
    lines.filter((l) => l !== "").pop() ??
    "unknown reason";
  return hit.replace(/^gyp ERR! (stack )?/, "").slice(0, 160);
}

if (process.env.CRIFS_SKIP_NATIVE === "1") {
  console.log("crifs: native scanner not built (CRIFS_SKIP_NATIVE=1): crifs will use its JS scanner");
  process.exit(0);
}
const [cmd, pre] = nodeGyp();
const r = spawnSync(cmd, [...pre, "rebuild"], {
  cwd: root,
  encoding: "utf8",
  stdio: ["ignore", "pipe", "pipe"],
});
if (r.status === 0 && existsSync(join(root, "build", "Release", "crifs_scan.node"))) {
  console.log("crifs: built the native scanner (build/Release/crifs_scan.node)");
} else {
  const why = r.error ? `${cmd}: ${r.error.message}` : reason(`${r.stdout ?? ""}\n${r.stderr ?? ""}`);
  console.log(`crifs: native scanner not built (${why}): crifs will use its JS scanner`);
}
process.exit(0);
