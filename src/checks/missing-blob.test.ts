import assert from "node:assert/strict";
import { test } from "node:test";
import { missingBlob } from "./missing-blob.js";
import { blobPath, brief, NOW, scenario } from "./testing.js";

test("a record whose file is gone is reported once per digest, naming the image it is the target of", () => {
  const input = scenario()
    .image("default", "bb:index", "sha256:idx")
    .blob("default", "sha256:idx", {}, { noFile: true })
    .blob("k8s.io", "sha256:idx", {}, { noFile: true })
    .blob("default", "sha256:ok")
    .input();
  const found = missingBlob.run(input);
  assert.deepEqual(found.map(brief), [`missing-blob ${blobPath("sha256:idx")} 0 blob sha256:idx`]);
  assert.match(found[0]?.message ?? "", /"default", "k8s.io".*bb:index/);
  assert.equal(found[0]?.severity, "error");
});

test("a fresh record whose file is missing is in flight, and so is the loader's complaint about it", () => {
  const fresh = new Date(NOW - 1000).toISOString();
  const input = scenario()
    .image("default", "bb:index", "sha256:idx")
    .blob("default", "sha256:idx", {}, { noFile: true, createdAt: fresh })
    .anomaly(
      blobPath("sha256:idx"),
      "image default/bb:index",
      "cannot read sha256:idx of image default/bb:index: blob not found",
    )
    .input();
  assert.deepEqual(missingBlob.run(input), []);
});

test("an image target with neither record nor file, and a manifest the loader could not find, are reported", () => {
  const input = scenario()
    .image("default", "ghost", "sha256:nothing")
    .image("default", "half", "sha256:idx2")
    .blob("default", "sha256:idx2")
    .anomaly(
      blobPath("sha256:man2"),
      "image default/half",
      "cannot read sha256:man2 of image default/half: blob not found",
    )
    .input();
  assert.deepEqual(missingBlob.run(input).map(brief), [
    `missing-blob ${blobPath("sha256:nothing")} 0 image default/ghost`,
    `missing-blob ${blobPath("sha256:man2")} 0 image default/half`,
  ]);
});
