// lookup.test.ts — lookupBolt against parseBolt on the real fixtures (same answers, a few pages read), and on
// damaged files: each damage on the way to a key is one "corrupt" line naming the file, found in bounded time.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CrifsError } from "../../errors.js";
import { bucketAt, lookupBolt, parseBolt, text } from "./index.js";
import { LazyTree } from "./lazy-tree.js";
import { chooseMeta } from "./meta.js";
import {
  chainImage,
  fixtureNames,
  type Mutation,
  mutationNames,
  mutations,
  readFixture,
  resealMeta,
  scanLayout,
  seeded,
} from "./testing.js";
import type { BoltBucket } from "./types.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-lookup-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function fileOf(bytes: Uint8Array): string {
  const path = join(dir, `f${files++}.db`);
  writeFileSync(path, bytes);
  return path;
}

/** What lookupBolt throws (fails when it answers). */
function lookupError(path: string, fn: (root: BoltBucket) => unknown): CrifsError {
  try {
    lookupBolt(path, fn, { attempts: 2, retryDelayMs: 0 });
  } catch (err) {
    assert.ok(err instanceof CrifsError, `not a CrifsError: ${String(err)}`);
    assert.equal(err.code, "corrupt");
    assert.equal(err.path, path);
    assert.ok(!err.oneLine().includes("\n"), err.oneLine());
    return err;
  }
  assert.fail("lookupBolt answered");
}

/** Every (bucket path, key, value or "bucket") of a tree, in key order, nested buckets after their key. */
function flatten(b: BoltBucket, path: string[] = []): string[] {
  const out: string[] = [];
  for (const e of b.entries()) {
    const p = [...path, Buffer.from(e.key).toString("hex")];
    if (e.bucket === null) out.push(`${p.join("/")}=${Buffer.from(e.value ?? []).toString("hex")}`);
    else out.push(`${p.join("/")}/ seq ${e.bucket.sequence}`, ...flatten(e.bucket, p));
  }
  return out;
}

for (const name of fixtureNames) {
  test(`${name}: the lazy tree walks to the same entries as the parsed one, and get() finds each`, () => {
    const bytes = readFixture(name);
    const parsed = parseBolt(bytes, name);
    const path = fileOf(bytes);
    const walked = lookupBolt(path, (root) => flatten(root));
    assert.deepEqual(walked, flatten(parsed.root));
    // every plain key by get() from the root down, and a missing key next to each
    const checked = lookupBolt(path, (root) => {
      let n = 0;
      const visit = (lazy: BoltBucket, eager: BoltBucket) => {
        for (const e of eager.entries()) {
          if (e.bucket !== null) {
            const nested = lazy.bucket(e.key);
            assert.ok(nested, text(e.key));
            assert.equal(lazy.get(e.key), undefined);
            visit(nested, e.bucket);
          } else {
            assert.deepEqual(lazy.get(e.key), e.value);
            assert.equal(lazy.bucket(e.key), undefined);
            assert.equal(lazy.get(new Uint8Array([...e.key, 0])), eager.get(new Uint8Array([...e.key, 0])));
            n++;
          }
        }
      };
      visit(root, parsed.root);
      return n;
    });
    assert.equal(checked, parsed.stats.values);
  });
}

test("one record of a meta.db is found reading a few of its pages", () => {
  const bytes = readFixture("containerd-meta.db");
  const meta = chooseMeta(bytes, "meta.db");
  const reads: number[] = [];
  const tree = new LazyTree({
    name: "meta.db",
    pageSize: meta.pageSize,
    highWater: Number(meta.pgid),
    filePages: Math.floor(bytes.length / meta.pageSize),
    read(offset, length) {
      reads.push(offset / meta.pageSize);
      return bytes.slice(offset, offset + length);
    },
  });
  const root = tree.bucket(meta.root, meta.sequence);
  const leases = bucketAt(root, ["v1", "crifs-leases", "leases"]);
  assert.ok(leases);
  assert.ok(leases.bucket("lease-150"));
  assert.equal(leases.bucket("lease-1500"), undefined);
  const pages = Number(meta.pgid);
  assert.ok(reads.length <= 8, `read ${reads.length} of ${pages} pages: ${reads.join(",")}`);
  assert.ok(pages > 4 * reads.length, `the fixture has ${pages} pages`);
});

/** The fixture with one edit to the first branch page on the way to v1/crifs-leases/leases. */
function leasesBranch(): { bytes: Uint8Array; view: DataView; page: number; pageSize: number } {
  const bytes = new Uint8Array(readFixture("containerd-meta.db"));
  const layout = scanLayout(bytes);
  const view = new DataView(bytes.buffer);
  // the branch whose first key is "lease-…": the leases bucket's root
  const page = layout.branches.find((id) => {
    const e = id * layout.pageSize + 16;
    const key = bytes.subarray(e + view.getUint32(e, true), e + view.getUint32(e, true) + 6);
    return text(key) === "lease-";
  });
  assert.ok(page !== undefined, "the fixture's leases bucket has a branch root");
  return { bytes, view, page, pageSize: layout.pageSize };
}

const findLease = (root: BoltBucket) => bucketAt(root, ["v1", "crifs-leases", "leases"])?.bucket("lease-299");

test("a file cut short of its high-water mark is refused at the meta page, naming the file", () => {
  const bytes = readFixture("containerd-meta.db");
  const meta = chooseMeta(bytes, "meta.db");
  const path = fileOf(bytes.slice(0, Number(meta.pgid) * meta.pageSize - 4096));
  assert.match(lookupError(path, findLease).message, /^truncated: the file is \d+ bytes, but its meta page/);
  const tiny = fileOf(bytes.slice(0, 40));
  assert.match(lookupError(tiny, findLease).message, /too short for bbolt/);
});

test("a branch naming a page past the high-water mark or a meta page is one line", () => {
  const b = leasesBranch();
  const count = b.view.getUint16(b.page * b.pageSize + 10, true);
  const e = b.page * b.pageSize + 16 + (count - 1) * 16; // the last element: lease-299's child
  b.view.setBigUint64(e + 8, 1_000_000n, true);
  b.view.setBigUint64(b.page * b.pageSize + 16 + 8, 1n, true); // element 0 -> meta page 1
  const path = fileOf(b.bytes);
  const last = lookupError(path, findLease).message;
  assert.match(
    last,
    /^cannot read page 1000000 \(bucket "v1"\/"crifs-leases"\/"leases"\): beyond the high-water mark/,
  );
  const first = lookupError(path, (root) =>
    bucketAt(root, ["v1", "crifs-leases", "leases"])?.bucket("lease-001"),
  ).message;
  assert.match(first, /^cannot read page 1 .*: ids 0 and 1 are the meta pages/);
});

test("a page whose header says another id or another type is refused", () => {
  const b = leasesBranch();
  const child = Number(b.view.getBigUint64(b.page * b.pageSize + 16 + 8, true));
  b.view.setUint16(child * b.pageSize + 8, 0x10, true); // the first child says freelist
  const path = fileOf(b.bytes);
  const lease1 = (root: BoltBucket) => bucketAt(root, ["v1", "crifs-leases", "leases"])?.bucket("lease-001");
  assert.match(lookupError(path, lease1).message, /flags say freelist, expected a branch or leaf page$/);
  b.view.setUint16(child * b.pageSize + 8, 0x02, true);
  b.view.setBigUint64(child * b.pageSize, 7n, true);
  assert.match(
    lookupError(fileOf(b.bytes), lease1).message,
    /page header says id 7 \(torn or corrupt file\)$/,
  );
  // the lookups that do not pass that page still answer
  assert.ok(lookupBolt(path, findLease));
});

test("a cycle of branch pages, or of a bucket back to its parent's page, ends at once in one line", () => {
  const b = leasesBranch();
  b.view.setBigUint64(b.page * b.pageSize + 16 + 8, BigInt(b.page), true); // element 0 -> itself
  const path = fileOf(b.bytes);
  const t0 = process.hrtime.bigint();
  const err = lookupError(path, (root) =>
    bucketAt(root, ["v1", "crifs-leases", "leases"])?.bucket("lease-001"),
  );
  assert.match(err.message, /reached twice on one path from the meta page \(a cycle\)$/);
  const walk = lookupError(path, (root) => [
    ...(bucketAt(root, ["v1", "crifs-leases", "leases"])?.entries() ?? []),
  ]);
  assert.match(walk.message, /a cycle/);
  assert.ok(Number(process.hrtime.bigint() - t0) / 1e9 < 5);
});

test("a meta page pointing its root at page 1 or a torn meta is refused at the meta page", () => {
  const bytes = new Uint8Array(readFixture("overlayfs-metadata.db"));
  const layout = scanLayout(bytes);
  const other = layout.metaOffset === 0 ? layout.pageSize : 0;
  for (const off of [0, layout.pageSize]) bytes[off + 16 + 20] = 0xff; // both checksums break
  assert.match(lookupError(fileOf(bytes), (root) => root.bucket("v1")).message, /checksum mismatch/);
  resealMeta(bytes, layout.metaOffset);
  resealMeta(bytes, other);
  assert.match(lookupError(fileOf(bytes), (root) => root.bucket("v1")).message, /root page \d+ outside/);
});

test("a view a commit overlapped is read again; a file that never settles is busy", () => {
  const bytes = readFixture("overlayfs-metadata.db");
  const path = fileOf(bytes);
  const layout = scanLayout(bytes);
  const bumped = new Uint8Array(bytes);
  bumped[layout.metaOffset + 16 + 48] = (bumped[layout.metaOffset + 16 + 48] as number) + 2; // txid + 2
  resealMeta(bumped, layout.metaOffset);
  let views = 0;
  const keys = lookupBolt(
    path,
    (root) => {
      views++;
      return [...(root.bucket("v1")?.entries() ?? [])].map((e) => text(e.key));
    },
    { retryDelayMs: 0, beforeRecheck: () => views === 1 && writeFileSync(path, bumped) },
  );
  assert.equal(views, 2);
  assert.ok(keys.includes("snapshots"));
  let flip = false;
  assert.throws(
    () =>
      lookupBolt(path, (root) => root.bucket("v1"), {
        attempts: 3,
        retryDelayMs: 0,
        beforeRecheck: () => {
          flip = !flip;
          writeFileSync(path, flip ? bytes : bumped);
        },
      }),
    (err) =>
      err instanceof CrifsError && err.code === "busy" && /changed during all 3 reads/.test(err.message),
  );
});

test("a bucket whose root is a page above it on the path is a cycle; depth is bounded as at open", () => {
  const chain = chainImage("buckets", 3);
  new DataView(chain.buffer).setBigUint64(5 * 4096 + 16 + 17, 3n, true); // page 5's bucket "b" -> page 3
  const bs = (n: number) => Array.from({ length: n }, () => "b");
  assert.match(
    lookupError(fileOf(chain), (root) => bucketAt(root, bs(4))).message,
    /^cannot read page 3 \(bucket "b"\/"b"\/"b"\): reached twice on one path from the meta page \(a cycle\)$/,
  );
  const deep = fileOf(chainImage("buckets", 5000, 512));
  assert.ok(lookupBolt(deep, (root) => bucketAt(root, bs(64)) !== undefined));
  assert.match(lookupError(deep, (root) => bucketAt(root, bs(65))).message, /nested deeper than 64$/);
  const tall = fileOf(chainImage("branches", 5000, 512));
  assert.match(lookupError(tall, (root) => root.get("k")).message, /tree deeper than 64 levels$/);
  assert.equal(
    text(lookupBolt(fileOf(chainImage("branches", 64)), (root) => root.get("k")) ?? new Uint8Array()),
    "v",
  );
});

test("300 damaged copies of both fixtures: every lookup answers or fails as one corrupt line naming the file", () => {
  const rng = seeded(1807);
  for (let i = 0; i < 300; i++) {
    const name = rng.pick(fixtureNames);
    const bytes = new Uint8Array(readFixture(name));
    const mutation = rng.pick(mutationNames);
    const out = (mutations[mutation] as Mutation)(bytes, scanLayout(bytes), rng);
    const path = fileOf(out.bytes);
    try {
      lookupBolt(path, (root) => flatten(root).length, { attempts: 1 });
    } catch (err) {
      assert.ok(err instanceof CrifsError, `${mutation} (${out.what}): ${String(err)}`);
      assert.equal(err.code, "corrupt", `${mutation} (${out.what}): ${err.message}`);
      assert.equal(err.path, path);
      assert.ok(!err.oneLine().includes("\n"));
    }
    rmSync(path);
  }
});
