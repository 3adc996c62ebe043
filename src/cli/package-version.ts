// cli/package-version.ts — crifs's version, read from the package.json it ships with, so `crifs --version`
// and `crifs version` say what `npm pack` stamped on the tarball instead of a constant that drifts.

import { readFileSync } from "node:fs";
import { seaAssetText } from "../fs/sea-assets.js";

/**
 * The "version" of the package.json three levels above this module: dist/src/cli/ (the dev build) and
 * dist-pkg/src/cli/ (the packaged build) both sit there. Cost: one read of a ~2 KB file at startup (well
 * under a millisecond; `crifs --version` is timed in bench/). "unknown" when the file is missing or has no
 * version: the version is never worth failing a command for.
 */
export function packageVersion(): string {
  try {
    // the single executable carries package.json as an asset (fs/sea-assets.ts)
    const text =
      seaAssetText("package.json") ?? readFileSync(new URL("../../../package.json", import.meta.url), "utf8");
    const v = (JSON.parse(text) as { version?: unknown }).version;
    return typeof v === "string" && v !== "" ? v : "unknown";
  } catch {
    return "unknown";
  }
}
