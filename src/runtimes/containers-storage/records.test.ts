import assert from "node:assert/strict";
import { test } from "node:test";
import { CrifsError } from "../../errors.js";
import { jsonErrorAt } from "../../formats/json/parse-json.js";
import { manifestMediaType, parseContainers, parseImages, parseLayers } from "./records.js";

const LAYERS = JSON.stringify([
  { id: "base", created: "2026-01-01T00:00:00.123456789Z", "diff-digest": "sha256:d", "diff-size": 10 },
  { id: "top", parent: "base", names: ["c1-layer"], flags: { incomplete: true } },
]);

test("layers.json records: id, parent, names, the incomplete flag", () => {
  const l = parseLayers(Buffer.from(LAYERS), "/g/layers.json");
  assert.deepEqual(
    l.map((x) => `${x.id} ${x.parent} ${x.names.join(",")} ${x.isIncomplete}`),
    ["base null  false", "top base c1-layer true"],
  );
  assert.equal(l[0]?.diffSize, 10);
});

test("images.json and containers.json records, incl. image-name from the metadata string", () => {
  const i = parseImages(
    Buffer.from('[{"id":"abc","digest":"sha256:m","names":["bb:latest"],"layer":"top"}]'),
    "/i",
  );
  assert.deepEqual(i, [
    { id: "abc", digest: "sha256:m", names: ["bb:latest"], topLayer: "top", created: null, bigDataBytes: 0 },
  ]);
  const c = parseContainers(
    Buffer.from(
      JSON.stringify([
        { id: "c1", names: ["pc1"], image: "abc", layer: "top", metadata: '{"image-name":"bb:latest"}' },
      ]),
    ),
    "/c",
  );
  assert.deepEqual(c[0]?.imageName, "bb:latest");
  assert.deepEqual(parseLayers(Buffer.from("null"), "/l"), []);
});

test("the shared JSON scanner finds where a record file stops being JSON", () => {
  for (const [text, at] of [
    ['[{"a":1}', 8],
    ['[{"a":1},]', 9],
    ['[{"a":tru}]', 9],
    ['[{"a":"x\\q"}]', 9],
    ["[1 2]", 3],
    ['{"a":1} x', 8],
    ["", 0],
  ] as const)
    assert.equal(jsonErrorAt(text)?.offset, at, text);
});

test("a truncated or garbled file is one corrupt error naming its byte offset (multi-byte text counted in bytes)", () => {
  const cut = Buffer.from(LAYERS).subarray(0, 50);
  assert.throws(
    () => parseLayers(cut, "/g/layers.json"),
    (e: unknown) =>
      e instanceof CrifsError &&
      e.code === "corrupt" &&
      e.path === "/g/layers.json" &&
      e.message === "cannot parse layers.json: it ends too early (truncated?) at byte offset 50 of 50",
  );
  const garbled = Buffer.from('[{"id":"é","x":garbage}]');
  assert.throws(
    () => parseImages(garbled, "/g/images.json"),
    (e: unknown) => e instanceof CrifsError && / invalid JSON at byte offset 16 of 25$/.test(e.message),
  );
});

test("an image's big data counts in its size; its manifest gives the media type, OCI's implied when absent", () => {
  const [img] = parseImages(
    Buffer.from('[{"id":"a","big-data-sizes":{"manifest":811,"sha256:a":877,"bad":-1,"text":"9"}}]'),
    "/i",
  );
  assert.equal(img?.bigDataBytes, 811 + 877);
  const mt = (v: unknown) => manifestMediaType(Buffer.from(JSON.stringify(v)));
  assert.equal(
    mt({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json", config: {} }),
    "application/vnd.docker.distribution.manifest.v2+json",
  );
  assert.equal(
    mt({ schemaVersion: 2, config: {}, layers: [] }),
    "application/vnd.oci.image.manifest.v1+json",
  );
  assert.equal(mt({ schemaVersion: 2, manifests: [] }), "application/vnd.oci.image.index.v1+json");
  assert.equal(mt({ schemaVersion: 1 }), "");
  assert.equal(manifestMediaType(Buffer.from("{not json")), "");
});
