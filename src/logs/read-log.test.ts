import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import type { LogLine } from "./cri-log.js";
import { followContainerLog, listLogFiles, readContainerLog } from "./read-log.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-logs-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const cri = (i: number, text: string, tag = "F", stream = "stdout") =>
  `2026-01-01T00:00:${String(i).padStart(2, "0")}.5Z ${stream} ${tag} ${text}\n`;

test("rotated copies (gzipped and not) come first, by their timestamp, then the current file", () => {
  const d = mkdtempSync(join(dir, "rot-"));
  writeFileSync(join(d, "0.log.20260101-000010.gz"), gzipSync(cri(1, "one") + cri(2, "two")));
  writeFileSync(join(d, "0.log.20260101-000020"), cri(3, "three") + cri(4, "fo", "P"));
  writeFileSync(join(d, "0.log.20260101-000030.tmp"), cri(9, "being compressed"));
  writeFileSync(join(d, "0.log"), `${cri(5, "ur")}torn line\n${cri(6, "six")}`);
  writeFileSync(join(d, "1.log.20260101-000000"), cri(0, "other restart"));
  assert.deepEqual(
    listLogFiles(join(d, "0.log"), "cri").map((f) => f.slice(d.length + 1)),
    ["0.log.20260101-000010.gz", "0.log.20260101-000020", "0.log"],
  );
  const r = readContainerLog(join(d, "0.log"), "cri");
  assert.deepEqual(
    r.lines.map((l) => l.text),
    ["one", "two", "three", "four", "six"],
  );
  assert.equal(r.malformed, 1);
  assert.deepEqual(
    readContainerLog(join(d, "0.log"), "cri", { tail: 2 }).lines.map((l) => l.text),
    ["four", "six"],
  );
  assert.deepEqual(readContainerLog(join(d, "0.log"), "cri", { tail: 0 }).lines, []);
});

test("docker's rotated json logs: the highest number is the oldest", () => {
  const d = mkdtempSync(join(dir, "dk-"));
  const j = (t: string) => `${JSON.stringify({ log: `${t}\n`, stream: "stdout", time: "t" })}\n`;
  writeFileSync(join(d, "c-json.log.2"), j("a"));
  writeFileSync(join(d, "c-json.log.1"), j("b"));
  writeFileSync(join(d, "c-json.log"), j("c"));
  assert.deepEqual(
    readContainerLog(join(d, "c-json.log"), "docker-json").lines.map((l) => l.text),
    ["a", "b", "c"],
  );
});

test("a damaged gzip copy ends in one CrifsError, not a crash", () => {
  const d = mkdtempSync(join(dir, "gz-"));
  writeFileSync(join(d, "0.log.20260101-000010.gz"), "not gzip");
  writeFileSync(join(d, "0.log"), cri(1, "x"));
  assert.throws(() => readContainerLog(join(d, "0.log"), "cri"), {
    name: "CrifsError",
    message: /decompress/,
  });
});

test("following prints appended lines, waits for a line's end, and follows a rotation", async () => {
  const d = mkdtempSync(join(dir, "follow-"));
  const f = join(d, "0.log");
  writeFileSync(f, cri(1, "old"));
  const r = readContainerLog(f, "cri", { completeOnly: true });
  const seen: LogLine[] = [];
  const stop = new AbortController();
  const done = followContainerLog(f, "cri", (l) => seen.push(l), {
    intervalMs: 20,
    signal: stop.signal,
    fromOffset: r.currentOffset,
    decoder: r.decoder,
  });
  const until = async (n: number) => {
    for (let i = 0; i < 200 && seen.length < n; i++) await new Promise((ok) => setTimeout(ok, 10));
  };
  appendFileSync(f, cri(2, "new"));
  appendFileSync(f, "2026-01-01T00:00:03Z stdout F hal");
  await until(1);
  appendFileSync(f, "f\n");
  await until(2);
  renameSync(f, `${f}.20260101-000003`);
  appendFileSync(`${f}.20260101-000003`, cri(4, "last of the old file"));
  writeFileSync(f, cri(5, "rotated"));
  await until(4);
  stop.abort();
  assert.equal(await done, 0);
  assert.deepEqual(
    seen.map((l) => l.text),
    ["new", "half", "last of the old file", "rotated"],
  );
});
