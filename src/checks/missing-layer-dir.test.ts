import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { missingLayerDir } from "./missing-layer-dir.js";
import { brief } from "./testing.js";
import { HOME, healthy, overlayScenario } from "./testing-overlay.js";

test("a healthy store has every layer dir", () => {
  assert.deepEqual(missingLayerDir.run(healthy().input()), []);
});

test("a recorded layer without its dir is an error naming the dir", () => {
  const input = overlayScenario()
    .layer("base")
    .layer("c1-layer", { parent: "base", noDir: true })
    .container("c1", "c1-layer")
    .input();
  const found = missingLayerDir.run(input);
  assert.deepEqual(found.map(brief), [`missing-layer-dir ${join(HOME, "c1-layer")} 0 layer c1-layer`]);
  assert.match(found[0]?.remedy ?? "", /podman rm/);
});
