import assert from "node:assert/strict";
import { test } from "node:test";
import { agreesWithMarker, binaryOrMarker, majorMinor, versionAfterWord } from "./runtime-version.js";

test("versions as the runtimes print them, and the lines markers prove", () => {
  assert.equal(versionAfterWord("Docker version 20.10.24+dfsg1, build 5d6db84\n"), "20.10.24+dfsg1");
  assert.equal(versionAfterWord("podman version 5.4.2\n"), "5.4.2");
  assert.equal(versionAfterWord("no version here"), null);
  assert.deepEqual(majorMinor("2.1.9+unknown"), [2, 1]);
  assert.deepEqual(majorMinor("2.x"), [2, 0]);
  assert.deepEqual(majorMinor("23+"), [23, 0]);
  assert.equal(majorMinor("unknown"), null);
});

test("a binary counts only where the store's markers allow it; with a host root only the markers do", () => {
  assert.equal(agreesWithMarker("26.1.5", "23+"), true);
  assert.equal(agreesWithMarker("20.10.24", "23+"), false);
  assert.equal(agreesWithMarker("4.3.1", "4.8+"), false);
  assert.equal(agreesWithMarker("4.3.1", null), true);
  const marker = { version: "23+", source: "store" } as const;
  assert.deepEqual(
    binaryOrMarker(marker, undefined, () => "26.1.5"),
    { version: "26.1.5", source: "binary" },
  );
  assert.deepEqual(
    binaryOrMarker(marker, undefined, () => "20.10.24"),
    marker,
  );
  assert.deepEqual(
    binaryOrMarker(null, undefined, () => null),
    null,
  );
  assert.deepEqual(
    binaryOrMarker(null, "/node", () => {
      throw new Error("no binary of this machine is the node's");
    }),
    null,
  );
});
