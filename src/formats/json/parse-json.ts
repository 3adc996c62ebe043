// formats/json/parse-json.ts — JSON for the runtimes' metadata files (docker's repositories.json and
// config.v2.json, containers/storage's layers.json, images.json, containers.json), with the byte offset of the
// first syntax error. JSON.parse does the parsing; only when it fails
// does jsonErrorAt scan the text itself, because V8's messages do not always carry a position
// ("Unexpected end of JSON input", "Unexpected token 'x', "…" is not valid JSON").

import { CrifsError } from "../../errors.js";

/** Nesting deeper than this is reported as an error (docker's files nest a few levels). */
const MAX_DEPTH = 512;

export interface JsonSyntaxError {
  /** Byte offset (UTF-8) of the first byte that cannot continue valid JSON. */
  readonly offset: number;
  readonly message: string;
}

/** Where `text` stops being JSON, or null when it is valid. Pure; cost linear in the text. */
export function jsonErrorAt(text: string): JsonSyntaxError | null {
  let i = 0;
  const fail = (message: string): never => {
    throw { offset: Buffer.byteLength(text.slice(0, i), "utf8"), message } as JsonSyntaxError;
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const what = () => (i >= text.length ? "end of input" : `"${text[i]}"`);
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`unexpected ${what()} in literal "${word}"`);
      i++;
    }
  };
  const str = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail("control character in string");
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail("bad \\u escape in string");
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail(`bad escape ${what()} in string`);
      } else i++;
    }
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null || m[0] === "" || m[0] === "-") fail(`unexpected ${what()}`);
    i += (m as RegExpExecArray)[0].length;
  };
  /** The items of an object or array after its opening bracket, up to `close`: "," between, none trailing. */
  const items = (close: "}" | "]", item: () => void): void => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      ws();
      if (text[i] === ",") i++;
      else if (text[i] === close) {
        i++;
        return;
      } else fail(`expected "," or "${close}", found ${what()}`);
    }
  };
  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    ws();
    const c = text[i];
    if (c === "{") {
      items("}", () => {
        ws();
        if (text[i] !== '"') fail(`expected a property name, found ${what()}`);
        str();
        ws();
        if (text[i] !== ":") fail(`expected ":", found ${what()}`);
        i++;
        value(depth + 1);
      });
    } else if (c === "[") {
      items("]", () => value(depth + 1));
    } else if (c === '"') str();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) num();
    else fail(`unexpected ${what()}`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`unexpected ${what()} after the value`);
    return null;
  } catch (e) {
    if (typeof e === "object" && e !== null && "offset" in e) return e as JsonSyntaxError;
    throw e;
  }
}

/**
 * Parses a metadata file's text. Throws CrifsError("corrupt") naming the byte offset of the first syntax error:
 * "cannot parse JSON at byte 812: unexpected end of input". The caller adds the path.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const e = jsonErrorAt(text) ?? { offset: 0, message: "not valid JSON" };
    throw new CrifsError("corrupt", `cannot parse JSON at byte ${e.offset}: ${e.message}`);
  }
}
