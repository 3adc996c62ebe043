// file-digests.test.ts — the content key is equal exactly when the bytes are (holes and zeros alike);
// workers give what the calling thread gives.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { contentKey, contentKeys } from "./file-digests.js";
import { sha256File } from "./shared-files.js";

const dir = mkdtempSync("/var/tmp/crifs-digest-");
after(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);

function write(name: string, parts: [offset: number, bytes: Buffer][], size: number): string {
  const p = path(name);
  writeFileSync(p, "");
  truncateSync(p, size); // all hole
  for (const [offset, bytes] of parts) {
    execFileSync("dd", [`of=${p}`, "bs=1", `seek=${offset}`, "conv=notrunc", "status=none"], {
      input: bytes,
    });
  }
  return p;
}

test("content key: a sparse copy and a dense copy of the same bytes get one key; any changed byte another", () => {
  const size = 3 * 65536 + 1000;
  const data = Buffer.from("not zero at all");
  const sparse = write("sparse", [[70000, data]], size);
  const dense = path("dense");
  const bytes = Buffer.alloc(size);
  data.copy(bytes, 70000);
  writeFileSync(dense, bytes); // the zeros written out
  assert.equal(contentKey(sparse), contentKey(dense));
  assert.equal(sha256File(sparse), sha256File(dense), "the same bytes indeed");
  const moved = write("moved", [[70001, data]], size);
  assert.notEqual(contentKey(moved), contentKey(sparse), "same bytes, other offset");
  const longer = write("longer", [[70000, data]], size + 1);
  assert.notEqual(contentKey(longer), contentKey(sparse), "one more zero at the end");
  const empty = path("empty");
  writeFileSync(empty, "");
  const zeros = write("zeros", [], 4096);
  assert.notEqual(contentKey(empty), contentKey(zeros), "size counts");
});

test("contentKeys: workers give the same answers in the same order; an unreadable file is its errno", async () => {
  const paths: string[] = [];
  for (let i = 0; i < 100; i++) {
    const p = path(`f${i}`);
    writeFileSync(p, Buffer.alloc(1000 + (i % 7) * 70_000, i % 3));
    paths.push(p);
  }
  symlinkSync(paths[0] as string, path("link"));
  paths.push(path("link"), path("absent"));
  const inline = await contentKeys(paths, { threads: 1 });
  const workers = await contentKeys(paths, { threads: 2, inlineBelow: 0 });
  assert.deepEqual(workers, inline);
  assert.deepEqual(
    inline.slice(-2),
    [{ error: "ELOOP" }, { error: "ENOENT" }],
    "O_NOFOLLOW: a link is not read",
  );
  assert.ok(inline.slice(0, -2).every((r) => "digest" in r));
});
