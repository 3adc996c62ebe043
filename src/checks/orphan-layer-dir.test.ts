import { join } from "node:path";
import { orphanLayerDir } from "./orphan-layer-dir.js";
import { HOME, NOW, overlayScenario, testOverlayCheck } from "./testing-overlay.js";

testOverlayCheck(orphanLayerDir, "a healthy store has no orphan layer dir", [
  {
    title: "a dir no record names is an orphan; a young one and a lost parent (dangling-parent's) are not",
    store: overlayScenario()
      .layer("lost", { noRecord: true })
      .layer("child", { parent: "lost" })
      .orphanDir("leak")
      .orphanDir("young", { mtimeMs: NOW - 1000 }),
    expect: [`orphan-layer-dir ${join(HOME, "leak")} - overlay dir leak`],
  },
]);
