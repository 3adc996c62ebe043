import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { decodeName, encodeName } from "../../fs/name-codec.js";
import {
  renderDisplayYaml,
  renderJson,
  renderJsonStream,
  renderLines,
  renderTable,
  renderTableStream,
  renderTree,
  renderYaml,
  renderYamlStream,
} from "./format.js";
import { terminalSafe } from "./terminal-safe.js";

/** A byte a terminal would act on: C0 but tab and newline, DEL, and C1 (as UTF-8: c2 80..c2 9f). */
function assertNoRawControl(out: string, what: string): void {
  const bytes = Buffer.from(out, "utf8");
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const c1 = b === 0xc2 && (bytes[i + 1] as number) >= 0x80 && (bytes[i + 1] as number) <= 0x9f;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a) || b === 0x7f || c1)
      assert.fail(`${what}: raw byte 0x${b.toString(16)} at ${i} in ${JSON.stringify(out.slice(0, 200))}`);
  }
  assert.ok(!/[\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(out), `${what}: a bidi or separator control`);
}

test("control bytes, DEL, C1, escaped name bytes and bidi controls are shown as escapes", () => {
  assert.equal(terminalSafe("plain-name_1.2:latest"), "plain-name_1.2:latest");
  assert.equal(terminalSafe("Főtanúsítvány 🙂"), "Főtanúsítvány 🙂");
  assert.equal(terminalSafe("a\nb\tc\rd\x1b[31me"), "a\\nb\\tc\\rd\\e[31me");
  assert.equal(terminalSafe("\x00\x07\x7f\x85\x9b"), "\\x00\\x07\\x7f\\x85\\x9b");
  assert.equal(terminalSafe("f\udcffg"), "f\\xffg");
  assert.equal(terminalSafe("back\\slash"), "back\\\\slash");
  assert.equal(terminalSafe("evil\u202etxt.exe\u2028"), "evil\\u{202e}txt.exe\\u{2028}");
  assert.equal(terminalSafe("lone\ud800high"), "lone\\u{d800}high");
});

test("a name with a newline never forges a table row or a tree line", () => {
  const t = renderTable(["name", "size"], [["evil\nfake-row   0 B", "1 B"]]);
  assert.equal(t.split("\n").length, 3); // head, one row, the final newline
  const tree = renderTree([{ label: "root\nforged", children: [{ label: "kid\r\x1b[2K", children: [] }] }]);
  assert.equal(tree, "root\\nforged\n└─ kid\\r\\e[2K\n");
});

test("10,000 random byte strings as names: no raw control byte in tables or trees, JSON and YAML exact", async () => {
  const yaml = await import("yaml");
  const names: string[] = [];
  const raws: Buffer[] = [];
  for (let i = 0; i < 10_000; i++) {
    const b = randomBytes(1 + (i % 48));
    raws.push(b);
    names.push(decodeName(b));
  }
  for (let i = 0; i < names.length; i += 500) {
    const chunk = names.slice(i, i + 500);
    const table = renderTable(
      ["name", "target", "size"],
      chunk.map((n, k) => [n, chunk[(k + 1) % chunk.length] as string, String(k)]),
    );
    assertNoRawControl(table, "table");
    assert.equal(table.split("\n").length, chunk.length + 2, "one line per row");
    const tree = renderTree([
      { label: chunk[0] as string, children: chunk.slice(1).map((n) => ({ label: n, children: [] })) },
    ]);
    assertNoRawControl(tree, "tree");
    assert.equal(tree.split("\n").length, chunk.length + 1);
    const streamed = [
      ...renderTableStream(
        ["name", "n"],
        [chunk.slice(0, 250).map((n) => [n, "1"]), chunk.slice(250).map((n) => [n, "2"])],
      ),
    ].join("");
    assertNoRawControl(streamed, "streamed table");
    assert.equal(streamed.split("\n").length, chunk.length + 2, "one line per streamed row");
    const lines = renderLines(chunk);
    assertNoRawControl(lines, "plain lines");
    assert.equal(lines.split("\n").length, chunk.length + 1, "one line per plain line");
    assertNoRawControl(renderDisplayYaml({ names: chunk, [chunk[0] as string]: chunk[1] }), "display YAML");
    const jsonStream = JSON.parse([...renderJsonStream(chunk)].join("")) as string[];
    for (let k = 0; k < chunk.length; k++) assert.deepEqual(encodeName(jsonStream[k] as string), raws[i + k]);
    const json = JSON.parse(renderJson({ names: chunk })) as { names: string[] };
    const fromYaml = yaml.parse(renderYaml({ names: chunk })) as { names: string[] };
    for (let k = 0; k < chunk.length; k++) {
      assert.deepEqual(encodeName(json.names[k] as string), raws[i + k]);
      assert.deepEqual(encodeName(fromYaml.names[k] as string), raws[i + k]);
    }
  }
});

test("YAML keeps names the yaml package's default styles lost: a space between newlines, trailing blanks, C1 bytes", async () => {
  const yaml = await import("yaml");
  // each came back changed from renderYaml before its options were set (the first failed the random test
  // above once in about 70 runs)
  const names = [
    decodeName(Buffer.from([0x65, 0x8a, 0x0a, 0x20, 0x0a, 0x7b, 0xba, 0x27, 0x3b, 0x03])),
    "\n \n",
    "  \t\n",
    "\u0003-\u0003\udc80x\udc80x#é\t \r\t\n \n",
    "x\n\n y\n",
    " leading and trailing ",
  ];
  const back = yaml.parse(renderYaml({ names })) as { names: string[] };
  assert.deepEqual(back.names, names);
  const streamed = yaml.parse([...renderYamlStream(names)].join("")) as string[];
  assert.deepEqual(streamed, names);
});

test("keepBackslash: an fstab line or a unit name crifs wrote is shown as it is copied, control bytes still escaped", () => {
  const line = "/mnt/new\\040disk /var/lib/containerd none bind 0 0 # crifs relocate R";
  // the plan printed \\040: copied into /etc/fstab that is a backslash and "040", another path
  assert.equal(terminalSafe(line, { keepBackslash: true }), line);
  assert.equal(terminalSafe(line), line.replace("\\", "\\\\"));
  assert.equal(
    terminalSafe("/etc/systemd/system/var-lib-my\\x2ddata.mount\x1b[2J\n", { keepBackslash: true }),
    "/etc/systemd/system/var-lib-my\\x2ddata.mount\\e[2J\\n",
  );
});
