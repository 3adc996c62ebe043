import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { imageMissingLayer } from "./image-missing-layer.js";
import { brief, scenario } from "./testing.js";
import { HOME, healthy, overlayScenario } from "./testing-overlay.js";

test("a healthy store's images have all their layers", () => {
  assert.deepEqual(imageMissingLayer.run(healthy().input()), []);
});

test("a missing top layer is reported; a missing middle layer is left to dangling-parent", () => {
  const input = overlayScenario()
    .layer("base")
    .layer("mid", { parent: "base", noRecord: true })
    .layer("top", { parent: "mid" })
    .image("bb:latest", "top")
    .layer("gone", { parent: "base", noRecord: true })
    .image("bb:gone", "gone")
    .input();
  assert.deepEqual(imageMissingLayer.run(input).map(brief), [
    `image-missing-layer ${join(HOME, "gone")} 0 image bb:gone`,
  ]);
});

test("containerd stores are not judged (an image need not be unpacked)", () => {
  const input = scenario().image("default", "bb:latest", "sha256:idx").input();
  assert.deepEqual(imageMissingLayer.run(input), []);
});
