import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { imageMissingLayer } from "./image-missing-layer.js";
import { scenario } from "./testing.js";
import { HOME, healthy, testOverlayCheck } from "./testing-overlay.js";

testOverlayCheck(imageMissingLayer, "a healthy store's images have all their layers", [
  {
    title: "a missing top layer is reported; a missing middle layer is left to dangling-parent",
    store: healthy({ mid: { noRecord: true } })
      .layer("gone", { parent: "base", noRecord: true })
      .image("bb:gone", "gone"),
    expect: [`image-missing-layer ${join(HOME, "gone")} 0 image bb:gone`],
  },
]);

test("containerd stores are not judged (an image need not be unpacked)", () => {
  const input = scenario().image("default", "bb:latest", "sha256:idx").input();
  assert.deepEqual(imageMissingLayer.run(input), []);
});
