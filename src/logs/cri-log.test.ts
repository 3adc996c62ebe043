import assert from "node:assert/strict";
import { test } from "node:test";
import { LogDecoder, parseCriLogLine, parseDockerLogLine } from "./cri-log.js";

const text = (d: LogDecoder, lines: string[]) => lines.flatMap((l) => d.push(l)).map((l) => l.text);

test("a CRI line decodes into time, stream, tag and the text with its spaces", () => {
  assert.deepEqual(parseCriLogLine("2026-11-22T07:56:58.555207195Z stdout F hello  0 "), {
    time: "2026-11-22T07:56:58.555207195Z",
    stream: "stdout",
    isPartial: false,
    text: "hello  0 ",
  });
  // trailing zeros of the nanoseconds are dropped: the width varies
  assert.equal(parseCriLogLine("2026-11-22T07:59:16.90986408Z stderr P x")?.isPartial, true);
  assert.equal(parseCriLogLine("2026-11-22T07:59:16+02:00 stdout F")?.text, "");
  assert.equal(parseCriLogLine("2026-11-22T07:59:16Z stdout F ")?.text, "");
});

test("lines that are not CRI log lines decode to null", () => {
  for (const bad of [
    "hello",
    "2026-11-22 stdout F x",
    "2026-11-22T07:59:16Z stdin F x",
    "2026-11-22T07:59:16Z stdout X x",
    "2026-11-22T07:59:16Z stdout",
    "",
  ])
    assert.equal(parseCriLogLine(bad), null, bad);
});

/** The decoder over a file's lines: the texts it gives, the lines it skipped, and what `end()` gives when
 * the file ended inside a line (undefined: not asserted). */
const decoderCases: {
  name: string;
  format: "cri" | "docker-json";
  lines: string[];
  texts: string[];
  malformed: number;
  open?: unknown[];
}[] = [
  {
    name: "P pieces join with the F piece of the same stream, also around the other stream's lines",
    format: "cri",
    lines: [
      "2026-01-01T00:00:00.1Z stdout P aaaa",
      "2026-01-01T00:00:00.2Z stderr F err 0",
      "2026-01-01T00:00:00.3Z stdout P bbbb",
      "2026-01-01T00:00:00.4Z stdout F cc",
      "2026-01-01T00:00:00.5Z stdout F next",
    ],
    texts: ["err 0", "aaaabbbbcc", "next"],
    malformed: 0,
  },
  {
    name: "malformed lines are skipped and counted; pieces the file ended inside come out incomplete",
    format: "cri",
    lines: ["garbage", "2026-01-01T00:00:00Z stdout F one", '{"log":1}', "2026-01-01T00:00:01Z stdout P tw"],
    texts: ["one"],
    malformed: 2,
    open: [{ time: "2026-01-01T00:00:01Z", stream: "stdout", text: "tw", isComplete: false }],
  },
  {
    name: "docker json-file pieces without the newline join; a line that is not JSON is counted",
    format: "docker-json",
    lines: ['{"log":"ab","stream":"stdout","time":"1"}', '{"log":"c\\n","stream":"stdout","time":"2"}', "x"],
    texts: ["abc"],
    malformed: 1,
  },
];

for (const c of decoderCases)
  test(c.name, () => {
    const d = new LogDecoder(c.format);
    assert.deepEqual(text(d, c.lines), c.texts);
    assert.equal(d.malformed, c.malformed);
    if (c.open !== undefined) {
      assert.equal(d.hasOpenLine, true);
      assert.deepEqual(d.end(), c.open);
    }
  });

test("docker json-file lines: the newline ends a line", () => {
  const cases: [line: string, want: unknown][] = [
    ['{"log":"hi\\n","stream":"stderr","time":"t"}', { time: "t", stream: "stderr", text: "hi\n" }],
    ["nope", null],
    ['{"stream":"stdout"}', null],
  ];
  for (const [line, want] of cases) assert.deepEqual(parseDockerLogLine(line), want, line);
});
