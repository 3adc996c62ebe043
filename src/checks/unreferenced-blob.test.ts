import assert from "node:assert/strict";
import { test } from "node:test";
import { blobPath, brief, NOW, scenario } from "./testing.js";
import { unreferencedBlob } from "./unreferenced-blob.js";

test("a blob file with no record in any namespace is reported with its allocated bytes", () => {
  const input = scenario()
    .image("default", "bb", "sha256:idx")
    .blob("default", "sha256:idx")
    .blobFile("sha256:stray", { bytes: 4096 })
    .blobFile("sha256:arriving", { mtimeMs: NOW - 100 })
    .input();
  assert.deepEqual(unreferencedBlob.run(input).map(brief), [
    `unreferenced-blob ${blobPath("sha256:stray")} 4096 blob sha256:stray`,
  ]);
});

test("an unreachable record frees its file only when no other namespace keeps the digest alive", () => {
  const input = scenario()
    .image("a", "bb", "sha256:shared")
    .blob("a", "sha256:shared", {}, { bytes: 8192 })
    .blob("b", "sha256:shared", {}, { bytes: 8192 })
    .blob("b", "sha256:dead", {}, { bytes: 4096 })
    .blob("c", "sha256:dead", {}, { bytes: 4096 })
    .blob("b", "sha256:gone", {}, { noFile: true })
    .input();
  assert.deepEqual(unreferencedBlob.run(input).map(brief), [
    `unreferenced-blob ${blobPath("sha256:shared")} 0 blob b/sha256:shared`,
    `unreferenced-blob ${blobPath("sha256:dead")} 4096 blob b/sha256:dead`,
    `unreferenced-blob ${blobPath("sha256:dead")} 0 blob c/sha256:dead`,
  ]);
});

test("blobs referenced by other blobs' labels, leases and gc.root labels are not reported", () => {
  const input = scenario()
    .image("default", "bb", "sha256:idx")
    .blob("default", "sha256:idx", { "containerd.io/gc.ref.content.m.0": "sha256:man" })
    .blob("default", "sha256:man", { "containerd.io/gc.ref.content.l.0": "sha256:layer" })
    .blob("default", "sha256:layer")
    .blob("default", "sha256:leased")
    .lease("default", "l", { content: ["sha256:leased"] })
    .blob("default", "sha256:root", { "containerd.io/gc.root": "t" })
    .input();
  assert.deepEqual(unreferencedBlob.run(input), []);
});
