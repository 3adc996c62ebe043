import assert from "node:assert/strict";
import { test } from "node:test";
import { nanosToTime, timestamp } from "./grpc.js";

test("protobuf timestamps become RFC 3339 with nanoseconds; zero and Go's zero time are null", () => {
  assert.equal(timestamp({ seconds: "1795334217", nanos: 800657426 }), "2026-11-22T07:56:57.800657426Z");
  assert.equal(timestamp({ seconds: "1795334217", nanos: 5 }), "2026-11-22T07:56:57.000000005Z");
  assert.equal(timestamp({ seconds: "-62135596800", nanos: 0 }), null);
  assert.equal(timestamp({ seconds: "0", nanos: 0 }), null);
  assert.equal(timestamp(null), null);
});

test("CRI's int64 nanoseconds become the same form", () => {
  assert.equal(nanosToTime("1795334218272131777"), "2026-11-22T07:56:58.272131777Z");
  assert.equal(nanosToTime("0"), null);
});
