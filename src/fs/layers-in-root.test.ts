import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CrifsError } from "../errors.js";
import { checkLayersInRoot } from "./layers-in-root.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-layers-in-root-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const root = join(dir, "root");
mkdirSync(join(root, "overlay", "real", "diff"), { recursive: true });
mkdirSync(join(dir, "elsewhere", "diff"), { recursive: true });
symlinkSync(join(dir, "elsewhere"), join(root, "overlay", "linked"));
mkdirSync(join(dir, "store2", "l1", "diff"), { recursive: true });

test("a layer under the root reached through a symlinked dir is refused, naming where it leads", () => {
  try {
    checkLayersInRoot(root, [join(root, "overlay", "real", "diff"), join(root, "overlay", "linked", "diff")]);
    assert.fail("accepted");
  } catch (err) {
    assert.ok(err instanceof CrifsError, String(err));
    assert.equal(err.code, "unsafe");
    assert.match(
      err.oneLine(),
      /linked\/diff: cannot read the layer: a symlink on its path under the root leads to .*elsewhere\/diff/,
    );
  }
});

test("real layer dirs, a root reached through a link, and layers outside the root pass", () => {
  checkLayersInRoot(root, [join(root, "overlay", "real", "diff"), join(root, "overlay", "real", "diff/")]);
  symlinkSync(root, join(dir, "root-link"));
  checkLayersInRoot(join(dir, "root-link"), [join(dir, "root-link", "overlay", "real", "diff")]);
  checkLayersInRoot(root, [join(dir, "store2", "l1", "diff")]); // an additional store: configured, not planted
  checkLayersInRoot(root, [join(root, "overlay", "missing", "diff")]); // missing: the view says so
});
