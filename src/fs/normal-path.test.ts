import assert from "node:assert/strict";
import { posix } from "node:path";
import { test } from "node:test";
import { normalPath } from "./normal-path.js";

test("normalPath is posix.normalize, for every path of a few parts", () => {
  const parts = ["", ".", "..", "a", ".a", "a.", "..a", "/", "//", "b/c", "./", "../"];
  let n = 0;
  for (const x of parts)
    for (const y of parts)
      for (const z of parts)
        for (const lead of ["", "/"]) {
          const p = `${lead}${x}/${y}${z}`;
          assert.equal(normalPath(p), posix.normalize(p), JSON.stringify(p));
          assert.equal(normalPath(`${x}${y}`), posix.normalize(`${x}${y}`), JSON.stringify(`${x}${y}`));
          n++;
        }
  assert.ok(n > 3000);
  const listed = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/100000";
  assert.equal(normalPath(listed), listed);
});
