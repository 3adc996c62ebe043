import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  agreesWithMarker,
  binaryOrMarker,
  majorMinor,
  versionAfterWord,
  versionOfBinary,
} from "./runtime-version.js";

test("versions as the runtimes print them, and the lines markers prove", () => {
  assert.equal(versionAfterWord("Docker version 20.10.24+dfsg1, build 5d6db84\n"), "20.10.24+dfsg1");
  assert.equal(versionAfterWord("podman version 5.4.2\n"), "5.4.2");
  assert.equal(versionAfterWord("no version here"), null);
  assert.deepEqual(majorMinor("2.1.9+unknown"), [2, 1]);
  assert.deepEqual(majorMinor("2.x"), [2, 0]);
  assert.deepEqual(majorMinor("23+"), [23, 0]);
  assert.equal(majorMinor("unknown"), null);
});

test("a binary counts only where the store's markers allow it; with a host root only the markers do", () => {
  assert.equal(agreesWithMarker("26.1.5", "23+"), true);
  assert.equal(agreesWithMarker("20.10.24", "23+"), false);
  assert.equal(agreesWithMarker("4.3.1", "4.8+"), false);
  assert.equal(agreesWithMarker("4.3.1", null), true);
  const marker = { version: "23+", source: "store" } as const;
  assert.deepEqual(
    binaryOrMarker(marker, undefined, () => "26.1.5"),
    { version: "26.1.5", source: "binary" },
  );
  assert.deepEqual(
    binaryOrMarker(marker, undefined, () => "20.10.24"),
    marker,
  );
  assert.deepEqual(
    binaryOrMarker(null, undefined, () => null),
    null,
  );
  assert.deepEqual(
    binaryOrMarker(null, "/node", () => {
      throw new Error("no binary of this machine is the node's");
    }),
    null,
  );
});

test("a binary's --version output is remembered for that very file: once per file, again after a write", () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-version-"));
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = join(dir, "cache");
  try {
    const calls = join(dir, "calls");
    const bin = join(dir, "fakectl");
    const script = (v: string) => `#!/bin/sh\necho x >> ${calls}\necho "fakectl version ${v}, build 1"\n`;
    writeFileSync(bin, script("1.2.3"), { mode: 0o755 });
    const count = () => readFileSync(calls, "utf8").trim().split("\n").length;
    assert.equal(versionOfBinary(bin, versionAfterWord), "1.2.3");
    assert.equal(versionOfBinary(bin, versionAfterWord), "1.2.3");
    assert.equal(count(), 1, "the second answer came from the cache");
    writeFileSync(bin, script("1.2.4"), { mode: 0o755 }); // an upgrade: a new ctime
    assert.equal(versionOfBinary(bin, versionAfterWord), "1.2.4");
    assert.equal(count(), 2);
    assert.equal(versionOfBinary(join(dir, "absent"), versionAfterWord), null);
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
