import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { incompleteLayer } from "./incomplete-layer.js";
import { brief } from "./testing.js";
import { HOME, healthy, overlayScenario } from "./testing-overlay.js";

test("a healthy store has no incomplete layer", () => {
  assert.deepEqual(incompleteLayer.run(healthy().input()), []);
});

test("the incomplete flag (warning) and a dir without diff/ (error) are reported", () => {
  const input = overlayScenario()
    .layer("base")
    .layer("flagged", { parent: "base", incomplete: true })
    .layer("hollow", { parent: "base", noDiff: true })
    .input();
  const found = incompleteLayer.run(input);
  assert.deepEqual(found.map(brief).sort(), [
    `incomplete-layer ${join(HOME, "flagged")} 0 layer flagged`,
    `incomplete-layer ${join(HOME, "hollow", "diff")} 0 layer hollow`,
  ]);
  assert.deepEqual(found.map((f) => f.severity).sort(), ["error", "warning"]);
});
