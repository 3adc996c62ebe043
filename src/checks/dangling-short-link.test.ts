import { danglingShortLink } from "./dangling-short-link.js";
import { healthy, linkPath, testOverlayCheck } from "./testing-overlay.js";

testOverlayCheck(danglingShortLink, "a healthy store has no dangling short link", [
  {
    title:
      "a link to a dir that is gone is reported; one whose layer is still recorded is left to missing-layer-dir",
    store: healthy({ mid: { noDir: true } })
      .strayLink("STRAY", "nolayer")
      .strayLink("FINE", "base", true),
    expect: [`dangling-short-link ${linkPath("STRAY")} 0 short link STRAY`],
  },
]);
