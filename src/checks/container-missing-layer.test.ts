import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { containerMissingLayer } from "./container-missing-layer.js";
import { brief } from "./testing.js";
import { HOME, healthy, overlayScenario } from "./testing-overlay.js";

test("a healthy store's containers have their layers", () => {
  assert.deepEqual(containerMissingLayer.run(healthy().input()), []);
});

test("a container whose layer has no record is an error", () => {
  const input = overlayScenario()
    .layer("base")
    .layer("c1-layer", { parent: "base", noRecord: true })
    .container("c1", "c1-layer")
    .input();
  assert.deepEqual(containerMissingLayer.run(input).map(brief), [
    `container-missing-layer ${join(HOME, "c1-layer")} 0 container c1`,
  ]);
});
