// resolve-node-path.test.ts — node paths under a host root resolve as with the host root as / (absolute link
// targets re-rooted, `..` clamped), never to the same path on this machine: each test plants a different
// file at the outside target, so following a link out would read it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CrifsError } from "../errors.js";
import { resolveNodePath } from "./resolve-node-path.js";
import { plantTree, tempDir } from "./testing-tree.js";

test("an absolute symlink under the host root leads to its target inside the host root, not on this machine", () => {
  const outside = tempDir("crifs-outside-");
  const host = tempDir("crifs-host-");
  plantTree(outside, ["f data/containerd/marker outside"]);
  plantTree(host, [
    `l var/lib/containerd ${outside}/data/containerd`,
    `f ${outside}/data/containerd/marker inside`,
  ]);
  const r = resolveNodePath("/var/lib/containerd", host);
  assert.equal(r.exists, true);
  assert.equal(r.isLink, true);
  assert.equal(r.target, `${outside}/data/containerd`);
  assert.equal(r.hostPath, join(host, outside, "data/containerd"));
  assert.equal(readFileSync(join(r.hostPath, "marker"), "utf8"), "inside");
});

test("a relative symlink climbing with ../../.. stops at the host root", () => {
  const host = tempDir("crifs-host-");
  plantTree(host, ["d etc/containerd", "l etc/containerd/root ../../../../../../srv/ctd", "d srv/ctd"]);
  const r = resolveNodePath("/etc/containerd/root", host);
  assert.deepEqual(
    [r.exists, r.isLink, r.target, r.hostPath],
    [true, true, "/srv/ctd", join(host, "srv/ctd")],
  );
});

test("an absent node path is not an error: its host path lies below the first missing dir inside the host root", () => {
  const host = tempDir("crifs-host-");
  // the link's target is missing inside the host root, though /tmp exists on this machine
  plantTree(host, ["l var/lib/docker /tmp/nowhere-else"]);
  const r = resolveNodePath("/var/lib/docker/image", host);
  assert.equal(r.exists, false);
  assert.equal(r.target, "/tmp/nowhere-else/image");
  assert.equal(r.hostPath, join(host, "tmp/nowhere-else/image"));
});

test("a path through a file says absent, and its host path cannot be opened as that file", () => {
  const host = tempDir("crifs-host-");
  plantTree(host, ["f etc/file x"]);
  const r = resolveNodePath("/etc/file/config.toml", host);
  assert.equal(r.exists, false);
  assert.throws(() => readFileSync(r.hostPath), /ENOTDIR/);
});

test("a symlink loop under the host root is one error naming the path, not a hang", () => {
  const host = tempDir("crifs-host-");
  plantTree(host, ["l a /b", "l b /a"]);
  assert.throws(
    () => resolveNodePath("/a/x", host),
    (e: unknown) => e instanceof CrifsError && /too many levels of symbolic links/.test(e.message),
  );
});

test("without a host root the path is this machine's, as given, and a symlinked one says so", () => {
  const dir = tempDir("crifs-local-");
  plantTree(dir, ["d data/ctd", "l ctd data/ctd"]);
  const r = resolveNodePath(join(dir, "ctd"));
  assert.deepEqual(
    [r.exists, r.isLink, r.hostPath, r.target],
    [true, true, join(dir, "ctd"), join(dir, "data/ctd")],
  );
  assert.equal(resolveNodePath(join(dir, "none")).exists, false);
});
