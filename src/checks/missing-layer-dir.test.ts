import assert from "node:assert/strict";
import { join } from "node:path";
import { missingLayerDir } from "./missing-layer-dir.js";
import { HOME, healthy, testOverlayCheck } from "./testing-overlay.js";

testOverlayCheck(missingLayerDir, "a healthy store has every layer dir", [
  {
    title: "a recorded layer without its dir is an error naming the dir",
    store: healthy({ "c1-layer": { noDir: true } }),
    expect: [`missing-layer-dir ${join(HOME, "c1-layer")} 0 layer c1-layer`],
    also: (found) => assert.match(found[0]?.remedy ?? "", /podman rm/),
  },
]);
