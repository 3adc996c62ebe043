// overlay-view.test.ts — the merged view of temp layer stacks: the rules one by one (the whole view against
// a real overlay mount of the same layers is overlay-view-kernel.test.ts).
// Needs root (mknod, trusted.* xattrs, mount, chroot); CRIFS_SKIP_ROOT=1 skips instead of failing.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { CrifsError } from "../errors.js";
import { OverlayView } from "./overlay-view.js";
import { fill, layers, removeLayers, tempDir } from "./testing-overlay-view.js";
import { rootOnly } from "./testing-tree.js";

const skip = rootOnly();
after(removeLayers);

function names(view: OverlayView, path: string): string[] {
  return view.readdir(path).map((d) => `${d.name}@${d.layerIndex}`);
}

test("a whiteout hides a lower file and is never listed", { skip }, () => {
  const view = new OverlayView(layers(["w etc/motd", "f etc/new U"], ["f etc/motd A", "f etc/keep A"]));
  assert.equal(view.lookup("/etc/motd"), null);
  assert.deepEqual(names(view, "/etc"), ["keep@1", "new@0"]);
  assert.equal(view.resolve("/etc/motd").ok, false);
});

test("a whiteout in a middle layer hides the name in every layer below it", { skip }, () => {
  const view = new OverlayView(layers(["d d"], ["w d/f", "w d/sub"], ["f d/f B", "f d/sub/deep B"]));
  assert.deepEqual(names(view, "/d"), []);
  assert.equal(view.lookup("/d/sub/deep"), null);
  const r = view.resolve("/d/sub/deep");
  assert.deepEqual(r.ok ? "ok" : [r.error, r.at], ["ENOENT", "/d/sub"]);
});

for (const ns of ["trusted", "user"] as const) {
  test(`an opaque dir (${ns}.overlay.opaque) shows only the content of its own layer and above`, {
    skip,
  }, () => {
    const dirs = layers(
      ["f o/u U"],
      ["d o", `x o ${ns}.overlay.opaque y`, "f o/a A"],
      ["f o/b B", "f o/sub/deep B", "f other B"],
    );
    const view = new OverlayView(dirs);
    assert.deepEqual(names(view, "/o"), ["a@1", "u@0"]);
    assert.equal(view.lookup("/o/sub/deep"), null);
    assert.deepEqual(view.lookup("/o")?.mergedLayers, [0, 1]);
    assert.equal(view.lookup("/other")?.layerIndex, 2);
    // A mount reads one namespace only: trusted.* by default, user.* with userxattr.
    const other = ns === "trusted" ? "user" : "trusted";
    assert.deepEqual(names(new OverlayView(dirs, { opaqueXattrs: other }), "/o"), [
      "a@1",
      "b@2",
      "sub@2",
      "u@0",
    ]);
    assert.deepEqual(names(new OverlayView(dirs, { opaqueXattrs: ns }), "/o"), ["a@1", "u@0"]);
  });
}

test("a whiteout below a dir ends the merge: dirs under the whiteout stay hidden", { skip }, () => {
  const view = new OverlayView(layers(["f wd/u U"], ["w wd"], ["f wd/b B"]));
  assert.deepEqual(view.lookup("/wd")?.mergedLayers, [0]);
  assert.deepEqual(names(view, "/wd"), ["u@0"]);
});

test("a file in a higher layer replaces a dir below, and a dir below that file is never merged", {
  skip,
}, () => {
  const view = new OverlayView(
    layers(
      ["f replaced U", "f stack/u U"],
      ["d replaced/sub", "f replaced/x A", "f stack A"],
      ["f stack/b B", "f stack/sub/deep B"],
    ),
  );
  const replaced = view.lookup("/replaced");
  assert.equal(replaced?.kind, "file");
  assert.equal(replaced?.layerIndex, 0);
  assert.equal(view.lookup("/replaced/x"), null);
  assert.equal(view.readFile("/replaced").toString(), "U");
  // stack: dir in U, file in A, dir in B: U's dir stands alone.
  assert.deepEqual(view.lookup("/stack")?.mergedLayers, [0]);
  assert.deepEqual(names(view, "/stack"), ["u@0"]);
  assert.equal(view.lookup("/stack/sub/deep"), null);
});

test("a dir in a higher layer replaces a file below it", { skip }, () => {
  const view = new OverlayView(layers(["f grown/inner U"], ["f grown A"]));
  assert.equal(view.lookup("/grown")?.kind, "dir");
  assert.deepEqual(names(view, "/grown"), ["inner@0"]);
});

test("an opaque xattr on a layer's root dir is ignored, as the kernel ignores it", { skip }, () => {
  const view = new OverlayView(layers(["x / trusted.overlay.opaque y", "f u U"], ["f b B"]));
  assert.deepEqual(names(view, "/"), ["b@1", "u@0"]);
});

test("readdir is sorted by name and names the winning layer and its kind", { skip }, () => {
  const view = new OverlayView(layers(["f b U", "l c b", "d d"], ["f a A", "f b A", "p e", "c f", "d g"]));
  assert.deepEqual(
    view.readdir("/").map((d) => `${d.name}:${d.kind}@${d.layerIndex}`),
    ["a:file@1", "b:file@0", "c:symlink@0", "d:dir@0", "e:other@1", "f:other@1", "g:dir@1"],
  );
});

test("lookup follows no symlink; resolve, readFile and readlink follow them inside the stack", {
  skip,
}, () => {
  const view = new OverlayView(
    layers(
      ["l etc/hostname /etc/real", "l lib usr/lib", `l host-only ${process.execPath}`],
      ["f etc/real in-image", "f usr/lib/libc.so A"],
    ),
  );
  assert.equal(view.lookup("/lib/libc.so"), null);
  assert.equal(view.lookup("/lib")?.kind, "symlink");
  const r = view.resolve("/lib/libc.so");
  assert.equal(r.ok && r.path, "/usr/lib/libc.so");
  assert.equal(r.ok && r.entry.layerIndex, 1);
  assert.deepEqual(r.hops, ["/lib"]);
  assert.equal(view.readFile("/etc/hostname").toString(), "in-image");
  assert.equal(view.readlink("/etc/hostname"), "/etc/real");
  // The link's target exists on the host, not in the stack.
  assert.throws(
    () => view.readFile("/host-only"),
    (e) => e instanceof CrifsError && e.code === "not-found",
  );
  assert.throws(
    () => view.readFile("/usr"),
    (e) => e instanceof CrifsError && /is a directory/.test(e.message),
  );
  assert.throws(() => view.readlink("/usr"), /not a symbolic link/);
  assert.throws(() => view.readdir("/etc/real"), /not a directory/);
});

test("walk visits every merged path once, root first, names sorted, and skip prunes a dir", { skip }, () => {
  const view = new OverlayView(layers(["f b/z U", "w c"], ["f a A", "f b/y A", "d c/deep", "f d A"]));
  const seen: string[] = [];
  view.walk((e) => {
    seen.push(`${e.path}@${e.layerIndex}`);
  });
  assert.deepEqual(seen, ["/@0", "/a@1", "/b@0", "/b/y@1", "/b/z@0", "/d@1"]);
  const pruned: string[] = [];
  view.walk((e) => {
    pruned.push(e.path);
    return e.path === "/b" ? "skip" : undefined;
  });
  assert.deepEqual(pruned, ["/", "/a", "/b", "/d"]);
});

test("issue 13: names that are not UTF-8 merge, hide and read like any other, exact both ways", {
  skip,
}, () => {
  const [upper, lower] = layers([], []) as [string, string];
  const bytes = (dir: string, ...parts: (string | number[])[]) =>
    Buffer.concat([Buffer.from(`${dir}/`), ...parts.map((p) => Buffer.from(p as string))]);
  mkdirSync(bytes(lower, "d", [0xff]), { recursive: true });
  writeFileSync(bytes(lower, "d", [0xff], "/in-lower"), "L");
  writeFileSync(bytes(lower, "gone", [0xfe]), "hidden");
  writeFileSync(bytes(lower, "a\nb"), "text");
  mkdirSync(bytes(upper, "d", [0xff]), { recursive: true });
  writeFileSync(bytes(upper, "d", [0xff], "/in-upper", [0x80]), "U");
  execFileSync("python3", [
    "-c",
    "import os,sys; os.mknod(bytes.fromhex(sys.argv[1]), 0o20644, 0)",
    bytes(upper, "gone", [0xfe]).toString("hex"),
  ]);
  symlinkSync(Buffer.from([0x64, 0xff]), bytes(upper, "link", [0xc3]));
  const view = new OverlayView([upper, lower]);
  const d = `/d${String.fromCharCode(0xdcff)}`;
  assert.deepEqual(
    view.readdir("/").map((e) => `${e.name}@${e.layerIndex}`),
    ["a\nb@1", `d${String.fromCharCode(0xdcff)}@0`, `link${String.fromCharCode(0xdcc3)}@0`],
  );
  const paths = [...view.walkFrom(view.root)].map((e) => e.path);
  assert.deepEqual(paths, [
    "/",
    "/a\nb",
    d,
    `${d}/in-lower`,
    `${d}/in-upper${String.fromCharCode(0xdc80)}`,
    `/link${String.fromCharCode(0xdcc3)}`,
  ]);
  assert.deepEqual(view.lookup(d)?.mergedLayers, [0, 1]);
  assert.equal(view.lookup(`/gone${String.fromCharCode(0xdcfe)}`), null, "the whiteout hides it");
  assert.equal(view.readFile(`${d}/in-lower`).toString(), "L");
  assert.equal(view.readlink(`/link${String.fromCharCode(0xdcc3)}`), `d${String.fromCharCode(0xdcff)}`);
  const r = view.resolve(`/link${String.fromCharCode(0xdcc3)}/in-upper${String.fromCharCode(0xdc80)}`);
  assert.ok(r.ok && r.entry.layerIndex === 0 && r.entry.stats.size === 1);
});

test("a layer that is missing or relative is refused with a CrifsError", { skip }, () => {
  assert.throws(
    () => new OverlayView([]),
    (e) => e instanceof CrifsError && e.code === "usage",
  );
  assert.throws(
    () => new OverlayView(["relative/dir"]),
    (e) => e instanceof CrifsError && e.code === "usage",
  );
  assert.throws(
    () => new OverlayView([join(tempDir(), "missing")]),
    (e) => e instanceof CrifsError && e.code === "not-found",
  );
});

test("an immutable layer's answers are shared by later views until its dir is made anew", { skip }, () => {
  const [top = "", base = ""] = layers(["f etc/top T"], ["f etc/base B", "d usr/lib"]);
  const immutable = [false, true];
  assert.equal(new OverlayView([top, base], { immutable }).lookup("/usr/lib/late"), null);
  writeFileSync(join(base, "usr/lib/late"), "L"); // a committed layer never changes: this breaks the contract
  assert.equal(
    new OverlayView([top, base], { immutable }).lookup("/usr/lib/late"),
    null,
    "the next view over the same layer dir asks the memo, not the disk",
  );
  assert.equal(
    new OverlayView([top, base]).lookup("/usr/lib/late")?.kind,
    "file",
    "a mutable view asks the disk",
  );
  // the same path made anew (new inode): what was learnt of the old dir does not apply
  rmSync(base, { recursive: true });
  fill(base, ["f etc/base B", "f usr/lib/late L"]);
  assert.equal(new OverlayView([top, base], { immutable }).lookup("/usr/lib/late")?.kind, "file");
  // the upper layer is mutable: a name it gains is seen at once
  writeFileSync(join(top, "etc/new"), "N");
  assert.equal(new OverlayView([top, base], { immutable }).lookup("/etc/new")?.kind, "file");
});
