// fs/name-codec.ts — file names are bytes; crifs carries them as JS strings without losing one.
//
// Linux names and symlink targets are any bytes but "/" and NUL. A name that is valid UTF-8 is carried as the
// string it spells. A byte that is not part of valid UTF-8 is carried as the lone surrogate U+DC80 + byte
// (0x80..0xff -> U+DC80..U+DCFF), the "surrogateescape" scheme Python uses for os.fsdecode. Valid UTF-8 never
// decodes to a surrogate, so the mapping is one-to-one and encodeName(decodeName(b)) equals b for every b.
//
// Where such a name goes:
//   - to the file system: fsPath() gives back the Buffer when the string holds an escaped byte (Node's fs takes
//     Buffer paths), the string itself otherwise (the common case costs one regex test);
//   - to JSON: JSON.stringify writes a lone surrogate as "\udcff" (well-formed JSON.stringify), so the
//     document stays valid and a reader that knows the scheme gets the bytes back (docs/json.md);
//   - to a terminal: cli/render/terminal-safe.ts shows it as \xff.

const HAS_ESCAPE = /[\udc80-\udcff]/;
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The string that carries the bytes of `name` exactly (see the header). */
export function decodeName(name: Uint8Array): string {
  // pure ASCII, the common case, needs no validation
  let ascii = true;
  for (let i = 0; i < name.length; i++) {
    if ((name[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(name.buffer, name.byteOffset, name.length).toString("latin1");
  try {
    return decoder.decode(name);
  } catch {
    return decodeMixed(name);
  }
}

/** Length of the valid UTF-8 sequence at i, or 0 when the byte there does not start one. */
function utf8SequenceAt(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  const cont = (k: number) => i + k < b.length && ((b[i + k] as number) & 0xc0) === 0x80;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1] as number;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // a surrogate's encoding
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1] as number;
    if (c === 0xf0 && c1 < 0x90) return 0; // overlong
    if (c === 0xf4 && c1 >= 0x90) return 0; // past U+10FFFF
    return 4;
  }
  return 0;
}

function decodeMixed(b: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < b.length) {
    const n = utf8SequenceAt(b, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + (b[i] as number));
      i += 1;
    } else {
      out += Buffer.from(b.buffer, b.byteOffset + i, n).toString("utf8");
      i += n;
    }
  }
  return out;
}

/** True when `s` carries a byte that is not valid UTF-8 (an escaped byte). */
export function hasEscapedBytes(s: string): boolean {
  return HAS_ESCAPE.test(s);
}

/** The bytes `s` carries: the inverse of decodeName. */
export function encodeName(s: string): Buffer {
  if (!HAS_ESCAPE.test(s)) return Buffer.from(s, "utf8");
  const parts: Buffer[] = [];
  let run = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff) {
      // a low surrogate after a high one is half of a real character, not an escaped byte
      const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
      if (!(prev >= 0xd800 && prev <= 0xdbff)) {
        if (run !== "") parts.push(Buffer.from(run, "utf8"));
        run = "";
        parts.push(Buffer.from([c - 0xdc00]));
        continue;
      }
    }
    run += s[i];
  }
  if (run !== "") parts.push(Buffer.from(run, "utf8"));
  return Buffer.concat(parts);
}

/** What to hand Node's fs for the path `s`: the string itself, or its bytes when it carries escaped bytes. */
export function fsPath(s: string): string | Buffer {
  return HAS_ESCAPE.test(s) ? encodeName(s) : s;
}
