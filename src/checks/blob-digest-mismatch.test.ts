import assert from "node:assert/strict";
import { test } from "node:test";
import { blobDigestMismatch } from "./blob-digest-mismatch.js";
import { blobPath, brief, scenario } from "./testing.js";

test("a blob whose bytes hash to another digest is an error; matching ones and unverified runs are quiet", () => {
  const s = scenario().blobFile("sha256:aa").blobFile("sha256:bb");
  assert.deepEqual(blobDigestMismatch.run(s.input()), []); // no hashes: --verify not given
  const input = s.hash("sha256:aa", "sha256:aa").hash("sha256:bb", "sha256:cc").input();
  assert.deepEqual(blobDigestMismatch.run(input).map(brief), [
    `blob-digest-mismatch ${blobPath("sha256:bb")} 0 blob sha256:bb`,
  ]);
});
