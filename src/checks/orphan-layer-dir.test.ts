import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { orphanLayerDir } from "./orphan-layer-dir.js";
import { brief } from "./testing.js";
import { HOME, healthy, NOW, overlayScenario } from "./testing-overlay.js";

test("a healthy store has no orphan layer dir", () => {
  assert.deepEqual(orphanLayerDir.run(healthy().input()), []);
});

test("a dir no record names is an orphan; a young one and a lost parent (dangling-parent's) are not", () => {
  const input = overlayScenario()
    .layer("lost", { noRecord: true })
    .layer("child", { parent: "lost" })
    .orphanDir("leak")
    .orphanDir("young", { mtimeMs: NOW - 1000 })
    .input();
  assert.deepEqual(orphanLayerDir.run(input).map(brief), [
    `orphan-layer-dir ${join(HOME, "leak")} - overlay dir leak`,
  ]);
});
