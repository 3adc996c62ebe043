import assert from "node:assert/strict";
import { test } from "node:test";
import { CrifsError } from "../../errors.js";
import { decodeAny, decodeGoTime, decodeUvarint, decodeVarint, varintNumber } from "./encoding.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

test("a zig-zag varint decodes the sizes containerd writes (d60c is 811, 06 is 3)", () => {
  assert.equal(varintNumber(hex("d60c"), true), 811);
  assert.equal(decodeVarint(hex("06")).value, 3n);
  assert.equal(decodeVarint(hex("05")).value, -3n);
});

test("an unsigned varint decodes snapshot ids (8c01 is 140)", () => {
  assert.deepEqual(decodeUvarint(hex("8c01")), { value: 140n, length: 2 });
  assert.throws(() => decodeUvarint(hex("8080")), CrifsError);
});

test("a Go MarshalBinary time decodes to RFC 3339 with nanoseconds", () => {
  assert.equal(decodeGoTime(hex("010000000ee29496a930ca84e3ffff")), "2026-11-22T07:54:17.818578659Z");
  assert.throws(() => decodeGoTime(hex("01")), /15 or 16/);
});

test("a protobuf Any yields its type URL and value", () => {
  const any = hex("0a03612f6212026869");
  const { typeUrl, value } = decodeAny(any);
  assert.equal(typeUrl, "a/b");
  assert.equal(Buffer.from(value).toString(), "hi");
  assert.throws(() => decodeAny(hex("0a05ab")), CrifsError);
});
