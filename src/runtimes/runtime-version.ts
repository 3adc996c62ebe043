// runtimes/runtime-version.ts — what every adapter's version finding shares: asking a binary its version (an
// exec, bounded), and whether a version falls in the line a store's own markers prove ("2.x", "2.1+", "23+").
// Which binary, which markers and what they prove are each runtime's own (runtimes/<runtime>/).

import { execFileSync } from "node:child_process";
import type { RuntimeVersion } from "../model/store.js";

/** [major, minor] of a version ("2.1.9+unknown", "26.1.5+dfsg1", "2.x", "2.1+", "23+"), or null. */
export function majorMinor(version: string): [number, number] | null {
  const m = /^v?(\d+)(?:\.(\d+|x))?/.exec(version);
  if (m === null) return null;
  return [Number(m[1]), m[2] === undefined || m[2] === "x" ? 0 : Number(m[2])];
}

/** Whether `version` falls in what the markers prove (a marker "2.x" or "23+": that major or later). */
export function agreesWithMarker(version: string, marker: string | null): boolean {
  if (marker === null) return true;
  const v = majorMinor(version);
  const m = majorMinor(marker);
  if (v === null || m === null) return false;
  return v[0] > m[0] || (v[0] === m[0] && v[1] >= m[1]);
}

/** What `binary --version` prints, parsed; null when it is absent, fails, or says nothing parse can read.
 * A runtime's binary answers at once; 2 s bounds a hung or foreign one. Cost: one exec. */
export function versionOfBinary(binary: string, parse: (out: string) => string | null): string | null {
  try {
    return parse(execFileSync(binary, ["--version"], { encoding: "utf8", timeout: 2000, stdio: "pipe" }));
  } catch {
    return null;
  }
}

/** The binary on PATH when it agrees with the store's markers, else the markers; with a host root (a node's
 * disk: no binary here is the node's) the markers only. */
export function binaryOrMarker(
  marker: RuntimeVersion | null,
  hostRoot: string | undefined,
  binary: () => string | null,
): RuntimeVersion | null {
  if (hostRoot !== undefined) return marker;
  const onPath = binary();
  if (onPath !== null && agreesWithMarker(onPath, marker?.version ?? null))
    return { version: onPath, source: "binary" };
  return marker;
}

/** The version in a `… version 26.1.5+dfsg1, build a72d7cd` or `podman version 5.4.2` line; null if none. */
export function versionAfterWord(out: string): string | null {
  return /\bversion v?(\d+\.\d+[^\s,]*)/i.exec(out)?.[1] ?? null;
}
