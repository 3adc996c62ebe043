// fs/walk.test.ts — scanTrees against GNU du and find, on trees built here under /var/tmp, with both engines.
// Needs root (mknod, mount, running du as nobody); CRIFS_SKIP_ROOT=1 skips instead of failing.
// The native engine must be built (npm ci builds it); CRIFS_SKIP_NATIVE=1 tests the JS engine alone.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decodeName, encodeName } from "./name-codec.js";
import { NOBODY, stageForNobody } from "./testing-as-nobody.js";
import { du, engines, findSymlinks, makeRichTree, scanWith, sh, sum, treesOf } from "./testing-walk.js";
import type { ScanResult } from "./walk.js";
import { loadNativeScanner } from "./walk-native.js";

const isRoot = process.getuid?.() === 0;
const skipRoot = !isRoot && process.env.CRIFS_SKIP_ROOT === "1";
const nobody = NOBODY;

let base = "";
const mounts: string[] = [];

before(() => {
  if (!skipRoot)
    assert.equal(process.getuid?.(), 0, "these tests need root (set CRIFS_SKIP_ROOT=1 to skip them)");
  if (engines.includes("native")) {
    const { scanner, problem } = loadNativeScanner();
    assert.ok(
      scanner,
      `the native scanner is not loadable (${problem}); build it or set CRIFS_SKIP_NATIVE=1`,
    );
  }
  base = mkdtempSync("/var/tmp/crifs-walk-");
  chmodSync(base, 0o755);
});

after(() => {
  for (const m of mounts) spawnSync("umount", ["-l", m]);
  if (base !== "") spawnSync("rm", ["-rf", "--one-file-system", base]); // rm, not rmSync: paths past PATH_MAX
});

describe("scanTrees", () => {
  let rich = "";
  before(() => {
    rich = join(base, "rich");
    mkdirSync(rich);
    makeRichTree(rich);
  });

  for (const engine of engines) {
    test(`${engine}: totals equal du -s -B1 -x and inodes equal du -s --inodes -x for a tree with one of everything`, async () => {
      const r = await scanWith(engine, treesOf(rich));
      assert.equal(r.engine, engine);
      assert.deepEqual(r.errors, []);
      assert.equal(r.total.allocatedBytes, sum(du(["-s", "-B1", "-x"], [rich])), rich);
      assert.equal(r.total.inodes, sum(du(["-s", "--inodes", "-x"], [rich])), rich);
      assert.equal(r.total.apparentBytes, sum(du(["-s", "-b", "-x"], [rich])), rich);
      assert.deepEqual(r.perTree.get("t0"), r.total);
    });

    test(`${engine}: symlinks equal find -type l, with their targets, and none is followed`, async () => {
      const r = await scanWith(engine, treesOf(rich), { collectSymlinks: true });
      assert.deepEqual(
        r.symlinks.map((s) => [s.rel, s.target]),
        findSymlinks(rich),
      );
      assert.ok(r.symlinks.every((s) => s.tree === "t0"));
    });

    test(`${engine}: without usage, symlinks are the same and sizes are zero`, async () => {
      const full = await scanWith(engine, treesOf(rich), { collectSymlinks: true });
      const links = await scanWith(engine, treesOf(rich), { collectSymlinks: true, usage: false });
      assert.deepEqual(links.symlinks, full.symlinks);
      assert.deepEqual(links.total, { allocatedBytes: 0, apparentBytes: 0, inodes: 0 });
    });
  }

  test("both engines give identical results, and the native one the same with 1 and 4 threads and with no directory opened ahead", async () => {
    const dirs = ["x", "y"].map((n) => join(base, `same-${n}`));
    for (const d of dirs) {
      mkdirSync(d);
      makeRichTree(d);
    }
    linkSync(join(dirs[0] ?? "", "a/small"), join(dirs[1] ?? "", "from-x"));
    const trees = [...treesOf(rich, ...dirs)];
    const results = [];
    for (const engine of engines) {
      for (const threads of engine === "native" ? [1, 2, 4] : [2]) {
        const r = await scanWith(engine, trees, { collectSymlinks: true, threads });
        results.push({ ...r, engine: "any" });
      }
    }
    for (const heldDirs of [0, 1]) {
      // none opened ahead, and a bound reached in the middle of a directory
      const r = await scanWith("native", trees, { collectSymlinks: true, heldDirs });
      results.push({ ...r, engine: "any" });
    }
    for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
  });

  describe("hard links across trees", () => {
    let dirs: string[] = [];
    before(() => {
      dirs = ["p", "q", "r"].map((n) => join(base, `cross-${n}`));
      for (const d of dirs) mkdirSync(join(d, "sub"), { recursive: true });
      const [p = "", q = "", r = ""] = dirs;
      for (let i = 0; i < 20; i++) writeFileSync(join(p, `f${i}`), Buffer.alloc(5000 * (i + 1), i));
      for (let i = 0; i < 10; i++) linkSync(join(p, `f${i}`), join(q, "sub", `g${i}`)); // q shares half of p
      for (let i = 5; i < 15; i++) linkSync(join(p, `f${i}`), join(r, `h${i}`)); // r overlaps p and q
      writeFileSync(join(q, "own"), Buffer.alloc(9000, 3));
      linkSync(join(q, "own"), join(r, "own-from-q"));
      writeFileSync(join(r, "outside-linked"), Buffer.alloc(7000, 4)); // its other link is outside every tree
      linkSync(join(r, "outside-linked"), join(base, "outside-link"));
    });

    for (const engine of engines) {
      test(`${engine}: each tree's usage equals du's line for it when the trees are given in the same order`, async () => {
        for (const order of [
          [0, 1, 2],
          [2, 1, 0],
          [1, 0, 2],
        ]) {
          const paths = order.map((i) => dirs[i] ?? "");
          const r = await scanWith(engine, treesOf(...paths));
          const bytes = du(["-s", "-B1", "-x"], paths);
          const inodes = du(["-s", "--inodes", "-x"], paths);
          paths.forEach((p, i) => {
            assert.equal(r.perTree.get(`t${i}`)?.allocatedBytes, bytes[i]?.[0], `${p} in order ${order}`);
            assert.equal(r.perTree.get(`t${i}`)?.inodes, inodes[i]?.[0], `${p} in order ${order}`);
          });
          assert.equal(r.total.allocatedBytes, sum(bytes));
        }
      });
    }
  });

  for (const engine of engines) {
    test(`${engine}: a tmpfs mounted inside a tree is not crossed with oneFileSystem, and is without it`, async (t) => {
      if (skipRoot) return t.skip("needs root");
      const tree = join(base, `mounted-${engine}`);
      mkdirSync(join(tree, "mnt"), { recursive: true });
      writeFileSync(join(tree, "here"), Buffer.alloc(10000, 1));
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", join(tree, "mnt")]);
      mounts.push(join(tree, "mnt"));
      mkdirSync(join(tree, "mnt/inside"));
      writeFileSync(join(tree, "mnt/inside/file"), Buffer.alloc(100000, 2));
      symlinkSync("x", join(tree, "mnt/inside/link"));

      const x = await scanWith(engine, treesOf(tree), { collectSymlinks: true });
      assert.equal(x.total.allocatedBytes, sum(du(["-s", "-B1", "-x"], [tree])));
      assert.equal(x.total.inodes, sum(du(["-s", "--inodes", "-x"], [tree])));
      assert.deepEqual(x.symlinks, []);
      const all = await scanWith(engine, treesOf(tree), { oneFileSystem: false, collectSymlinks: true });
      assert.equal(all.total.allocatedBytes, sum(du(["-s", "-B1"], [tree])));
      assert.equal(all.total.inodes, sum(du(["-s", "--inodes"], [tree])));
      assert.deepEqual(
        all.symlinks.map((s) => s.rel),
        ["/mnt/inside/link"],
      );
    });
  }

  test("an unreadable directory is reported and the walk goes on, as du counts it (scanning as nobody)", (t) => {
    if (skipRoot) return t.skip("needs root");
    const tree = join(base, "locked");
    mkdirSync(join(tree, "closed/inner"), { recursive: true });
    mkdirSync(join(tree, "listable-only"), { recursive: true });
    mkdirSync(join(tree, "open"), { recursive: true });
    writeFileSync(join(tree, "closed/inner/file"), Buffer.alloc(50000, 1));
    writeFileSync(join(tree, "listable-only/file"), Buffer.alloc(50000, 1));
    writeFileSync(join(tree, "open/file"), Buffer.alloc(50000, 1));
    chmodSync(tree, 0o755);
    chmodSync(join(tree, "closed"), 0o000);
    chmodSync(join(tree, "listable-only"), 0o444); // names can be read, entries not stat'ed
    // a copy nobody can read: the clone may sit in a 0700 dir (mktemp -d, /root)
    const staged = stageForNobody();
    t.after(() => staged.remove());
    const source = `const { scanTrees } = await import(${JSON.stringify(staged.moduleUrl("fs/walk.js"))});
      const heldDirs = process.env.HELD === undefined ? {} : { heldDirs: Number(process.env.HELD) };
      const r = await scanTrees([{ id: "t", path: ${JSON.stringify(tree)} }], { cacheDir: null, ...heldDirs });
      process.stdout.write(JSON.stringify({ engine: r.engine, total: r.total, errors: r.errors }));`;
    const expected = sum(du(["-s", "-B1", "-x"], [tree], nobody));
    const expectedInodes = sum(du(["-s", "--inodes", "-x"], [tree], nobody));
    assert.notEqual(expected, sum(du(["-s", "-B1", "-x"], [tree])), "nobody must see less than root");
    // native: "closed" fails to open from its parent and is stat'ed and opened by path instead (default),
    // or is opened by path only (heldDirs 0); both end in the same error
    const runs: { engine: string; held?: string }[] = [];
    for (const engine of engines) {
      runs.push({ engine });
      if (engine === "native") runs.push({ engine, held: "0" });
    }
    for (const { engine, held } of runs) {
      const r = staged.runModule(source, {
        env: { CRIFS_ENGINE: engine, ...(held === undefined ? {} : { HELD: held }) },
      });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as Pick<ScanResult, "engine" | "total" | "errors">;
      assert.equal(out.engine, engine);
      assert.equal(out.total.allocatedBytes, expected, engine);
      assert.equal(out.total.inodes, expectedInodes, engine);
      assert.deepEqual(out.errors, [
        { path: join(tree, "closed"), message: "cannot read directory: permission denied" },
        { path: join(tree, "listable-only/file"), message: "cannot stat: permission denied" },
      ]);
    }
  });

  test("names and targets that are not UTF-8 are walked and reported the same by both engines", async () => {
    const tree = join(base, "bytes");
    const bad = Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]);
    const dir = Buffer.concat([Buffer.from(`${tree}/`), bad]);
    mkdirSync(dir, { recursive: true });
    writeFileSync(Buffer.concat([dir, Buffer.from("/file")]), Buffer.alloc(30000, 1));
    writeFileSync(Buffer.concat([dir, Buffer.from("/"), bad]), Buffer.alloc(10000, 1));
    symlinkSync(Buffer.concat([Buffer.from("../"), bad]), Buffer.concat([dir, Buffer.from("/link")]));
    const results = [];
    for (const engine of engines) {
      const r = await scanWith(engine, treesOf(tree), { collectSymlinks: true });
      assert.deepEqual(r.errors, [], engine);
      assert.equal(r.total.allocatedBytes, sum(du(["-s", "-B1", "-x"], [tree])), engine);
      assert.equal(r.total.inodes, sum(du(["-s", "--inodes", "-x"], [tree])), engine);
      results.push({ ...r, engine: "any" });
    }
    if (results.length === 2) assert.deepEqual(results[1], results[0]);
    assert.equal(results[0]?.symlinks.length, 1);
  });

  test("issue 13: symlink names and targets come back as their exact bytes from both engines and from the cache", async () => {
    const tree = join(base, "exact-bytes");
    const b = (...parts: (string | number[] | Buffer)[]) =>
      Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p as number[]))));
    // names: stray bytes, a newline, an escape sequence, UTF-8 text with a stray continuation byte, a
    // character outside the BMP, and a path long enough (> 512 bytes) for the scanner's heap path
    const names = [
      b([0xff, 0xfe]),
      b("a\nb"),
      b("\x1b[31mred"),
      b("caf\u00e9", [0x80]),
      b("\u{1f600}", [0xc3]),
    ];
    const deep = b(`${tree}/`, "x".repeat(200), "/", "y".repeat(200), "/", "z".repeat(150), [0xe0, 0x80]);
    mkdirSync(deep, { recursive: true });
    const expected: [Buffer, Buffer][] = [];
    for (const [i, name] of names.entries()) {
      const target = b("../no/", name, `-${i}`);
      symlinkSync(target, b(`${tree}/`, name));
      expected.push([b("/", name), target]);
    }
    symlinkSync(b([0xfe]), b(deep, "/", [0xed, 0xa0, 0x80])); // a surrogate's encoding is not UTF-8
    expected.push([b(deep.subarray(tree.length), "/", [0xed, 0xa0, 0x80]), b([0xfe])]);
    expected.sort((x, y) => Buffer.compare(x[0], y[0]));
    // find prints the bytes; decodeName of them is what every engine must give
    const found = execFileSync("find", [tree, "-type", "l", "-printf", "%P\\0%l\\0"]);
    assert.equal(found.toString("latin1").split("\0").length - 1, 2 * expected.length);
    const asBytes = (r: ScanResult) =>
      r.symlinks
        .map((l) => [encodeName(l.rel), encodeName(l.target)] as [Buffer, Buffer])
        .sort((x, y) => Buffer.compare(x[0], y[0]));
    const cacheDir = join(base, "exact-bytes-cache");
    for (const engine of engines) {
      const walked = await scanWith(engine, treesOf(tree), { collectSymlinks: true });
      assert.deepEqual(walked.errors, [], engine);
      assert.deepEqual(asBytes(walked), expected, engine);
      assert.equal(walked.total.allocatedBytes, sum(du(["-s", "-B1", "-x"], [tree])), engine);
      // the cache keeps the bytes: a walk that fills it, then a served scan
      const immutable = [{ id: "t0", path: tree, immutable: true }];
      rmSync(cacheDir, { recursive: true, force: true });
      const first = await scanWith(engine, immutable, { collectSymlinks: true, cacheDir, settleMs: 0 });
      const served = await scanWith(engine, immutable, { collectSymlinks: true, cacheDir, settleMs: 0 });
      assert.deepEqual(served.cachedTrees, ["t0"], engine);
      assert.deepEqual(asBytes(first), expected, engine);
      assert.deepEqual(asBytes(served), expected, engine);
    }
  });

  test("issue 13: a tree root whose name is not UTF-8 is walked by its bytes by both engines", async () => {
    const root = Buffer.concat([Buffer.from(`${base}/root-`), Buffer.from([0xff, 0x0a])]);
    mkdirSync(root);
    writeFileSync(Buffer.concat([root, Buffer.from("/f")]), Buffer.alloc(9000, 1));
    symlinkSync("t", Buffer.concat([root, Buffer.from("/l")]));
    const path = decodeName(root);
    for (const engine of engines) {
      const r = await scanWith(engine, treesOf(path), { collectSymlinks: true });
      assert.deepEqual(r.errors, [], engine);
      assert.ok(r.total.inodes === 3, `${engine}: ${r.total.inodes} inodes`);
      assert.deepEqual(
        r.symlinks.map((l) => [l.rel, l.target]),
        [["/l", "t"]],
        engine,
      );
    }
  });

  for (const engine of engines) {
    test(`${engine}: a tree inside another is not entered from it, so both add up to du of the outer one`, async () => {
      const outer = join(base, "outer");
      mkdirSync(join(outer, "inner/deeper"), { recursive: true });
      writeFileSync(join(outer, "top"), Buffer.alloc(40000, 1));
      writeFileSync(join(outer, "inner/deeper/f"), Buffer.alloc(80000, 1));
      const r = await scanWith(engine, [
        { id: "inner", path: join(outer, "inner") },
        { id: "outer", path: outer },
      ]);
      assert.equal(r.total.allocatedBytes, sum(du(["-s", "-B1", "-x"], [outer])));
      assert.equal(r.total.inodes, sum(du(["-s", "--inodes", "-x"], [outer])));
      assert.equal(
        r.perTree.get("inner")?.allocatedBytes,
        sum(du(["-s", "-B1", "-x"], [join(outer, "inner")])),
      );
      const twice = await scanWith(engine, [
        { id: "a", path: outer },
        { id: "b", path: `${outer}/` },
      ]);
      assert.deepEqual(twice.perTree.get("b"), { allocatedBytes: 0, apparentBytes: 0, inodes: 0 });
      assert.equal(twice.total.allocatedBytes, sum(du(["-s", "-B1", "-x"], [outer])));
    });

    test(`${engine}: a missing tree is an error in the result, not an exception`, async () => {
      const missing = join(base, "no-such-tree");
      const r = await scanWith(engine, treesOf(missing, rich));
      assert.deepEqual(r.errors, [{ path: missing, message: "cannot stat: no such file or directory" }]);
      assert.deepEqual(r.perTree.get("t0"), { allocatedBytes: 0, apparentBytes: 0, inodes: 0 });
      assert.equal(r.total.allocatedBytes, sum(du(["-s", "-B1", "-x"], [rich])));
    });
  }

  test("a path longer than PATH_MAX is walked natively, and reported (not skipped silently) by the JS engine", async () => {
    const tree = join(base, "long");
    mkdirSync(tree);
    const name = "n".repeat(200);
    sh(
      `for i in $(seq 1 30); do mkdir ${name}; cd ${name}; done; echo end > end; mkdir last; echo x > last/f`,
      tree,
    );
    for (const engine of engines) {
      const r = await scanWith(engine, treesOf(tree));
      if (engine === "native") {
        // opened from the parent's fd, and (heldDirs 0) by a path from the tree root, in steps
        const byPath = await scanWith(engine, treesOf(tree), { heldDirs: 0 });
        assert.deepEqual(byPath, r);
        assert.deepEqual(r.errors, []);
        assert.equal(r.total.allocatedBytes, sum(du(["-s", "-B1", "-x"], [tree])));
        assert.equal(r.total.inodes, sum(du(["-s", "--inodes", "-x"], [tree])));
      } else {
        assert.ok(
          r.errors.length > 0 && r.errors.every((e) => e.message.endsWith("file name too long")),
          engine,
        );
      }
    }
  });
});
