import { missingShortLink } from "./missing-short-link.js";
import { linkPath, overlayScenario, shortOf, testOverlayCheck } from "./testing-overlay.js";

testOverlayCheck(missingShortLink, "a healthy store has every short link", [
  {
    title: "a missing l/ link and one pointing at another layer are named with their layer",
    store: overlayScenario()
      .layer("base", { noShortLink: true })
      .layer("top", { parent: "base", linkTo: "base" }),
    expect: [
      `missing-short-link ${linkPath(shortOf("base"))} 0 layer base`,
      `missing-short-link ${linkPath(shortOf("top"))} 0 layer top`,
    ],
  },
  {
    title: "a layer without a dir is left to missing-layer-dir",
    store: overlayScenario().layer("base", { noDir: true, noShortLink: true }),
    expect: [],
  },
]);
