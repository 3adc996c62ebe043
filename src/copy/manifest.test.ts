import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { encodeName } from "../fs/name-codec.js";
import { plantTree, rootOnly, tempDir } from "../fs/testing-tree.js";
import { checkDestination, copyEntries, copyTree } from "./copy-tree.js";
import { compareManifests, readManifest } from "./manifest.js";

const skip = rootOnly();

/** A tree with one of everything the copier must keep (whiteout, fifo, socket, sparse file, setuid file,
 * xattrs, hard-link pair, symlink, a name that is not UTF-8, a dir with an old mtime). */
function plantAll(root: string): void {
  plantTree(root, [
    "d usr/bin",
    "f usr/bin/tool #!/bin/sh",
    "h usr/bin/tool2 usr/bin/tool",
    "l usr/bin/sh ../../bin/busybox",
    "w etc/removed",
    "o etc/opaque",
    "f etc/opaque/kept x",
  ]);
  chmodSync(join(root, "usr/bin/tool"), 0o4755);
  chownSync(join(root, "etc"), 1000, 1001);
  execFileSync("mkfifo", [join(root, "fifo")]);
  execFileSync("python3", [
    "-c",
    `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(join(root, "sock"))})`,
  ]);
  writeFileSync(join(root, "sparse"), "");
  truncateSync(join(root, "sparse"), 64 << 20);
  execFileSync("setfattr", [
    "-n",
    "security.capability",
    "-v",
    "0x0100000200200000000000000000000000000000",
    join(root, "usr/bin/tool"),
  ]);
  execFileSync("setfattr", ["-n", "user.note", "-v", "kept", join(root, "sparse")]);
  writeFileSync(Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe])]), "latin");
  utimesSync(join(root, "usr"), 978307200.123, 978307200.123);
}

describe("the copier and its manifest", { skip }, () => {
  test("a copy in each mode has the manifest of its source, whiteouts, fifos, holes and links kept", async () => {
    const dir = tempDir("crifs-copy-");
    const src = join(dir, "src");
    plantAll(src);
    const before = readManifest(src);
    for (const mode of ["copy", "auto", "hardlink"] as const) {
      const dest = checkDestination(src, join(dir, mode));
      const r = await copyTree(src, dest, { mode });
      assert.deepEqual(compareManifests(before, readManifest(dest)), [], mode);
      assert.equal(r.sockets, 1);
      assert.equal(r.specials, 2); // the whiteout and the fifo
      assert.equal(r.hardlinks, 1);
      if (mode !== "hardlink")
        assert.ok(lstatSync(join(dest, "sparse")).blocks < 64, "the hole stayed a hole");
      // hardlink links every non-dir to the source's inode, as cp -al does; the other modes make them anew
      for (const p of ["usr/bin/sh", "etc/removed", "usr/bin/tool"])
        assert.equal(
          lstatSync(join(dest, p)).ino === lstatSync(join(src, p)).ino,
          mode === "hardlink",
          `${mode}: ${p}`,
        );
    }
    assert.deepEqual(readManifest(src), before, "the source is as it was");
    const byPath = new Map(before.map((e) => [e.path, e]));
    assert.equal(byPath.get("etc/removed")?.rdev, "0:0");
    assert.equal(byPath.get("usr/bin/tool")?.mode, 0o4755);
    assert.equal(byPath.get("usr/bin/tool")?.linkGroup, 1);
    assert.equal(byPath.get("usr/bin/tool2")?.linkGroup, 1);
    assert.equal(byPath.get("usr/bin/sh")?.linkTarget, "../../bin/busybox");
    assert.equal(byPath.get("bad-\udcff\udcfe")?.size, 5);
    assert.deepEqual(byPath.get("etc/opaque")?.xattrs, [["trusted.overlay.opaque", "79"]]);
  });

  test("a stream of entries copies like the tree it lists", async () => {
    const dir = tempDir("crifs-copy-entries-");
    const src = join(dir, "src");
    plantAll(src);
    const entries = readManifest(src, { hash: false }).map((e) => {
      const abs = e.path === "" ? src : `${src}/${e.path}`;
      return {
        rel: e.path,
        abs,
        stat: lstatSync(abs.includes("\udcff") ? encodeName(abs) : abs, { bigint: true }),
      };
    });
    const dest = join(dir, "dest");
    const r = await copyEntries(entries, dest, { mode: "copy" });
    assert.equal(r.hardlinks, 1);
    assert.deepEqual(compareManifests(readManifest(src), readManifest(dest)), []);
  });

  test("compareManifests names each field that differs and each entry only one side has", () => {
    const dir = tempDir("crifs-manifest-");
    plantTree(join(dir, "a"), ["f x 1", "f y 2", "d z"]);
    plantTree(join(dir, "b"), ["f x 1", "f y 3", "f w 4"]);
    for (const f of ["a/x", "a/y", "b/x", "b/y"])
      execFileSync("touch", ["-h", "-d", "@978307200.5", join(dir, f)]);
    const d = compareManifests(readManifest(join(dir, "a")), readManifest(join(dir, "b")));
    const fields = d.filter((x) => x.path !== "").map((x) => `${x.path} ${x.field}`);
    assert.ok(fields.includes("y sha256"), fields.join("\n"));
    assert.deepEqual(
      d.filter((x) => x.field === "entry").map((x) => `${x.path} ${x.left} ${x.right}`),
      ["z dir absent", "w absent file"],
    );
    assert.ok(!fields.some((f) => f.startsWith("x ")), fields.join("\n"));
    assert.equal(compareManifests(readManifest(join(dir, "a")), readManifest(join(dir, "b")), 2).length, 2);
  });

  test("checkDestination refuses a DEST inside the source or one that holds something", () => {
    const dir = tempDir("crifs-dest-");
    plantTree(join(dir, "src"), ["f a 1", "d full", "f full/x 1"]);
    assert.throws(
      () => checkDestination(join(dir, "src"), join(dir, "src", "inner")),
      /lies inside the source/,
    );
    assert.throws(
      () => checkDestination(join(dir, "src"), join(dir, "src")),
      /exists and is not an empty dir/,
    );
    assert.throws(() => checkDestination(join(dir, "src"), join(dir, "src", "full")), /not an empty dir/);
    assert.throws(() => checkDestination(join(dir, "src"), join(dir, "nowhere", "x")), /parent dir/);
    assert.equal(checkDestination(join(dir, "src"), join(dir, "new")), join(dir, "new"));
  });

  test("checkDestination refuses a DEST inside a lower layer a merged clone reads, and a DEST that is a symlink", () => {
    // clone --merged with DEST in a lower layer dir copied its own staging dir into itself until ENAMETOOLONG
    const dir = tempDir("crifs-dest-");
    plantTree(join(dir, "upper"), ["f u 1"]);
    plantTree(join(dir, "lower"), ["d etc", "f etc/l 1"]);
    assert.throws(
      () => checkDestination(join(dir, "upper"), join(dir, "lower", "etc", "x"), [join(dir, "lower")]),
      /lies inside the source .*lower/,
    );
    assert.equal(
      checkDestination(join(dir, "upper"), join(dir, "new"), [join(dir, "lower")]),
      join(dir, "new"),
    );
    mkdirSync(join(dir, "empty"));
    symlinkSync(join(dir, "empty"), join(dir, "link"));
    assert.throws(() => checkDestination(join(dir, "upper"), join(dir, "link")), /it is a symlink/);
    assert.throws(() => checkDestination(join(dir, "upper"), ""), /DEST is empty/);
    assert.throws(
      () => checkDestination(join(dir, "upper"), join(dir, "upper", "u", "x")),
      /its parent is not a directory/,
    );
  });
});
