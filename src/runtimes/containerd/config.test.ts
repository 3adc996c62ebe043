import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CrifsError } from "../../errors.js";
import { plantTree, tempDir } from "../../fs/testing-tree.js";
import { readContainerdConfig } from "./config.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-config-"));

test("an absent default config means containerd's defaults", () => {
  const c = readContainerdConfig({ path: undefined, root: undefined });
  if (c.path === null) {
    assert.equal(c.root, "/var/lib/containerd");
    assert.equal(c.state, "/run/containerd");
    assert.equal(c.snapshotter, "overlayfs");
    assert.equal(c.grpcAddress, "/run/containerd/containerd.sock");
  }
});

test("a version 2 config gives root, state, socket, snapshotter, sandbox image and overlay root", () => {
  const p = join(dir, "v2.toml");
  writeFileSync(
    p,
    `version = 2
root = "/srv/ctd"
state = "/run/ctd"
disabled_plugins = ["io.containerd.internal.v1.opt"]
[grpc]
  address = "/run/ctd/c.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "local/pause:1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
[plugins."io.containerd.snapshotter.v1.overlayfs"]
  root_path = "/data/overlay"
`,
  );
  const c = readContainerdConfig({ path: p });
  assert.equal(c.path, p);
  assert.equal(c.root, "/srv/ctd");
  assert.equal(c.state, "/run/ctd");
  assert.equal(c.grpcAddress, "/run/ctd/c.sock");
  assert.equal(c.snapshotter, "native");
  assert.equal(c.sandboxImage, "local/pause:1");
  assert.equal(c.overlayfsRoot, "/data/overlay");
  assert.deepEqual(c.disabledPlugins, ["io.containerd.internal.v1.opt"]);
  assert.equal(c.contentRoot, "/srv/ctd/io.containerd.content.v1.content");
});

test("a version 1 config reads the CRI plugin from plugins.cri and flags override the file", () => {
  const p = join(dir, "v1.toml");
  writeFileSync(p, `root = "/a"\n[plugins.cri]\n  sandbox_image = "x/pause:2"\n`);
  const c = readContainerdConfig({ path: p, root: "/b" });
  assert.equal(c.root, "/b");
  assert.equal(c.sandboxImage, "x/pause:2");
  assert.equal(c.overlayfsRoot, "/b/io.containerd.snapshotter.v1.overlayfs");
});

test("imports are merged over the main file, tables merging and values replacing", () => {
  const extra = join(dir, "extra.toml");
  writeFileSync(extra, `[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "imported/pause:9"\n`);
  const p = join(dir, "main.toml");
  writeFileSync(p, `version = 2\nimports = ["extra.toml", "missing-*.toml"]\nroot = "/m"\n`);
  const c = readContainerdConfig({ path: p });
  assert.equal(c.sandboxImage, "imported/pause:9");
  assert.deepEqual(c.imports, [extra]);
});

test("a malformed config is one error line naming the file and the line", () => {
  const p = join(dir, "bad.toml");
  writeFileSync(p, `version = 2\nroot = "/x\n`);
  assert.throws(
    () => readContainerdConfig({ path: p }),
    (e: unknown) =>
      e instanceof CrifsError &&
      e.code === "corrupt" &&
      !e.oneLine().includes("\n") &&
      e.oneLine().startsWith(p),
  );
});

test("an explicit config path that does not exist is an error, not defaults", () => {
  assert.throws(
    () => readContainerdConfig({ path: join(dir, "nope.toml") }),
    (e: unknown) => e instanceof CrifsError && e.code === "not-found",
  );
});

test("under a host root the config, an import that is an absolute symlink, root and root_path resolve inside it", () => {
  // each outside target also exists on this machine, with other values: following a link out would show
  const outside = tempDir("crifs-outside-");
  const host = tempDir("crifs-host-");
  plantTree(outside, ['f imports/state.toml state = "/outside-state"\n']);
  plantTree(host, [
    `f ${outside}/imports/state.toml state = "/run/ctd"\n`,
    'f etc/containerd/config.toml version = 2\nimports = ["conf.d/state.toml"]\nroot = "/etc/containerd/root-link"\n' +
      '[plugins."io.containerd.snapshotter.v1.overlayfs"]\n  root_path = "/var/lib/containerd/overlay-link"\n',
    `l etc/containerd/conf.d/state.toml ${outside}/imports/state.toml`,
    // a root that climbs past the host root: `..` stops there
    "l etc/containerd/root-link ../../../../../../data/containerd",
    "d data/containerd",
    `l var/lib/containerd/overlay-link ${outside}/overlay`,
    `d ${outside}/overlay`,
  ]);
  const c = readContainerdConfig({ hostRoot: host });
  assert.equal(c.path, join(host, "etc/containerd/config.toml"));
  assert.deepEqual(c.imports, [join(host, outside, "imports/state.toml")]);
  assert.equal(c.root, join(host, "data/containerd"));
  assert.deepEqual(c.rootLink, { path: "/etc/containerd/root-link", target: "/data/containerd" });
  assert.equal(c.state, join(host, "run/ctd"));
  assert.equal(c.overlayfsRoot, join(host, outside, "overlay"));
});

test("a version 3 config (containerd 2.x) gives the sandbox image, snapshotter and CNI dirs from the split CRI plugin", () => {
  const p = join(dir, "v3.toml");
  writeFileSync(
    p,
    `version = 3
root = "/srv/ctd2"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'native'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = 'local/pause:3'
[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = ['/usr/lib/cni', '/opt/cni/bin']
  conf_dir = '/srv/cni'
[plugins.'io.containerd.grpc.v1.cri']
  sandbox_image = 'ignored/in-v3:1'
`,
  );
  const c = readContainerdConfig({ path: p });
  assert.equal(c.version, 3);
  assert.equal(c.snapshotter, "native");
  assert.equal(c.sandboxImage, "local/pause:3");
  assert.equal(c.cniBinDir, "/usr/lib/cni:/opt/cni/bin");
  assert.equal(c.cniConfDir, "/srv/cni");
});

test("a config that names no sandbox image or CNI bin dir leaves them null: the version's defaults apply", () => {
  for (const [name, text] of [
    ["v2-bare.toml", `version = 2\nroot = "/a"\n`],
    [
      "v3-bare.toml",
      `version = 3\nroot = "/a"\n[plugins.'io.containerd.cri.v1.images']\n  snapshotter = 'overlayfs'\n`,
    ],
  ] as const) {
    const p = join(dir, name);
    writeFileSync(p, text);
    const c = readContainerdConfig({ path: p });
    assert.equal(c.sandboxImage, null, name);
    assert.equal(c.cniBinDir, null, name);
    assert.equal(c.snapshotter, "overlayfs", name);
  }
});
