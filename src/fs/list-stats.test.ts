import assert from "node:assert/strict";
import { lstatSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FactReader } from "./fact-reader.js";
import { listStatsJs, listStatsNative, STAT_STRIDE } from "./list-stats.js";
import { decodeName, encodeName } from "./name-codec.js";
import { plantTree, tempDir } from "./testing-tree.js";
import { loadNativeScanner } from "./walk-native.js";

/** A dir of every kind of entry a snapshots/ dir may hold, with a name that is not UTF-8 and one that is. */
function planted(): { root: string; odd: string } {
  const root = tempDir("crifs-list-stats-");
  plantTree(root, ["d 100/fs", "d 2", "d new-1", "f rm-file x", "l link /etc", "d é dir", "d Z"]);
  const odd = "bad\udcff";
  // a name in no UTF-8: made with its bytes (Node cannot spell it as a string)
  writeFileSync(Buffer.concat([Buffer.from(`${root}/`), encodeName(odd)]), "");
  return { root, odd };
}

/** What lstat says of each name, as the rows listStats gives. */
function expected(root: string, names: readonly string[]): number[] {
  return names.flatMap((n) => {
    const st = lstatSync(Buffer.concat([Buffer.from(`${root}/`), encodeName(n)]));
    return [st.isDirectory() ? 1 : 0, st.mtimeMs, st.ctimeMs, st.dev, st.ino];
  });
}

test("listStats: the native engine is built (the JS one is only its fallback)", () => {
  assert.notEqual(loadNativeScanner().scanner, null, "build the addon: npm run install");
  assert.notEqual(listStatsNative(new FactReader(), "/"), null, "the addon lacks listStats: npm run install");
});

test("listStats: both engines give every entry, sorted bytewise, exact names, lstat's numbers", () => {
  const { root, odd } = planted();
  const js = listStatsJs(new FactReader(), root);
  const native = listStatsNative(new FactReader(), root);
  // readdirSync's own order is the reference (libuv sorts by strcmp): the odd name sorts by its bytes
  const order = readdirSync(root, { encoding: "buffer" }).map(decodeName);
  assert.equal(order.length, 8);
  assert.deepEqual(js.names, order);
  assert.ok(js.names.includes(odd), "the name in no UTF-8 is carried exactly");
  assert.deepEqual(Array.from(js.stats), expected(root, js.names));
  assert.equal(js.stats.length, js.names.length * STAT_STRIDE);
  assert.deepEqual(native?.names, js.names);
  assert.deepEqual(Array.from(native?.stats ?? []), Array.from(js.stats));
});

test("listStats: a dir that is not there (or is a file) lists as empty and is not noted", () => {
  const root = tempDir("crifs-list-stats-");
  plantTree(root, ["f file x"]);
  for (const dir of [join(root, "absent"), join(root, "file")]) {
    for (const list of [listStatsJs, listStatsNative]) {
      const r = new FactReader();
      const got = list(r, dir);
      assert.deepEqual(got?.names, []);
      assert.equal(got?.stats.length, 0);
      assert.deepEqual(r.errors, []);
    }
  }
});

test("listStats: a dir that cannot be read (a symlink loop: ELOOP) is noted as FactReader.list notes it, by both engines", () => {
  const root = tempDir("crifs-list-stats-");
  plantTree(root, ["l loop loop"]);
  const notes = [listStatsJs, listStatsNative].map((list) => {
    const r = new FactReader();
    const got = list(r, join(root, "loop"));
    assert.deepEqual(got?.names, []);
    return r.errors;
  });
  assert.deepEqual(notes[1], notes[0]);
  assert.deepEqual(notes[0], [{ path: join(root, "loop"), message: notes[0]?.[0]?.message }]);
  assert.match(notes[0]?.[0]?.message ?? "", /^cannot list directory: /);
});
