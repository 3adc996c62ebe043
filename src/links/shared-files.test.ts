// shared-files.test.ts — hard links that span layers and identical files in different layers, in temp
// layer dirs: what is grouped, what is hashed (only sizes two layers share, each inode once), and the bytes
// sharing would save; readLayerFiles against `find -type f`.
// Needs root only for the whiteout in the walk test; CRIFS_SKIP_ROOT=1 skips that one.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { contentKey } from "../fs/file-hash.js";
import { type LayerFileTable, readLayerFiles, readLayersFiles } from "./layer-files.js";
import {
  findCrossLayerHardLinks,
  findDuplicateFiles,
  type LayerInventory,
  type LayerSnapshot,
  sizeChunks,
} from "./shared-files.js";
import { type TempStore, tempStores } from "./testing.js";

const isRoot = process.getuid?.() === 0;
const fresh = tempStores();

function inventories(t: TempStore): LayerInventory[] {
  return t.store().snapshots.map((s) => {
    const layer: LayerSnapshot = s;
    return { layer, files: readLayerFiles(s.path).files };
  });
}

test("readLayerFiles lists the regular files find -type f lists, with their inode facts", {
  skip: !isRoot && process.env.CRIFS_SKIP_ROOT === "1",
}, () => {
  const t = fresh();
  const dir = t.layer("a", null, ["f x/1 one", "f x/y/2 two", "l x/link 1", "w x/gone", "d empty"]);
  writeFileSync(join(dir, "x", "sparse"), "");
  execFileSync("truncate", ["-s", "1M", join(dir, "x", "sparse")]);
  const { files, errors } = readLayerFiles(dir);
  assert.deepEqual(errors, []);
  const find = execFileSync("find", [dir, "-type", "f", "-printf", "/%P %s %n %b\n"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .sort();
  assert.deepEqual(
    files.toArray().map((f) => `${f.rel} ${f.size} ${f.nlink} ${f.allocated / 512}`),
    find,
  );
});

test("an inode named in two layers is a cross-layer hard-link group; one named twice in one layer is not", {
  skip: !isRoot && process.env.CRIFS_SKIP_ROOT === "1",
}, () => {
  const t = fresh();
  const a = t.layer("a", null, ["f shared contents", "f local x"]);
  execFileSync("ln", [join(a, "local"), join(a, "local2")]);
  const b = t.layer("b", "a", [`h lib/shared ${join(a, "shared")}`]);
  const groups = findCrossLayerHardLinks(inventories(t));
  assert.equal(groups.length, 1);
  const g = groups[0];
  assert.deepEqual(
    g?.names.map((n) => `${n.key} ${n.path}`),
    ["a /shared", "b /lib/shared"],
  );
  assert.equal(g?.nlink, 2);
  assert.equal(g?.size, 8);
  assert.equal(g?.names[1]?.hostPath, join(b, "lib/shared"));
});

test("hard-link names and groups are in host-path order, also where one layer dir is a prefix of another", {
  skip: !isRoot && process.env.CRIFS_SKIP_ROOT === "1",
}, () => {
  const t = fresh();
  const a = t.layer("a", null, ["f s1 aaa", "f s2 bbb"]);
  t.layer("b", "a", [`h x/s1 ${join(a, "s1")}`, `h a/s2 ${join(a, "s2")}`, `h z ${join(a, "s1")}`]);
  const real = inventories(t);
  const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  // the layers' own dirs; the two swapped; b's dir a prefix of a's (then the dirs alone do not order names:
  // /L/a/z sorts after /L/a/x/s1 although /L/a sorts before /L/a/x)
  for (const dirs of [real.map((l) => l.layer.path), ["/L/b", "/L/a"], ["/L/a/x", "/L/a"]]) {
    const layers = real.map((l, i) => ({ ...l, layer: { ...l.layer, path: dirs[i] as string } }));
    const groups = findCrossLayerHardLinks(layers);
    const hostPaths = groups.map((g) => g.names.map((n) => n.hostPath));
    assert.equal(groups.length, 2, dirs.join(" "));
    for (const names of hostPaths) assert.deepEqual(names, [...names].sort(compare), dirs.join(" "));
    const firsts = hostPaths.map((names) => names[0] as string);
    assert.deepEqual(firsts, [...firsts].sort(compare), dirs.join(" "));
    for (const g of groups)
      for (const n of g.names) assert.equal(n.hostPath, `${n.id === "1" ? dirs[0] : dirs[1]}${n.path}`);
  }
  const prefixed = findCrossLayerHardLinks(
    real.map((l, i) => ({ ...l, layer: { ...l.layer, path: ["/L/a/x", "/L/a"][i] as string } })),
  );
  assert.deepEqual(
    prefixed.map((g) => g.names.map((n) => n.hostPath).join(" ")),
    // a's /s1 and b's /x/s1 have one host path here; a sort by dir, then path would put /L/a/z before it
    ["/L/a/a/s2 /L/a/x/s2", "/L/a/x/s1 /L/a/x/s1 /L/a/z"],
  );
});

test("sizeChunks cuts candidates (in size order) into runs of about the given length, never inside a size", () => {
  const chunks = (sizes: number[], about: number) =>
    sizeChunks(Float64Array.from(sizes), about).map((c) => [...c]);
  assert.deepEqual(chunks([1, 1, 2, 2, 2, 3, 4, 4], 2), [
    [0, 1],
    [2, 3, 4],
    [5, 6, 7],
  ]);
  assert.deepEqual(chunks([5, 5, 5, 5], 1), [[0, 1, 2, 3]]);
  assert.deepEqual(chunks([1, 2, 3], 10), [[0, 1, 2]]);
  assert.deepEqual(chunks([], 4), []);
});

test("identical files in different layers form one group; only shared sizes are read, each inode once", async () => {
  const t = fresh();
  const a = t.layer("a", null, ["f bin/tool same-bytes", "f only-a unique-size-here", "f empty-a"]);
  t.layer("b", "a", ["f usr/bin/tool same-bytes", "f diff same-bytez", "f empty-b"]);
  t.layer("c", "b", [`h tool-link ${join(a, "bin/tool")}`, "f other-ns same-bytes"]);
  const hashed: string[] = [];
  const { groups, errors } = await findDuplicateFiles(inventories(t), {
    contentKey: (p) => {
      hashed.push(p.slice(t.dir.length));
      return contentKey(p);
    },
  });
  assert.deepEqual(errors, []);
  // 10-byte files: bin/tool (+ its hard link in c, hashed once), usr/bin/tool, diff, other-ns
  assert.deepEqual(hashed.sort(), [
    "/snapshots/1/fs/bin/tool",
    "/snapshots/2/fs/diff",
    "/snapshots/2/fs/usr/bin/tool",
    "/snapshots/3/fs/other-ns",
  ]);
  assert.equal(groups.length, 1);
  const g = groups[0];
  assert.equal(g?.copies, 3);
  assert.equal(g?.size, 10);
  assert.deepEqual(
    g?.names.map((n) => `${n.key} ${n.path}`),
    ["a /bin/tool", "b /usr/bin/tool", "c /other-ns", "c /tool-link"],
  );
  // three inodes, each one allocated block (4 KiB on the usual file systems): two could go
  const blocks =
    readLayerFiles(a)
      .files.toArray()
      .find((f) => f.rel === "/bin/tool")?.allocated ?? -1;
  assert.equal(g?.savableBytes, 2 * blocks);
  assert.equal(g?.digest, contentKey(join(a, "bin/tool")));
  // the same groups when the files are read by worker threads
  const inWorkers = await findDuplicateFiles(inventories(t), { threads: 2 });
  assert.deepEqual(inWorkers, { groups, errors });
});

test("a file that cannot be read is an error in the result, and the rest is still grouped", async () => {
  const t = fresh();
  t.layer("a", null, ["f x 12345", "f y abcde"]);
  t.layer("b", "a", ["f x 12345", "f y abcde"]);
  const { groups, errors } = await findDuplicateFiles(inventories(t), {
    contentKey: (p) => {
      if (p.endsWith("/2/fs/y")) throw Object.assign(new Error("denied"), { code: "EACCES" });
      return contentKey(p);
    },
  });
  assert.deepEqual(
    errors.map((e) => e.message),
    ["cannot read: permission denied"],
  );
  assert.deepEqual(
    groups.map((g) => g.names.map((n) => n.path).join(",")),
    ["/x,/x"],
  );
});

test("staged reads (whole, edges, then content) group exactly as one content key per inode does, listed natively or in JS", async () => {
  const t = fresh();
  const a = t.layer("a", null, ["f small same-small"]);
  const b = t.layer("b", "a", ["f small same-small", "f small-other diff-small"]);
  // 300 KiB files: equal edges, one differs only in the middle; a sparse copy of dense bytes; a big file
  // whose edges differ from its same-sized peers
  const size = 300 * 1024;
  const bytes = (fillByte: number, middle: number) => {
    const buf = Buffer.alloc(size, 0);
    buf.fill(fillByte, 0, 9000);
    buf.fill(fillByte, size - 9000);
    buf[size >> 1] = middle;
    return buf;
  };
  writeFileSync(join(a, "big"), bytes(1, 7));
  writeFileSync(join(b, "big"), bytes(1, 7));
  writeFileSync(join(b, "big-middle"), bytes(1, 8));
  writeFileSync(join(a, "big-edges"), bytes(2, 7));
  writeFileSync(join(a, "dense"), Buffer.concat([Buffer.alloc(size - 4), Buffer.from("tail")]));
  writeFileSync(join(b, "sparse"), "");
  execFileSync("truncate", ["-s", String(size - 4), join(b, "sparse")]);
  execFileSync("dd", [`of=${join(b, "sparse")}`, "oflag=append", "conv=notrunc", "status=none"], {
    input: "tail",
  });
  const hashed: string[] = [];
  const expected = await findDuplicateFiles(inventories(t), {
    contentKey: (p) => {
      hashed.push(p);
      return contentKey(p);
    },
  });
  assert.deepEqual(
    expected.groups.map((g) => g.names.map((n) => `${n.key}${n.path}`).join(" ")),
    ["a/big b/big", "a/dense b/sparse", "a/small b/small"],
  );
  for (const threads of [1, 2]) {
    assert.deepEqual(await findDuplicateFiles(inventories(t), { threads }), expected, `threads ${threads}`);
  }
  const listed = await readLayersFiles(t.store().snapshots.map((s) => s.path));
  const native = t
    .store()
    .snapshots.map((layer, i) => ({ layer, files: listed[i]?.files as LayerFileTable }));
  assert.deepEqual(await findDuplicateFiles(native, { threads: 2 }), expected, "native listing");
  assert.deepEqual(
    native.map((l) => l.files.toArray()),
    inventories(t).map((l) => l.files.toArray()),
  );
});
