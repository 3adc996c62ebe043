// file-digests.test.ts — the content key is equal exactly when the bytes are (holes and zeros alike);
// workers give what the calling thread gives.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { contentKey, dataExtents, sha256File } from "../fs/file-hash.js";
import { selectScanEngine } from "../fs/walk.js";
import { loadNativeScanner } from "../fs/walk-native.js";
import { contentKeys } from "./file-digests.js";

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

test("a sparse file's key and sha256 equal those of the same bytes written densely, read by runs or whole", () => {
  const size = 5 * 65536 + 123;
  // runs: inside one chunk, two in one 64 KiB chunk, across a chunk edge, and at the very end
  const parts: [number, Buffer][] = [
    [100, Buffer.from("first")],
    [65536 + 10, Buffer.from("two runs")],
    [65536 + 40000, Buffer.from("in one chunk")],
    [3 * 65536 - 3, Buffer.from("across the edge")],
    [size - 4, Buffer.from("end!")],
  ];
  const sparse = write("runs-sparse", parts, size);
  const bytes = Buffer.alloc(size);
  for (const [offset, b] of parts) b.copy(bytes, offset);
  const dense = path("runs-dense");
  writeFileSync(dense, bytes);
  const expected = createHash("sha256").update(bytes).digest("hex");
  for (const seek of [true, false]) {
    assert.equal(contentKey(sparse, { seek }), contentKey(dense, { seek: false }), `key, seek ${seek}`);
    assert.equal(sha256File(sparse, { seek }), expected, `sha256, seek ${seek}`);
    assert.equal(sha256File(dense, { seek }), expected);
  }
});

test("a 16 TiB sparse file is read by its runs of data: two runs, not 16 TiB", () => {
  // ext4 (this dir) holds at most 16 TiB less one 4 KiB block in a file; tmpfs would take 16 TiB itself
  const size = 16 * 2 ** 40 - 4096;
  const huge = write("huge", [], size);
  const fd = openSync(huge, "r+");
  try {
    writeSync(fd, Buffer.from("middle"), 0, 6, 8 * 2 ** 40);
    writeSync(fd, Buffer.from("end"), 0, 3, size - 3);
  } finally {
    closeSync(fd);
  }
  const rfd = openSync(huge, "r");
  let runs: [number, number][];
  try {
    runs = [...dataExtents(rfd, size)].map(([s, e]) => [s, e]);
  } finally {
    closeSync(rfd);
  }
  if (selectScanEngine().engine === "js" || loadNativeScanner().scanner?.dataExtent === undefined) {
    assert.deepEqual(runs, [[0, size]], "without the addon (or with CRIFS_ENGINE=js): one run, read whole");
    return;
  }
  assert.equal(runs.length, 2, JSON.stringify(runs));
  assert.ok(
    runs.every(([s, e]) => e - s <= 65536),
    JSON.stringify(runs),
  );
  assert.ok((runs[0]?.[0] ?? 0) <= 8 * 2 ** 40 && (runs[1]?.[1] ?? 0) === size);
  // the key reads those runs only; a copy with the bytes elsewhere differs
  const key = contentKey(huge);
  assert.match(key, /^[0-9a-f]{64}$/);
  const other = write("huge-other", [[8 * 2 ** 40 + 1, Buffer.from("middle")]], size);
  assert.notEqual(contentKey(other), key);
});
