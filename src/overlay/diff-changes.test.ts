// overlay/diff-changes.test.ts — a container's changes from a temp upper dir over temp image layers, under
// docker's rules ("merged") and containers/storage's ("upper"), each case as the two runtimes report it
// (test/integration/export.suite.ts checks the same against docker diff and podman diff on real containers).
// Needs root (mknod, trusted.* xattrs); CRIFS_SKIP_ROOT=1 skips instead of failing.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, test } from "node:test";
import { OverlayView } from "../fs/overlay-view.js";
import { layers, removeLayers } from "../fs/testing-overlay-view.js";
import { rootOnly } from "../fs/testing-tree.js";
import { diffChanges } from "./diff-changes.js";

const skip = rootOnly();
after(removeLayers);

/** An upper dir over two image layers with one change of each kind (the comments say which). */
function container(): OverlayView {
  const [upper, top, base] = layers(
    [
      "f added.txt new", // A
      "f etc/passwd root:x:0:0:changed", // content changed; etc copied up with the image's mtime
      "w usr", // a dir deleted
      "d data/replaced", // deleted and made again: opaque
      "x data/replaced trusted.overlay.opaque y",
      "f data/replaced/n.txt n",
      "f data/replaced/sub/m.txt m", // a plain dir inside the opaque one: the image's sub is hidden too
      "f data/keep a file now", // a dir replaced by a file
      "f data/mode.txt mode", // chmod only
      "f data/deep/a/b/new deep", // a change deep in dirs copied up unchanged
      "d data/dironly", // a dir whose mtime alone changed
    ],
    ["f data/l1.txt top layer"],
    [
      "f etc/passwd root:x:0:0:base",
      "f etc/group root:x:0:",
      "f usr/bin/env env",
      "f data/replaced/c.txt c",
      "f data/replaced/sub/b.txt b",
      "f data/keep/k.txt k",
      "f data/mode.txt mode",
      "f data/deep/a/b/file f",
      "d data/dironly",
    ],
  ) as [string, string, string];
  const same = (path: string) => execFileSync("touch", ["-h", "-r", join(base, path), join(upper, path)]);
  execFileSync("chmod", ["600", join(upper, "data/mode.txt")]);
  for (const p of ["data/mode.txt", "data/deep/a/b", "data/deep/a", "data/deep", "etc"]) same(p);
  execFileSync("touch", ["-d", "2001-01-01", join(upper, "data/dironly")]);
  return new OverlayView([upper, top, base]);
}

const lines = (view: OverlayView, options: Parameters<typeof diffChanges>[1]) =>
  [...diffChanges(view, options)].map((c) => `${c.kind} ${c.path}`);

test("docker's rules: merged trees compared; a dir holding a change is C before it, an opaque dir's old names D, a dir's mtime alone no change", {
  skip,
}, () => {
  assert.deepEqual(lines(container(), { rules: "merged" }), [
    "A /added.txt",
    "C /data",
    "C /data/deep",
    "C /data/deep/a",
    "C /data/deep/a/b",
    "A /data/deep/a/b/new",
    "C /data/keep",
    "C /data/mode.txt",
    "C /data/replaced",
    "D /data/replaced/c.txt",
    "A /data/replaced/n.txt",
    "C /data/replaced/sub",
    "D /data/replaced/sub/b.txt",
    "A /data/replaced/sub/m.txt",
    "C /etc",
    "C /etc/passwd",
    "D /usr",
  ]);
});

test("containers/storage's rules: the upper walked; an opaque dir the image had is D, unchanged dirs are left out unless an A or D lies below", {
  skip,
}, () => {
  assert.deepEqual(lines(container(), { rules: "upper" }), [
    "A /added.txt",
    "C /data",
    "C /data/deep",
    "C /data/deep/a",
    "C /data/deep/a/b",
    "A /data/deep/a/b/new",
    "C /data/dironly",
    "C /data/keep",
    "C /data/mode.txt",
    "D /data/replaced",
    "A /data/replaced/n.txt",
    "C /data/replaced/sub",
    "A /data/replaced/sub/m.txt",
    "C /etc/passwd",
    "D /usr",
  ]);
});

test("hidden paths are left out, and a container without an upper dir of its own has no changes", {
  skip,
}, () => {
  const view = container();
  assert.deepEqual(lines(view, { rules: "upper", hidden: ["/added.txt", "/usr", "/data/deep/a"] }), [
    "C /data",
    "C /data/deep",
    "C /data/deep/a/b",
    "A /data/deep/a/b/new",
    "C /data/dironly",
    "C /data/keep",
    "C /data/mode.txt",
    "D /data/replaced",
    "A /data/replaced/n.txt",
    "C /data/replaced/sub",
    "A /data/replaced/sub/m.txt",
    "C /etc/passwd",
  ]);
  assert.deepEqual(lines(view, { hasUpper: false }), []);
});

test("with no image layers below, everything in the upper dir is added", { skip }, () => {
  const [upper] = layers(["f a/b c", "f d e"]) as [string];
  assert.deepEqual(lines(new OverlayView([upper]), { rules: "merged" }), ["A /a", "A /a/b", "A /d"]);
  assert.deepEqual(lines(new OverlayView([upper]), { rules: "upper" }), ["A /a", "A /a/b", "A /d"]);
});
