// `crifs explain`'s table: what a message's line and a finding's path carry (control bytes, bidi controls,
// bytes that are not UTF-8) is printed escaped, never raw.

import assert from "node:assert/strict";
import { test } from "node:test";
import { diagnoseMatches } from "../../explain/diagnose.js";
import { matchMessages } from "../../explain/match.js";
import type { GlobalOptions } from "../stores.js";
import { explanationTable } from "./explain.js";

test("the seen line and the findings are escaped for the terminal; the repair command names the store", async () => {
  const text = "\x1b[31mError:\x1b[0m readlink /r/home/l/ABC: invalid argument \x07\u202e\udcff\x9b[2J";
  const [e] = await diagnoseMatches(matchMessages(text), {
    stores: ["docker"],
    doctor: async () => [
      {
        check: "missing-short-link",
        severity: "error",
        subject: "layer x",
        path: "/r/home/l/ABC",
        bytes: 0,
        message: "short link l/ABC of image layer x\n\x1b[2Kforged row",
        remedy: "r",
      },
    ],
  });
  assert.ok(e !== undefined);
  const g = { output: "table", root: "/r w" } as GlobalOptions;
  const out = explanationTable(g, e);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control bytes is the point
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202e\udcff]/.test(out), JSON.stringify(out));
  assert.match(
    out,
    /seen: Error: readlink \/r\/home\/l\/ABC: invalid argument \\x07\\u\{202e\}\\xff\\x9b\[2J/,
  );
  assert.match(
    out,
    /^ {2}\* +error +missing-short-link +docker +\/r\/home\/l\/ABC +short link .*\\n\\e\[2Kforged row$/m,
  );
  assert.match(out, /crifs --runtime docker --root '\/r w' repair --check missing-short-link/);
});
