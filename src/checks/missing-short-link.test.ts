import assert from "node:assert/strict";
import { test } from "node:test";
import { missingShortLink } from "./missing-short-link.js";
import { brief } from "./testing.js";
import { healthy, linkPath, overlayScenario, shortOf } from "./testing-overlay.js";

test("a healthy store has every short link", () => {
  assert.deepEqual(missingShortLink.run(healthy().input()), []);
});

test("a missing l/ link and one pointing at another layer are named with their layer", () => {
  const input = overlayScenario()
    .layer("base", { noShortLink: true })
    .layer("top", { parent: "base", linkTo: "base" })
    .input();
  assert.deepEqual(missingShortLink.run(input).map(brief).sort(), [
    `missing-short-link ${linkPath(shortOf("base"))} 0 layer base`,
    `missing-short-link ${linkPath(shortOf("top"))} 0 layer top`,
  ]);
});

test("a layer without a dir is left to missing-layer-dir", () => {
  const input = overlayScenario().layer("base", { noDir: true, noShortLink: true }).input();
  assert.deepEqual(missingShortLink.run(input), []);
});
