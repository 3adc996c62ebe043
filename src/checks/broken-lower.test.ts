import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { brokenLower } from "./broken-lower.js";
import { brief } from "./testing.js";
import { HOME, healthy, overlayScenario } from "./testing-overlay.js";

test("a healthy store's lower files all resolve", () => {
  assert.deepEqual(brokenLower.run(healthy().input()), []);
});

test("a lower entry naming no link is reported; a missing link a layer claims is left to missing-short-link", () => {
  const input = overlayScenario()
    .layer("base", { noShortLink: true })
    .layer("mid", { parent: "base" })
    .layer("top", { parent: "mid", lower: ["l/S-mid", "l/NOSUCH"] })
    .layer("odd", { parent: "mid", lower: ["../mid/diff"] })
    .input();
  assert.deepEqual(brokenLower.run(input).map(brief).sort(), [
    `broken-lower ${join(HOME, "odd", "lower")} 0 layer odd`,
    `broken-lower ${join(HOME, "top", "lower")} 0 layer top`,
  ]);
});
