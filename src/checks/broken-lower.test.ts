import { join } from "node:path";
import { brokenLower } from "./broken-lower.js";
import { HOME, overlayScenario, testOverlayCheck } from "./testing-overlay.js";

testOverlayCheck(brokenLower, "a healthy store's lower files all resolve", [
  {
    title:
      "a lower entry naming no link is reported; a missing link a layer claims is left to missing-short-link",
    store: overlayScenario()
      .layer("base", { noShortLink: true })
      .layer("mid", { parent: "base" })
      .layer("top", { parent: "mid", lower: ["l/S-mid", "l/NOSUCH"] })
      .layer("odd", { parent: "mid", lower: ["../mid/diff"] }),
    expect: [
      `broken-lower ${join(HOME, "odd", "lower")} 0 layer odd`,
      `broken-lower ${join(HOME, "top", "lower")} 0 layer top`,
    ],
  },
]);
