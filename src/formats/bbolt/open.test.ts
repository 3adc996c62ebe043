// open.test.ts — openBolt against a writer: a file read while a commit lands is read again, a file
// that keeps changing is "busy", a file that is consistently broken is "corrupt". The writer is
// simulated deterministically through the io hook (and, in one test, by really rewriting the file).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CrifsError } from "../../errors.js";
import { dumpBolt } from "./dump.js";
import { type BoltFileIo, fsBoltIo, openBolt } from "./open.js";
import { parseBolt } from "./parse.js";
import { fixturePath, readFixture } from "./testing.js";

const tmp = mkdtempSync(join(tmpdir(), "crifs-bolt-open-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const a = readFixture("containerd-meta.db");
const b = readFixture("overlayfs-metadata.db"); // "the file after a commit"
const txid = (bytes: Uint8Array) => parseBolt(bytes, "x").txid;

/** An io whose file content is `images[k]` at read k (whole-file reads and meta re-reads alike). */
function scripted(plan: readonly { file: Uint8Array; metas: Uint8Array }[]): BoltFileIo & { reads: number } {
  const io = {
    reads: 0,
    readFile(_path: string) {
      const step = plan[Math.min(io.reads, plan.length - 1)];
      io.reads++;
      return (step as (typeof plan)[number]).file;
    },
    readRange(_path: string, offset: number, length: number) {
      const step = plan[Math.min(io.reads - 1, plan.length - 1)] as (typeof plan)[number];
      return step.metas.subarray(offset, offset + length);
    },
  };
  return io;
}

function openError(run: () => unknown): CrifsError {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof CrifsError, `not a CrifsError: ${String(err)}`);
    return err;
  }
  assert.fail("openBolt did not throw");
}

test("openBolt reads a real file the same as parseBolt of its bytes", () => {
  const path = fixturePath("containerd-meta.db");
  const db = openBolt(path);
  assert.equal(db.path, path);
  assert.equal(dumpBolt(db), dumpBolt(parseBolt(a, path)));
});

test("a commit that lands during the read makes openBolt read again and return the new state", () => {
  // Read 1 sees A, but the meta pages say B by the time A is parsed; read 2 sees B throughout.
  const io = scripted([
    { file: a, metas: b },
    { file: b, metas: b },
  ]);
  const db = openBolt("/x/meta.db", { io, retryDelayMs: 0 });
  assert.equal(io.reads, 2);
  assert.equal(db.txid, parseBolt(b, "b").txid);
});

test("a torn read that does not parse is retried when the meta pages moved on", () => {
  const torn = a.slice();
  torn.fill(0, 2 * 4096); // meta pages of A, every other page already rewritten (here: zeroed)
  const io = scripted([
    { file: torn, metas: b },
    { file: b, metas: b },
  ]);
  const db = openBolt("/x/meta.db", { io, retryDelayMs: 0 });
  assert.equal(io.reads, 2);
  assert.equal(dumpBolt(db), dumpBolt(parseBolt(b, "b")));
});

test("a file that changes during every read is busy after the given attempts", () => {
  const io = scripted([{ file: a, metas: b }]);
  const err = openError(() => openBolt("/x/meta.db", { io, attempts: 3, retryDelayMs: 0 }));
  assert.equal(io.reads, 3);
  assert.equal(err.code, "busy");
  assert.equal(
    err.oneLine().split(" (hint")[0],
    `/x/meta.db: cannot read a consistent view: the file changed during 3 of 3 reads (last: txid ${txid(a)} → ${txid(b)})`,
  );
});

test("a file that is broken while no commit overlaps the read is corrupt at once, with the parse error", () => {
  const broken = a.slice();
  broken.fill(0, 2 * 4096);
  const io = scripted([{ file: broken, metas: broken }]);
  const err = openError(() => openBolt("/x/meta.db", { io, retryDelayMs: 0 }));
  assert.equal(io.reads, 1);
  assert.equal(err.code, "corrupt");
  assert.match(
    err.oneLine(),
    /^\/x\/meta\.db: cannot read page \d+ \(the root bucket\): .*\(hint: .*backup\)$/,
  );
});

test("a real writer replacing the file between the read and the meta check is caught", () => {
  const path = join(tmp, "meta.db");
  writeFileSync(path, a);
  let commits = 0;
  const io: BoltFileIo = {
    readFile(p) {
      const bytes = fsBoltIo.readFile(p);
      if (commits === 0) {
        writeFileSync(path, b); // the "commit" lands right after our first read
        commits++;
      }
      return bytes;
    },
    readRange: fsBoltIo.readRange,
  };
  const db = openBolt(path, { io, retryDelayMs: 1 });
  assert.equal(db.txid, parseBolt(b, "b").txid);
});

test("a missing file is not-found and names the path", () => {
  const path = join(tmp, "nope", "meta.db");
  const err = openError(() => openBolt(path));
  assert.equal(err.code, "not-found");
  assert.ok(err.oneLine().startsWith(`${path}: cannot read: no such file or directory`));
});

test("a directory is an error that names the path, not a crash", () => {
  const err = openError(() => openBolt(tmp, { attempts: 1 }));
  assert.ok(err.oneLine().startsWith(`${tmp}: cannot read`));
});

test("an empty file is corrupt", () => {
  const path = join(tmp, "empty.db");
  writeFileSync(path, "");
  const err = openError(() => openBolt(path, { retryDelayMs: 0 }));
  assert.equal(err.code, "corrupt");
  assert.match(err.message, /the file is 0 bytes/);
});
