// fs.test.ts — `crifs fs` over a temp layer stack: ls of a dir and of a symlink, find below a path, stat with
// where a link resolves, cat through links and its errors; modeString against `ls -l`.
// Needs root (mknod, trusted.* xattrs); CRIFS_SKIP_ROOT=1 skips instead of failing.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, lstatSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CrifsError } from "../../errors.js";
import { rootOnly } from "../../fs/testing-tree.js";
import { type ContainerView, containerView } from "../../links/container-view.js";
import { type TempStore, tempStore } from "../../links/testing.js";
import { fsFind, fsList, fsRead, fsStat, modeString } from "./fs.js";

const skip = rootOnly();
let t: TempStore | undefined;
let view: ContainerView;

before(() => {
  if (skip) return;
  t = tempStore();
  t.layer("base", null, [
    "f etc/passwd root",
    "f etc/gone x",
    "d usr/lib",
    "f usr/lib/libc.so L",
    "l lib usr/lib",
  ]);
  t.layer("top", "base", ["o etc/keep", "f etc/keep/new n", "l etc/abs /etc/passwd", "l etc/loop loop"]);
  t.layer("c1", "top", ["w etc/gone", "f etc/written w"], "active");
  t.container("c1");
  const store = t.store();
  view = containerView(store, store.containers[0] as never);
});
after(() => t?.remove());

test("ls of a dir lists the merged names with their layers; ls of a symlink shows the link itself", {
  skip,
}, () => {
  assert.deepEqual(
    fsList(view, "/etc").map((e) => `${e.path} ${e.kind} ${e.layer.index}${e.layer.isUpper ? " upper" : ""}`),
    [
      "/etc/abs symlink 1",
      "/etc/keep dir 1",
      "/etc/loop symlink 1",
      "/etc/passwd file 2",
      "/etc/written file 0 upper",
    ],
  );
  assert.deepEqual(
    fsList(view, "/lib").map((e) => [e.path, e.target]),
    [["/lib", "usr/lib"]],
  );
  assert.deepEqual(
    fsList(view, "/lib/").map((e) => e.path),
    ["/usr/lib/libc.so"],
  );
  assert.throws(
    () => fsList(view, "/etc/gone"),
    (e) => e instanceof CrifsError && e.code === "not-found" && /no such file or directory$/.test(e.message),
  );
});

test("find lists a path and everything below it, sorted, without following links", { skip }, () => {
  assert.deepEqual(
    fsFind(view, "/etc").map((e) => e.path),
    ["/etc", "/etc/abs", "/etc/keep", "/etc/keep/new", "/etc/loop", "/etc/passwd", "/etc/written"],
  );
  assert.deepEqual(
    fsFind(view, "/lib").map((e) => e.path),
    ["/lib"],
  );
  assert.equal(fsFind(view, "/").length, 12);
});

test("stat names the entry's layer, the layers a dir merges, and where a link leads inside the container", {
  skip,
}, () => {
  const abs = fsStat(view, "/etc/abs");
  assert.equal(abs.kind, "symlink");
  assert.equal(abs.target, "/etc/passwd");
  assert.deepEqual(abs.resolved.ok && [abs.resolved.path, abs.resolved.layer.key], ["/etc/passwd", "base"]);
  const loop = fsStat(view, "/etc/loop");
  assert.deepEqual(!loop.resolved.ok && loop.resolved.error, "ELOOP");
  assert.deepEqual(
    fsStat(view, "/etc").mergedLayers.map((l) => l.key),
    ["c1", "top", "base"],
  );
  assert.deepEqual(
    fsStat(view, "/etc/keep").mergedLayers.map((l) => l.key),
    ["top"],
  );
});

test("cat follows links inside the container and fails like the container on whiteouts, dirs and loops", {
  skip,
}, () => {
  assert.equal(fsRead(view, "/etc/abs").toString(), "root");
  assert.equal(fsRead(view, "/lib/libc.so").toString(), "L");
  const fails = (path: string, re: RegExp) =>
    assert.throws(
      () => fsRead(view, path),
      (e) => e instanceof CrifsError && re.test(e.message) && e.message.includes("container default/c1"),
    );
  fails("/etc/gone", /no such file or directory$/);
  fails("/etc/keep", /is a directory$/);
  fails("/etc/loop", /too many levels of symbolic links/);
  fails("/etc/passwd/x", /not a directory/);
});

test("modeString prints what ls -l prints, setuid, setgid and sticky bits included", { skip }, () => {
  const dir = t?.dir ?? "";
  const cases: [string, number][] = [
    ["plain", 0o644],
    ["exec", 0o755],
    ["suid", 0o4755],
    ["suid-noexec", 0o4644],
    ["sgid", 0o2750],
    ["sticky", 0o1777],
    ["sticky-noexec", 0o1666],
  ];
  for (const [name, mode] of cases) {
    const p = join(dir, name);
    writeFileSync(p, "");
    chmodSync(p, mode);
    const ls = execFileSync("ls", ["-ld", p], { encoding: "utf8" }).slice(0, 10);
    assert.equal(modeString(lstatSync(p)), ls, name);
  }
  assert.equal(modeString(lstatSync(dir)).slice(0, 1), "d");
});
