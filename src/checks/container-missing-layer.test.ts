import { join } from "node:path";
import { containerMissingLayer } from "./container-missing-layer.js";
import { HOME, healthy, testOverlayCheck } from "./testing-overlay.js";

testOverlayCheck(containerMissingLayer, "a healthy store's containers have their layers", [
  {
    title: "a container whose layer has no record is an error",
    store: healthy({ "c1-layer": { noRecord: true } }),
    expect: [`container-missing-layer ${join(HOME, "c1-layer")} 0 container c1`],
  },
]);
