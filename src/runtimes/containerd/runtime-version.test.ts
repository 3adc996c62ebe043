import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readContainerdConfig } from "./config.js";
import {
  criDefaults,
  criSettings,
  findContainerdVersion,
  parseVersionLine,
  storeMarkers,
} from "./runtime-version.js";

test("containerd --version lines of upstream and Debian builds give the version", () => {
  assert.equal(parseVersionLine("containerd github.com/containerd/containerd v1.7.22 7f7fdf5\n"), "1.7.22");
  assert.equal(
    parseVersionLine("containerd github.com/containerd/containerd 1.7.24~ds1 1.7.24~ds1-6+deb13u1\n"),
    "1.7.24~ds1",
  );
  assert.equal(
    parseVersionLine("containerd github.com/containerd/containerd/v2 2.1.9+unknown \n"),
    "2.1.9+unknown",
  );
  assert.equal(parseVersionLine("containerd: command not found"), null);
});

test("each containerd line has its own default sandbox image (what `containerd config default` prints)", () => {
  assert.equal(criDefaults("1.6.20~ds1").sandboxImage, "registry.k8s.io/pause:3.6");
  assert.equal(criDefaults("1.7.24~ds1").sandboxImage, "registry.k8s.io/pause:3.8");
  assert.equal(criDefaults("2.0.5").sandboxImage, "registry.k8s.io/pause:3.10");
  assert.equal(criDefaults("2.1.9+unknown").sandboxImage, "registry.k8s.io/pause:3.10");
  assert.equal(criDefaults("2.x").sandboxImage, "registry.k8s.io/pause:3.10");
  assert.equal(criDefaults(null, 3).sandboxImage, "registry.k8s.io/pause:3.10");
  assert.equal(criDefaults(null, 2).sandboxImage, "registry.k8s.io/pause:3.6");
});

test("a 2.x store on a host root is named by its markers; a sandbox image the config names wins over defaults", () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-rv-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "io.containerd.sandbox.controller.v1.shim"), { recursive: true });
  const p = join(dir, "config.toml");
  writeFileSync(
    p,
    `version = 2\nroot = "${root}"\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "x/pause:1"\n`,
  );
  const c = readContainerdConfig({ path: p });
  assert.equal(storeMarkers(c), "2.x");
  // a host root: no process or binary of this machine may speak for the node's store
  assert.deepEqual(findContainerdVersion(c, { hostRoot: "/nonexistent-host-root" }), {
    version: "2.x",
    source: "store",
  });
  assert.equal(criSettings(c, { version: "2.x", source: "store" }).sandboxImage, "x/pause:1");
  mkdirSync(join(root, "io.containerd.snapshotter.v1.erofs"));
  assert.equal(storeMarkers(c), "2.1+");
});

test("a 1.7 store (blockfile snapshotter dir, no 2.x dirs) is 1.7+ and gets 1.7's default sandbox image", () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-rv-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "io.containerd.snapshotter.v1.blockfile"), { recursive: true });
  const p = join(dir, "config.toml");
  writeFileSync(p, `version = 2\nroot = "${root}"\n`);
  const c = readContainerdConfig({ path: p });
  assert.equal(storeMarkers(c), "1.7+");
  const v = findContainerdVersion(c, { hostRoot: "/nonexistent-host-root" });
  assert.deepEqual(v, { version: "1.7+", source: "store" });
  assert.equal(criSettings(c, v).sandboxImage, "registry.k8s.io/pause:3.8");
});
