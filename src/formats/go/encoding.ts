// formats/go/encoding.ts — decoders for the Go encodings containerd writes into its bolt files:
//   uvarint / varint   encoding/binary PutUvarint / PutVarint (zig-zag: byte 0x06 = 3)
//   time               time.Time.MarshalBinary v1 (15 bytes) or v2 (16 bytes, with seconds of zone offset):
//                      01 | int64 BE seconds since 0001-01-01 UTC | int32 BE nanoseconds | int16 BE zone minutes
//   protobuf Any       field 1 (tag 0x0a) type URL, field 2 (tag 0x12) value bytes
// Pure functions: bytes in, values out; they throw CrifsError("corrupt") with the offset on bad input.

import { CrifsError } from "../../errors.js";

/** Seconds between 0001-01-01T00:00:00Z (Go's zero time) and the Unix epoch. */
const GO_EPOCH_TO_UNIX = 62135596800n;

/** Decodes an unsigned LEB128 varint (Go's binary.Uvarint) and returns the value and its byte length. */
export function decodeUvarint(bytes: Uint8Array, offset = 0): { value: bigint; length: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = offset; i < bytes.length && i < offset + 10; i++) {
    const b = bytes[i] as number;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value, length: i - offset + 1 };
    shift += 7n;
  }
  throw new CrifsError(
    "corrupt",
    `cannot decode varint at offset ${offset}: truncated or longer than 10 bytes`,
  );
}

/** Decodes a zig-zag signed varint (Go's binary.Varint). */
export function decodeVarint(bytes: Uint8Array, offset = 0): { value: bigint; length: number } {
  const u = decodeUvarint(bytes, offset);
  const value = (u.value & 1n) === 0n ? u.value >> 1n : -((u.value >> 1n) + 1n);
  return { value, length: u.length };
}

/** A varint as a JS number (sizes, ids), refusing values past 2^53. */
export function varintNumber(bytes: Uint8Array, signed: boolean): number {
  const { value } = signed ? decodeVarint(bytes) : decodeUvarint(bytes);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new CrifsError("corrupt", `cannot decode number: ${value} is out of range`);
  }
  return Number(value);
}

/** Decodes Go's time.Time.MarshalBinary into an RFC 3339 UTC string with nanoseconds, or null for the zero time. */
export function decodeGoTime(bytes: Uint8Array): string | null {
  if (bytes.length !== 15 && bytes.length !== 16) {
    throw new CrifsError("corrupt", `cannot decode time: ${bytes.length} bytes, expected 15 or 16`);
  }
  const version = bytes[0];
  if (version !== 1 && version !== 2) {
    throw new CrifsError("corrupt", `cannot decode time: unknown encoding version ${version}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const goSeconds = view.getBigInt64(1, false);
  const nanos = view.getInt32(9, false);
  if (goSeconds === 0n && nanos === 0) return null;
  const unixSeconds = goSeconds - GO_EPOCH_TO_UNIX;
  const date = new Date(Number(unixSeconds) * 1000);
  if (Number.isNaN(date.getTime()) || nanos < 0 || nanos > 999_999_999) {
    throw new CrifsError("corrupt", `cannot decode time: ${goSeconds}s ${nanos}ns is out of range`);
  }
  const iso = date.toISOString().slice(0, 19);
  return `${iso}.${String(nanos).padStart(9, "0")}Z`;
}

/** Decodes a protobuf google.protobuf.Any: its type URL and value bytes. */
export function decodeAny(bytes: Uint8Array): { typeUrl: string; value: Uint8Array } {
  let typeUrl = "";
  let value: Uint8Array = new Uint8Array(0);
  let i = 0;
  while (i < bytes.length) {
    const tag = decodeUvarint(bytes, i);
    i += tag.length;
    const field = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n);
    if (wire !== 2) throw new CrifsError("corrupt", `cannot decode Any: wire type ${wire} at offset ${i}`);
    const len = decodeUvarint(bytes, i);
    i += len.length;
    const end = i + Number(len.value);
    if (end > bytes.length)
      throw new CrifsError("corrupt", `cannot decode Any: field ${field} runs past the end`);
    const chunk = bytes.subarray(i, end);
    if (field === 1) typeUrl = new TextDecoder().decode(chunk);
    else if (field === 2) value = chunk;
    i = end;
  }
  return { typeUrl, value };
}
