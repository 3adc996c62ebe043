import assert from "node:assert/strict";
import { test } from "node:test";
import type { Image } from "../model/store.js";
import { containerMissingLayer } from "./container-missing-layer.js";
import { imageMissingLayer } from "./image-missing-layer.js";
import { brief } from "./testing.js";
import { docker, HOME, PATHS } from "./testing-docker.js";

test("a healthy docker store: image layers are found by chain id, no finding", () => {
  assert.deepEqual(imageMissingLayer.run(docker()), []);
  assert.deepEqual(containerMissingLayer.run(docker()), []);
});

test("an image layer whose cache dir is gone is image-missing-layer, once, with the images that use it", () => {
  const input = docker({
    gone: ["cache2"],
    images: [
      {
        ...(docker().store?.images[0] as Image),
        name: "bb:other",
      },
    ],
  });
  const found = imageMissingLayer.run(input);
  assert.deepEqual(found.map(brief), [`image-missing-layer ${HOME}/cache2 0 layer sha256:c2`]);
  assert.match(found[0]?.message ?? "", /used by "bb:latest", "bb:other"/);
  assert.deepEqual(containerMissingLayer.run(input), [], "the container's own layers are there");
});

test("an image naming a chain id docker has no layer entry for is image-missing-layer, at the entry's path", () => {
  const input = docker({ noLayer: ["sha256:c2", "m1-init", "m1"] });
  assert.deepEqual(imageMissingLayer.run(input).map(brief), [
    `image-missing-layer ${PATHS.layerEntry("c2")} 0 image bb:latest`,
  ]);
});

test("a container whose rw or init layer dir is gone is container-missing-layer, per dir", () => {
  assert.deepEqual(containerMissingLayer.run(docker({ gone: ["m1"] })).map(brief), [
    `container-missing-layer ${HOME}/m1 0 container dc1`,
  ]);
  assert.deepEqual(containerMissingLayer.run(docker({ gone: ["m1", "m1-init"] })).map(brief), [
    `container-missing-layer ${HOME}/m1 0 container dc1`,
    `container-missing-layer ${HOME}/m1-init 0 container dc1`,
  ]);
  assert.deepEqual(imageMissingLayer.run(docker({ gone: ["m1"] })), []);
});
