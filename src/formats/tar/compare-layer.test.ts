// compare-layer.test.ts — compareLayer on hand-made trees: every kind of difference, one line each, sorted by
// path; what is not compared (implicit dirs' modes, whiteouts' modes, a hard link's second name's mode) stays
// quiet; a zero-filled file is named as such. The end-to-end comparison against real unpacked layers is in
// checks/layer-content-mismatch.test.ts and the doctor integration suite.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { compareLayer, type FoundEntry, isZeroFilled } from "./compare-layer.js";
import type { LayerEntry } from "./layer.js";

/** What a wanted and a found entry are unless told otherwise: a 3-byte file, mode 644. */
const FILE = {
  kind: "file",
  mode: 0o644,
  size: 3,
  sha256: "aa".repeat(32),
  target: null,
  device: null,
  isOpaque: false,
} as const;

function want(path: string, over: Partial<LayerEntry> = {}): LayerEntry {
  return { path, ...FILE, hardLinkTo: null, isImplicit: false, ...over };
}

function have(path: string, over: Partial<FoundEntry> = {}): FoundEntry {
  return { path, ...FILE, inode: `1:${path.length}`, ...over };
}

function trees(pairs: readonly [LayerEntry | null, FoundEntry | null][]) {
  const expected = new Map<string, LayerEntry>();
  const actual = new Map<string, FoundEntry>();
  for (const [e, a] of pairs) {
    if (e !== null) expected.set(e.path, e);
    if (a !== null) actual.set(a.path, a);
  }
  return { expected, actual };
}

test("compareLayer names each difference: missing, extra, kind, size, contents, mode, target, opaque, hard link", () => {
  const { expected, actual } = trees([
    [want("/same"), have("/same")],
    [want("/gone"), null],
    [null, have("/extra")],
    [want("/kind"), have("/kind", { kind: "dir", size: 0, sha256: null })],
    [want("/size"), have("/size", { size: 4 })],
    [want("/zeroed"), have("/zeroed", { sha256: "00".repeat(32) })],
    [want("/mode"), have("/mode", { mode: 0o755 })],
    [
      want("/ln", { kind: "symlink", mode: null, target: "a" }),
      have("/ln", { kind: "symlink", target: "b" }),
    ],
    [want("/d", { kind: "dir", isOpaque: true, mode: 0o755 }), have("/d", { kind: "dir", mode: 0o755 })],
    [
      want("/implicit", { kind: "dir", mode: null, isImplicit: true }),
      have("/implicit", { kind: "dir", mode: 0o700 }),
    ],
    [
      want("/wo", { kind: "whiteout", mode: null, device: { major: 0, minor: 0 } }),
      have("/wo", { kind: "whiteout", mode: 0, device: { major: 0, minor: 0 } }),
    ],
    [want("/h1"), have("/h1", { inode: "1:100" })],
    [want("/h2", { hardLinkTo: "/h1", mode: 0o600 }), have("/h2", { inode: "1:200" })],
    [want("/h3", { hardLinkTo: "/h1" }), have("/h3", { inode: "1:100" })],
  ]);
  assert.deepEqual(compareLayer(expected, actual), [
    "/d: is not opaque, the layer's dir is",
    "/extra: a file the layer does not have",
    "/gone: missing (the layer has a file)",
    "/h2: is not a hard link of /h1, as it is in the layer",
    "/kind: is a dir, the layer has a file",
    '/ln: links to "b", the layer to "a"',
    "/mode: mode 0755, the layer 0644",
    "/size: holds 4 bytes, the layer 3",
    `/zeroed: contents differ (sha256 ${"00".repeat(6)}… on disk, ${"aa".repeat(6)}… in the layer)`,
  ]);
});

test("a differing file of zero bytes is told apart from other damage; big or empty files are not hashed", () => {
  const zeros = createHash("sha256").update(Buffer.alloc(3)).digest("hex");
  assert.equal(isZeroFilled(3, zeros), true);
  assert.equal(isZeroFilled(3, "aa".repeat(32)), false);
  assert.equal(isZeroFilled(0, createHash("sha256").update("").digest("hex")), false);
  assert.equal(isZeroFilled(2 ** 40, zeros), false);
  const { expected, actual } = trees([[want("/z"), have("/z", { sha256: zeros })]]);
  assert.deepEqual(compareLayer(expected, actual), [
    `/z: contents differ (sha256 ${zeros.slice(0, 12)}… on disk, ${"aa".repeat(6)}… in the layer, all zero bytes on disk)`,
  ]);
});
