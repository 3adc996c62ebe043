// cli/render/terminal-safe.ts — the one function that makes an untrusted string safe to print on a terminal.
//
// Image names, file names, link targets, labels and log lines come from whoever built the image or runs the
// container. Printed raw, a name can move the cursor, rewrite the title, forge a table row with a newline, or
// flip the text's direction. Table, tree and plain outputs pass every such string through terminalSafe();
// JSON and YAML carry them exactly.
//
//   \  -> \\                      so every escape below reads one way
//   \t \n \r \e                   as written
//   other C0, DEL, C1 (U+0080..U+009F)  -> \xHH
//   a byte that is not UTF-8 (fs/name-codec.ts carries it as U+DC80+byte) -> \xHH, the byte itself
//   line/paragraph separators, bidi embeddings, overrides and isolates, other lone surrogates -> \u{HHHH}
// Everything else, printable ASCII and Unicode text alike, is left as it is (as `ls` does in a UTF-8 locale).

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

export interface TerminalSafeOptions {
  /** Leave tabs as they are (log lines: a tab moves the cursor only to the next stop). Default false. */
  readonly keepTab?: boolean;
  /** Leave backslashes as they are: for a line crifs wrote in another format's escapes (an fstab line's
   * `\040`, a systemd unit name's `\x2d`), shown to be copied as it is. Default false. */
  readonly keepBackslash?: boolean;
}

/** `s` with every control byte, escaped name byte and bidi control written as a visible escape. */
export function terminalSafe(s: string, options: TerminalSafeOptions = {}): string {
  if (!UNSAFE.test(s)) return s;
  const keepTab = options.keepTab === true;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x5c) {
      out += s[i];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s.slice(i, i + 2); // a whole character outside the BMP (an emoji)
        i++;
        continue;
      }
      out += `\\u{${c.toString(16)}}`;
      continue;
    }
    switch (c) {
      case 0x5c:
        out += options.keepBackslash === true ? "\\" : "\\\\";
        continue;
      case 0x09:
        out += keepTab ? "\t" : "\\t";
        continue;
      case 0x0a:
        out += "\\n";
        continue;
      case 0x0d:
        out += "\\r";
        continue;
      case 0x1b:
        out += "\\e";
        continue;
    }
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\x${hex2(c)}`;
    else if (c >= 0xdc80 && c <= 0xdcff) out += `\\x${hex2(c - 0xdc00)}`;
    else if (c >= 0xdc00 && c <= 0xdfff) out += `\\u{${c.toString(16)}}`;
    else if (c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
      out += `\\u{${c.toString(16)}}`;
    else out += s[i];
  }
  return out;
}

/**
 * A data structure for a human's eyes (the YAML that `info`, `inspect` and `version` print as their table
 * view): every string in it, keys included, through terminalSafe. Not for -o yaml, which stays exact.
 */
export function terminalSafeDeep(data: unknown): unknown {
  if (typeof data === "string") return terminalSafe(data);
  if (Array.isArray(data)) return data.map(terminalSafeDeep);
  if (data !== null && typeof data === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) out[terminalSafe(k)] = terminalSafeDeep(v);
    return out;
  }
  return data;
}
