import assert from "node:assert/strict";
import { test } from "node:test";
import { danglingShortLink } from "./dangling-short-link.js";
import { brief } from "./testing.js";
import { healthy, linkPath, overlayScenario } from "./testing-overlay.js";

test("a healthy store has no dangling short link", () => {
  assert.deepEqual(danglingShortLink.run(healthy().input()), []);
});

test("a link to a dir that is gone is reported; one whose layer is still recorded is left to missing-layer-dir", () => {
  const input = overlayScenario()
    .layer("base")
    .layer("gone", { parent: "base", noDir: true })
    .strayLink("STRAY", "nolayer")
    .strayLink("FINE", "base", true)
    .input();
  assert.deepEqual(danglingShortLink.run(input).map(brief), [
    `dangling-short-link ${linkPath("STRAY")} 0 short link STRAY`,
  ]);
});
