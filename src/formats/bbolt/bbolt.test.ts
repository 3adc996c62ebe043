// bbolt.test.ts — the reader on the real fixtures (what scripts/make-bolt-fixtures.sh put there), the
// bucket API, meta page selection and the wording of errors.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CrifsError } from "../../errors.js";
import { bucketAt, dumpBolt, hex, parseBolt, text } from "./index.js";
import { readMetas } from "./meta.js";
import { chainImage, editableCopy, leafKeyAt, readFixture, resealMeta, scanLayout } from "./testing.js";
import type { BoltBucket } from "./types.js";

const metaDb = () => parseBolt(readFixture("containerd-meta.db"), "containerd-meta.db");
const overlayDb = () => parseBolt(readFixture("overlayfs-metadata.db"), "overlayfs-metadata.db");

function names(b: BoltBucket): string[] {
  return [...b.entries()].map((e) => text(e.key));
}

/** What parseBolt throws for `bytes` (fails when it does not throw a CrifsError). */
function parseError(bytes: Uint8Array, name = "x.db"): CrifsError {
  try {
    parseBolt(bytes, name);
  } catch (err) {
    assert.ok(err instanceof CrifsError, `not a CrifsError: ${String(err)}`);
    return err;
  }
  assert.fail("parseBolt accepted the file");
}

function flip(bytes: Uint8Array, at: number, mask: number): void {
  bytes[at] = (bytes[at] as number) ^ mask;
}

/** Offsets of the meta pages: [current, other]. */
function metaOffsets(bytes: Uint8Array): [number, number] {
  const { meta0, meta1 } = readMetas(bytes);
  assert.ok(typeof meta0 !== "string" && typeof meta1 !== "string");
  return meta0.txid > meta1.txid ? [0, meta0.pageSize] : [meta0.pageSize, 0];
}

test("containerd's meta.db has v1 with its schema version and the five namespaces of the script", () => {
  const db = metaDb();
  assert.equal(db.pageSize, 4096);
  assert.deepEqual(names(db.root), ["v1"]);
  const v1 = db.root.bucket("v1");
  assert.ok(v1);
  assert.deepEqual(hex(v1.get("version") ?? new Uint8Array()), "06"); // varint 3
  const namespaces = [...v1.entries()].filter((e) => e.bucket !== null).map((e) => text(e.key));
  assert.deepEqual(namespaces, ["crifs-a", "crifs-b", "crifs-big", "crifs-leases", "default"]);
});

test("the 300 leases of crifs-leases are all there, in order, every 25th with its labels", () => {
  const leases = bucketAt(metaDb().root, ["v1", "crifs-leases", "leases"]);
  assert.ok(leases);
  assert.equal(leases.size, 300);
  const ids = names(leases);
  assert.deepEqual(
    ids,
    Array.from({ length: 300 }, (_, i) => `lease-${String(i + 1).padStart(3, "0")}`),
  );
  for (const [i, id] of ids.entries()) {
    const labels: BoltBucket | undefined = leases.bucket(id)?.bucket("labels");
    if ((i + 1) % 25 === 0) {
      assert.equal(text(labels?.get("crifs.test/index") ?? new Uint8Array()), id.slice(6));
      assert.equal(text(labels?.get("crifs.test/kind") ?? new Uint8Array()), "labelled");
    } else {
      assert.equal(labels, undefined, id);
    }
    assert.equal(leases.bucket(id)?.get("createdat")?.length, 15);
  }
});

test("the big values that span overflow pages read back whole", () => {
  const db = metaDb();
  assert.ok(db.stats.branchPages >= 1, "a branch page");
  assert.ok(db.stats.overflowPages >= 2, "overflow pages");
  assert.equal(db.stats.unaccountedPages, 0);
  const spec = bucketAt(db.root, ["v1", "crifs-big", "containers", "big"])?.get("spec");
  assert.ok(spec);
  // protobuf Any: field 2 (the OCI spec JSON) starts at the first "{".
  const json = JSON.parse(text(spec.subarray(spec.indexOf(0x7b)))) as { process: { env: string[] } };
  const big = json.process.env.find((e) => e.startsWith("CRIFS_BIG="))?.slice("CRIFS_BIG=".length);
  const expected = Array.from(
    { length: 600 },
    (_, i) => `crifs-overflow-${String(i + 1).padStart(5, "0")};`,
  ).join("");
  assert.equal(big?.length, 12600);
  assert.equal(big, expected);
  const labels = bucketAt(db.root, ["v1", "crifs-big", "labels"]);
  for (const n of [1, 2, 3]) {
    assert.equal(
      text(labels?.get(`crifs.test/big-${n}`) ?? new Uint8Array()),
      `crifs-label-${n}-${"y".repeat(3986)}`,
    );
  }
  assert.equal(text(labels?.get("crifs.test/small") ?? new Uint8Array()), "yes");
});

test("snapshots, content and the abandoned ingest of the default namespace are in meta.db", () => {
  const ns = bucketAt(metaDb().root, ["v1", "default"]);
  assert.ok(ns);
  const snaps = bucketAt(ns, ["snapshots", "overlayfs"]);
  assert.equal(snaps?.sequence, 6n);
  assert.deepEqual(names(snaps as BoltBucket), ["base", "mid", "mid-view", "work"]);
  assert.equal(text(snaps?.bucket("mid")?.get("parent") ?? new Uint8Array()), "base");
  assert.deepEqual(names(snaps?.bucket("mid")?.bucket("children") as BoltBucket), ["mid-view", "work"]);
  const ingest = bucketAt(ns, ["content", "ingests", "crifs-partial-ref"]);
  assert.equal(text(ingest?.get("ref") ?? new Uint8Array()), "default/1/crifs-partial-ref");
  const blob = bucketAt(ns, [
    "content",
    "blob",
    "sha256:2942f0f755f37962bb08f1f2e2cf34ab509555dc1b80fccec3ff6ae0467352ca",
  ]);
  assert.equal(text(blob?.bucket("labels")?.get("crifs.test/blob") ?? new Uint8Array()), "hello");
});

test("the overlayfs snapshotter's metadata.db maps the six snapshots to ids 1..6", () => {
  const db = overlayDb();
  const snapshots = bucketAt(db.root, ["v1", "snapshots"]);
  assert.equal(snapshots?.sequence, 6n);
  const ids = [...(snapshots as BoltBucket).entries()].map((e) => [
    text(e.key),
    hex(e.bucket?.get("id") ?? new Uint8Array()),
  ]);
  assert.deepEqual(ids, [
    ["crifs-a/2/a-base", "05"],
    ["crifs-a/3/a-work", "06"],
    ["default/2/base", "01"],
    ["default/4/mid", "02"],
    ["default/5/mid-view", "03"],
    ["default/6/work", "04"],
  ]);
  assert.equal(bucketAt(db.root, ["v1", "parents"])?.size, 4);
});

test("get and bucket tell plain values from nested buckets, and take text or bytes", () => {
  const v1 = metaDb().root.bucket("v1");
  assert.ok(v1);
  assert.equal(v1.get("crifs-a"), undefined, "a bucket is not a value");
  assert.equal(v1.bucket("version"), undefined, "a value is not a bucket");
  assert.equal(v1.get("nope"), undefined);
  assert.equal(v1.bucket("nope"), undefined);
  assert.deepEqual(v1.get(new TextEncoder().encode("version")), v1.get("version"));
  assert.ok(v1.bucket(new TextEncoder().encode("default")));
  for (const e of v1.entries()) assert.ok((e.value === null) !== (e.bucket === null));
  assert.equal(bucketAt(v1, []), v1);
  assert.equal(bucketAt(v1, ["default", "nope", "x"]), undefined);
  assert.equal(bucketAt(v1, ["version"]), undefined);
});

test("dumpBolt prints nested buckets indented, text quoted and binary as hex", () => {
  const dump = dumpBolt(overlayDb());
  const lines = dump.split("\n");
  assert.match(lines[0] as string, /^page-size=4096 txid=\d+$/);
  assert.equal(lines[1], `"v1"/ seq=0`);
  assert.ok(lines.includes(`    0x010002 = "default/4/mid"`), dump);
  assert.ok(lines.includes(`      "id" = 0x04`));
  assert.ok(dump.endsWith("\n"));
});

test("a damaged current meta page makes the reader use the other one", () => {
  const bytes = readFixture("containerd-meta.db");
  const clean = parseBolt(bytes, "m.db");
  const [current] = metaOffsets(bytes);
  const damaged = bytes.slice();
  flip(damaged, current + 16 + 20, 0xff); // root pgid: the checksum no longer matches
  const db = parseBolt(damaged, "m.db");
  assert.equal(db.txid, clean.txid - 1n);
  assert.notEqual(db.metaPage, clean.metaPage);
  assert.ok(db.root.bucket("v1"));
});

test("a damaged older meta page changes nothing", () => {
  const bytes = readFixture("containerd-meta.db");
  const [, other] = metaOffsets(bytes);
  const damaged = bytes.slice();
  damaged.fill(0, other, other + 4096);
  const db = parseBolt(damaged, "m.db");
  assert.equal(db.txid, parseBolt(bytes, "m.db").txid);
  assert.equal(dumpBolt(db), dumpBolt(parseBolt(bytes, "m.db")));
});

test("page 1 is found when page 0 is not a meta page at all", () => {
  const bytes = readFixture("overlayfs-metadata.db");
  const damaged = bytes.slice();
  damaged.fill(0, 0, 4096);
  const db = parseBolt(damaged, "m.db");
  assert.equal(db.metaPage, 1);
  assert.equal(db.pageSize, 4096);
});

test("two damaged meta pages are one corrupt error naming both reasons", () => {
  const bytes = readFixture("containerd-meta.db").slice();
  flip(bytes, 16, 1); // page 0: magic
  new DataView(bytes.buffer).setUint32(4096 + 16 + 4, 3, true); // page 1: version 3
  resealMeta(bytes, 4096);
  const err = parseError(bytes, "both.db");
  assert.equal(err.code, "corrupt");
  assert.equal(
    err.message,
    "cannot read the meta pages: page 0: bad magic 0xed0cdaec; page 1: unsupported version 3 " +
      "(not a bbolt file, or both meta pages are damaged)",
  );
  assert.match(err.oneLine(), /^both\.db: cannot read the meta pages: .* \(hint: .*\)$/);
});

test("a checksum mismatch is named", () => {
  const bytes = readFixture("overlayfs-metadata.db").slice();
  flip(bytes, 16 + 48, 1); // page 0 txid
  flip(bytes, 4096 + 16 + 48, 1); // page 1 txid
  assert.match(parseError(bytes).message, /page 0: checksum mismatch; page 1: checksum mismatch/);
});

test("empty, tiny and non-bbolt files are corrupt with a one-line reason", () => {
  assert.equal(
    parseError(new Uint8Array(0), "empty.db").oneLine().split(" (hint")[0],
    "empty.db: cannot read the meta pages: the file is 0 bytes, too short for bbolt",
  );
  assert.match(parseError(new Uint8Array(100)).message, /page 0: bad magic 0x00000000/);
  assert.match(parseError(new TextEncoder().encode("{}\n".repeat(5000))).message, /bad magic 0x0a7d7b0a/);
});

test("a file cut short is truncated, even where every page the tree reaches is still there", () => {
  const bytes = readFixture("containerd-meta.db");
  const err = parseError(bytes.slice(0, 4096 * 10), "short.db");
  assert.match(
    err.message,
    /^truncated: the file is 40960 bytes, but its meta page \(txid \d+\) says \d+ pages of 4096 bytes \(\d+ bytes\) are in use$/,
  );
  // bbolt allocates ahead: the file may end past the high-water mark (that is fine), never before it
  const { meta0, meta1 } = readMetas(bytes);
  assert.ok(typeof meta0 !== "string" && typeof meta1 !== "string");
  const pgid = Number(meta0.txid > meta1.txid ? meta0.pgid : meta1.pgid);
  assert.doesNotThrow(() => parseBolt(bytes.slice(0, pgid * 4096), "exact.db"));
  assert.match(parseError(bytes.slice(0, (pgid - 1) * 4096), "short.db").message, /^truncated: /);
});

test("a page whose header names another id is reported as torn", () => {
  const bytes = readFixture("overlayfs-metadata.db").slice();
  const { meta0, meta1 } = readMetas(bytes);
  assert.ok(typeof meta0 !== "string" && typeof meta1 !== "string");
  const root = Number(meta0.txid > meta1.txid ? meta0.root : meta1.root);
  new DataView(bytes.buffer).setBigUint64(root * 4096, 40n, true);
  assert.equal(
    parseError(bytes).message,
    `cannot read page ${root} (the root bucket): page header says id 40 (torn or corrupt file)`,
  );
});

test("keys out of order are corruption", () => {
  const bytes = readFixture("containerd-meta.db");
  const layout = scanLayout(bytes);
  // Rename the first lease in some leaf page to sort after everything ("lease-001" -> "lease-~01").
  let found = 0;
  for (const id of layout.leaves) {
    const { copy, view } = editableCopy(bytes);
    const at = leafKeyAt(view, id * 4096 + 16);
    if (text(copy.subarray(at, at + 6)) !== "lease-") continue;
    copy[at + 6] = 0x7e;
    assert.match(parseError(copy).message, /keys out of order|sorts after the next branch key/);
    found++;
  }
  assert.ok(found > 0);
});

test("errors from parseBolt are CrifsErrors with one line even for odd names", () => {
  const err = parseError(new Uint8Array(10), "dir/with space.db");
  assert.equal(err.path, "dir/with space.db");
  assert.ok(!err.oneLine().includes("\n"));
});

test("buckets nested 64 deep are read, 65 deep are refused, and 5000 deep end quickly in one line", () => {
  const db = parseBolt(chainImage("buckets", 64), "deep.db");
  assert.ok(
    bucketAt(
      db.root,
      Array.from({ length: 64 }, () => "b"),
    ),
  );
  assert.match(parseError(chainImage("buckets", 65)).message, /nested deeper than 64$/);
  assert.match(parseError(chainImage("buckets", 5000, 512)).message, /nested deeper than 64$/);
});

test("a page tree 64 levels deep is read, deeper is refused", () => {
  const db = parseBolt(chainImage("branches", 64), "tall.db");
  assert.equal(text(db.root.get("k") ?? new Uint8Array()), "v");
  assert.equal(db.stats.branchPages, 64);
  assert.match(parseError(chainImage("branches", 65)).message, /tree deeper than 64 levels$/);
  assert.match(parseError(chainImage("branches", 5000, 512)).message, /tree deeper than 64 levels$/);
});
