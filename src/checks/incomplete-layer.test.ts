import assert from "node:assert/strict";
import { join } from "node:path";
import { incompleteLayer } from "./incomplete-layer.js";
import { HOME, overlayScenario, testOverlayCheck } from "./testing-overlay.js";

testOverlayCheck(incompleteLayer, "a healthy store has no incomplete layer", [
  {
    title: "the incomplete flag (warning) and a dir without diff/ (error) are reported",
    store: overlayScenario()
      .layer("base")
      .layer("flagged", { parent: "base", incomplete: true })
      .layer("hollow", { parent: "base", noDiff: true }),
    expect: [
      `incomplete-layer ${join(HOME, "flagged")} 0 layer flagged`,
      `incomplete-layer ${join(HOME, "hollow", "diff")} 0 layer hollow`,
    ],
    also: (found) => assert.deepEqual(found.map((f) => f.severity).sort(), ["error", "warning"]),
  },
]);
