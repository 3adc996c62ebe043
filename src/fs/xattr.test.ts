// xattr.test.ts — the addon and the getfattr fallback read the same bytes; opaque and whiteout markers.
// Needs root (trusted.* xattrs, mknod); CRIFS_SKIP_ROOT=1 skips instead of failing.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { decodeName } from "./name-codec.js";
import { rootOnly } from "./testing-tree.js";
import { loadNativeScanner } from "./walk-native.js";
import {
  isOpaqueDir,
  isWhiteout,
  readAllXattrs,
  readAllXattrsWithGetfattr,
  readXattr,
  readXattrByGetfattrBytes,
  readXattrWithGetfattr,
  selectXattrReader,
  xattrReader,
} from "./xattr.js";

const skip = rootOnly();
let dir = "";

function setfattr(path: string, name: string, value: string): void {
  execFileSync("setfattr", ["-h", "-n", name, "-v", value, path]);
}

before(() => {
  if (skip) return;
  dir = mkdtempSync("/var/tmp/crifs-xattr-");
  writeFileSync(join(dir, "file"), "x");
  setfattr(join(dir, "file"), "trusted.overlay.opaque", "y");
  setfattr(join(dir, "file"), "user.binary", "0x00ff0a41"); // NUL, 0xff, newline, "A"
  symlinkSync("file", join(dir, "link"));
  for (const [name, ns, value] of [
    ["opaque-trusted", "trusted", "y"],
    ["opaque-user", "user", "y"],
    ["opaque-x", "trusted", "x"],
    ["opaque-yes", "trusted", "yes"],
    ["opaque-n", "user", "n"],
  ] as const) {
    mkdirSync(join(dir, name));
    setfattr(join(dir, name), `${ns}.overlay.opaque`, value);
  }
  mkdirSync(join(dir, "plain"));
  execFileSync("mknod", [join(dir, "whiteout"), "c", "0", "0"]);
  execFileSync("mknod", [join(dir, "null"), "c", "1", "3"]);
  execFileSync("mknod", [join(dir, "fifo"), "p"]);
});

after(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

test("readXattr returns a trusted.* value, and null when the attribute or the file is absent", {
  skip,
}, () => {
  assert.equal(xattrReader().backend, "addon");
  assert.deepEqual(readXattr(join(dir, "file"), "trusted.overlay.opaque"), Buffer.from("y"));
  assert.equal(readXattr(join(dir, "file"), "user.absent"), null);
  assert.equal(readXattr(join(dir, "missing"), "user.absent"), null);
});

test("readXattr reads the symlink itself, not its target", { skip }, () => {
  assert.equal(readXattr(join(dir, "link"), "trusted.overlay.opaque"), null);
  assert.equal(readXattrWithGetfattr(join(dir, "link"), "trusted.overlay.opaque"), null);
});

test("the getfattr fallback returns the same bytes as the addon for every case", { skip }, () => {
  const cases: [string, string][] = [
    ["file", "trusted.overlay.opaque"],
    ["file", "user.binary"],
    ["file", "user.absent"],
    ["link", "trusted.overlay.opaque"],
    ["missing", "user.absent"],
    ["opaque-user", "user.overlay.opaque"],
    ["opaque-yes", "trusted.overlay.opaque"],
    ["whiteout", "trusted.overlay.opaque"],
  ];
  for (const [file, name] of cases) {
    const path = join(dir, file);
    assert.deepEqual(readXattrWithGetfattr(path, name), readXattr(path, name), `${file} ${name}`);
  }
  assert.deepEqual(
    readXattrWithGetfattr(join(dir, "file"), "user.binary"),
    Buffer.from([0, 0xff, 0x0a, 0x41]),
  );
});

test("when the addon fails to load, the reader falls back to getfattr and still reads opaque markers", {
  skip,
}, () => {
  const failing = selectXattrReader(() => {
    throw new Error("Cannot find native binding");
  });
  assert.equal(failing.backend, "getfattr");
  assert.match(String(failing.loadError), /native binding/);
  assert.deepEqual(failing.read(join(dir, "opaque-trusted"), "trusted.overlay.opaque"), Buffer.from("y"));
  assert.equal(failing.read(join(dir, "plain"), "trusted.overlay.opaque"), null);
  const broken = selectXattrReader(() => ({}) as never);
  assert.equal(broken.backend, "getfattr");
  assert.equal(selectXattrReader().backend, "addon");
});

test("isOpaqueDir accepts exactly y, in the namespace asked for", { skip }, () => {
  const opaque = (name: string, xattrs?: "trusted" | "user" | "either") =>
    isOpaqueDir(join(dir, name), xattrs === undefined ? {} : { xattrs });
  assert.equal(opaque("opaque-trusted"), true);
  assert.equal(opaque("opaque-user"), true);
  assert.equal(opaque("opaque-trusted", "trusted"), true);
  assert.equal(opaque("opaque-trusted", "user"), false);
  assert.equal(opaque("opaque-user", "trusted"), false);
  assert.equal(opaque("opaque-user", "user"), true);
  // "x" marks a dir holding xattr whiteouts; "yes" is longer than the one byte the kernel reads.
  assert.equal(opaque("opaque-x"), false);
  assert.equal(opaque("opaque-yes"), false);
  assert.equal(opaque("opaque-n"), false);
  assert.equal(opaque("plain"), false);
});

test("isWhiteout is true only for a character device 0:0", { skip }, () => {
  assert.equal(isWhiteout(lstatSync(join(dir, "whiteout"))), true);
  assert.equal(isWhiteout(lstatSync(join(dir, "whiteout"), { bigint: true })), true);
  assert.equal(isWhiteout(lstatSync(join(dir, "null"))), false);
  assert.equal(isWhiteout(lstatSync(join(dir, "fifo"))), false);
  assert.equal(isWhiteout(lstatSync(join(dir, "file"))), false);
  assert.equal(isWhiteout(lstatSync(join(dir, "plain"))), false);
});

test("issue 13: a dir whose name is not UTF-8 (and ends in a newline) is read by its bytes: opaque, or not", {
  skip,
}, () => {
  const opaque = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0xff, 0xfe, 0x0a])]);
  const plain = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x80])]);
  mkdirSync(opaque);
  mkdirSync(plain);
  // setfattr cannot be given such a name (Node writes argv as UTF-8): python3 takes it as hex
  const set =
    "import os,sys; os.setxattr(bytes.fromhex(sys.argv[1]), b'trusted.overlay.opaque', b'y', follow_symlinks=False)";
  execFileSync("python3", ["-c", set, opaque.toString("hex")]);
  assert.equal(isOpaqueDir(decodeName(opaque), { xattrs: "trusted" }), true);
  assert.equal(isOpaqueDir(decodeName(plain)), false);
  assert.deepEqual(readXattr(decodeName(opaque), "trusted.overlay.opaque"), Buffer.from("y"));
  assert.equal(readXattr(decodeName(opaque), "user.absent"), null);
  // both ways of reading by bytes: crifs's addon (one lgetxattr, what readXattr used above when it is built)
  // and the getfattr process that stands in without it
  const native = loadNativeScanner().scanner;
  if (native !== null) assert.equal(typeof native.lgetxattr, "function", "the addon reads xattrs by bytes");
  assert.deepEqual(readXattrByGetfattrBytes(opaque, "trusted.overlay.opaque"), Buffer.from("y"));
  assert.equal(readXattrByGetfattrBytes(opaque, "user.absent"), null);
  assert.equal(readXattrByGetfattrBytes(plain, "trusted.overlay.opaque"), null);
});

test("readAllXattrs lists every attribute with its bytes, the same through the addon and getfattr, also for a name that is not UTF-8", {
  skip,
}, () => {
  const base = mkdtempSync("/var/tmp/crifs-xattr-all-");
  try {
    const plain = join(base, "plain");
    writeFileSync(plain, "x");
    setfattr(plain, "user.b", "second");
    setfattr(plain, "trusted.a", "0x00ff0a"); // binary, with a newline byte
    const bytes = Buffer.concat([Buffer.from(`${base}/`), Buffer.from([0x6e, 0xff, 0x0a])]);
    const staged = join(base, "staged");
    writeFileSync(staged, "y");
    setfattr(staged, "user.c", "third");
    renameSync(staged, bytes); // a name no argv can carry: renamed to its bytes
    const want = [
      ["trusted.a", Buffer.from([0x00, 0xff, 0x0a])],
      ["user.b", Buffer.from("second")],
    ];
    assert.deepEqual(readAllXattrs(plain), want);
    assert.deepEqual(readAllXattrsWithGetfattr(Buffer.from(plain)), want);
    assert.deepEqual(readAllXattrs(join(base, "absent")), []);
    assert.deepEqual(readAllXattrs(decodeName(bytes)), [["user.c", Buffer.from("third")]]);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
