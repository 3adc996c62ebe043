// bytes.ts — byte helpers shared by the bbolt reader: bytewise order, utf8, hex and the quoting used
// in messages and dumps. No per-byte string building: hex goes through a 256-entry table.

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");
const hexTable: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Bytewise comparison (memcmp, then length), the order bbolt keeps keys in. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Encoded text keys: the readers look up the same few names ("createdat", "labels", …) in every record, and
 * encoding one anew per lookup was a tenth of loading a 1,000-snapshot meta.db. Bounded: a key past the
 * bound is encoded each time. */
const encoded = new Map<string, Uint8Array>();
const ENCODED_MAX = 1024;

/** UTF-8 bytes of a key given as text; bytes are passed through. */
export function keyBytes(key: string | Uint8Array): Uint8Array {
  if (typeof key !== "string") return key;
  let b = encoded.get(key);
  if (b === undefined) {
    b = encoder.encode(key);
    if (encoded.size < ENCODED_MAX) encoded.set(key, b);
  }
  return b;
}

/** Decodes UTF-8 (invalid sequences become U+FFFD); containerd's keys and most values are text. */
export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Lowercase hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = hexTable[bytes[i] as number] as string;
  return parts.join("");
}

function isPlainText(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/**
 * `"text"` when every byte is printable ASCII other than `"` and `\`, else `0x<hex>`. The dump format
 * and test/tools/boltdump/main.go share this rule.
 */
export function quoteBytes(bytes: Uint8Array): string {
  return isPlainText(bytes) ? `"${decoder.decode(bytes)}"` : `0x${hex(bytes)}`; // plain ASCII decodes as itself
}

/** quoteBytes, cut to about `max` characters for messages. */
export function quoteShort(bytes: Uint8Array, max = 40): string {
  const q = quoteBytes(bytes.length > max ? bytes.subarray(0, max) : bytes);
  return bytes.length > max ? `${q}…(${bytes.length} bytes)` : q;
}
