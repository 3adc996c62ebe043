// broken-links.test.ts — broken symlinks of temp layer stacks, found from each layer's symlinks and
// resolved in the merged view: reasons, hidden links, host-only targets, links into runtime mounts; and
// readLinkReport end to end (each layer scanned once for many containers).
// Needs root (mknod, trusted.* xattrs, hard links); CRIFS_SKIP_ROOT=1 skips instead of failing.

import assert from "node:assert/strict";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { rootOnly } from "../fs/testing-tree.js";
import { scanTrees, selectScanEngine } from "../fs/walk.js";
import {
  findBrokenLinks,
  hostHas,
  hostTargetPath,
  type LayerSymlink,
  mountPointReached,
} from "./broken-links.js";
import { containerView } from "./container-view.js";
import { containerKey, readLinkReport } from "./link-report.js";
import { type TempStore, tempStores } from "./testing.js";

const skip = rootOnly();
const fresh = tempStores();

/** A test on a fresh temp layer stack of its own (skipped as the others without root). */
function stackTest(title: string, fn: (t: TempStore) => void | Promise<void>): void {
  test(title, { skip }, () => fn(fresh()));
}

/** The report for every container of `t`, without touching the scan cache. */
async function report(t: TempStore, options: { brokenOnly?: boolean } = {}) {
  const store = t.store();
  return readLinkReport(
    store.containers.map((container) => ({ store, container })),
    { ...options, scan: { cacheDir: null } },
  );
}

function brief(b: { container: string; path: string; reason: string; at: string }): string {
  return `${b.container} ${b.path} ${b.reason} at ${b.at}`;
}

stackTest(
  "each broken link comes with the kernel's reason: ENOENT, ENOTDIR, ELOOP; working ones do not",
  async (t) => {
    t.layer("base", null, [
      "f etc/passwd root",
      "l a/enoent /nope/x",
      "l a/enotdir /etc/passwd/x",
      "l a/loop1 loop2",
      "l a/loop2 loop1",
      "l a/empty-dir-hop ../b/",
      "l a/ok-abs /etc/passwd",
      "l a/ok-rel ../etc/passwd",
      "l a/ok-dir /etc",
      "l a/chain ok-abs",
    ]);
    t.layer("c1", "base", [], "active");
    t.container("c1");
    const r = await report(t);
    assert.deepEqual(r.brokenLinks.map(brief), [
      "c1 /a/empty-dir-hop ENOENT at /b",
      "c1 /a/enoent ENOENT at /nope",
      "c1 /a/enotdir ENOTDIR at /etc/passwd",
      "c1 /a/loop1 ELOOP at /a/loop1",
      "c1 /a/loop2 ELOOP at /a/loop2",
    ]);
    assert.deepEqual(
      r.containers.map((c) => [c.id, c.symlinks, c.broken]),
      [["c1", 9, 5]],
    );
    for (const b of r.brokenLinks) {
      assert.equal(b.isInLowerLayer, true);
      assert.equal(b.layer.index, 1);
      assert.equal(b.layer.key, "base");
      assert.equal(b.layer.hostPath, join(t.dir, "snapshots/1/fs", b.path));
    }
  },
);

stackTest(
  "links hidden by a whiteout, an opaque dir or a name above are neither counted nor reported",
  async (t) => {
    t.layer("base", null, ["l h/wo /nope", "l o/in-opaque /nope", "l s/shadowed /nope", "l dirgone/x /nope"]);
    t.layer("top", "base", ["w h/wo", "o o", "f o/new n", "f s/shadowed file", "f dirgone file"]);
    t.layer("c1", "top", [], "active");
    t.container("c1");
    const r = await report(t);
    assert.deepEqual(r.brokenLinks, []);
    assert.equal(r.containers[0]?.symlinks, 0);
  },
);

stackTest(
  "a target the container deleted breaks an image link; a link the container wrote is in the upper layer",
  async (t) => {
    t.layer("base", null, ["f data/f x", "l data/to-f /data/f"]);
    t.layer("c1", "base", ["w data/f", "l data/mine ../missing"], "active");
    t.container("c1");
    const r = await report(t);
    assert.deepEqual(
      r.brokenLinks.map((b) => [b.path, b.reason, b.layer.index, b.isInLowerLayer]),
      [
        ["/data/mine", "ENOENT", 0, false],
        ["/data/to-f", "ENOENT", 1, true],
      ],
    );
  },
);

stackTest(
  "isHostOnly: the target exists on the host (lstat, a dangling host link counts) but not in the container",
  async (t) => {
    const hostDir = join(t.dir, "host");
    mkdirSync(hostDir);
    symlinkSync("/nonexistent-crifs-target", join(hostDir, "dangling"));
    t.layer("base", null, [
      `l a/host-file ${process.execPath}`,
      `l a/host-dangling ${hostDir}/dangling`,
      `l a/nowhere ${hostDir}/nothing-here`,
      `l a/rel ../../../../../../${hostDir.slice(1)}`,
    ]);
    t.layer("c1", "base", [], "active");
    t.container("c1");
    const r = await report(t, { brokenOnly: true });
    assert.deepEqual(
      r.brokenLinks.map((b) => [b.path, b.isHostOnly]),
      [
        ["/a/host-dangling", true],
        ["/a/host-file", true],
        ["/a/nowhere", false],
        ["/a/rel", true],
      ],
    );
    assert.equal(hostTargetPath("/a/b/link", "../c"), "/a/c");
    assert.equal(hostTargetPath("/a/link", "/x/y"), "/x/y");
    assert.equal(hostHas(`${process.execPath}/not-a-dir`), false);
  },
);

stackTest(
  "links in or into the spec's mounts are listed apart with the mount point, not as broken",
  async (t) => {
    t.layer("base", null, [
      "l etc/mtab ../proc/self/mounts",
      "d run/lock",
      "l var/lock /run/lock",
      "l run/inside /nope",
      "l dev-link /dev",
      "l real-broken /nope",
    ]);
    t.layer("c1", "base", [], "active");
    t.container("c1", { mounts: ["/proc", "/run", "/dev"] });
    const r = await report(t, { brokenOnly: true });
    assert.deepEqual(r.brokenLinks.map(brief), ["c1 /real-broken ENOENT at /nope"]);
    assert.deepEqual(
      r.linksIntoMounts.map((l) => [l.path, l.mountPoint]),
      [
        ["/dev-link", "/dev"],
        ["/etc/mtab", "/proc"],
        ["/run/inside", "/run"],
        ["/var/lock", "/run"],
      ],
    );
    assert.deepEqual(r.containers[0]?.mountPoints, ["/dev", "/proc", "/run"]);
    const ok = { ok: true as const, path: "/dev", entry: null, hops: [] };
    assert.equal(mountPointReached(["/dev"], "/l", ok), null, "a link to the mount point itself works");
  },
);

stackTest(
  "every distinct layer is scanned once for many containers, and each container judges its own view",
  async (t) => {
    t.layer("base", null, ["f etc/passwd root", "l data/to-passwd /etc/passwd", "l data/gone /nope"]);
    t.layer("c1", "base", ["w etc/passwd"], "active");
    t.layer("c2", "base", ["f nope y"], "active");
    t.layer("c3", "base", [], "active");
    t.container("c1");
    t.container("c2");
    t.container("c3");
    t.container("broken", { key: "missing" });
    const r = await report(t);
    assert.deepEqual(r.brokenLinks.map(brief), [
      "c1 /data/gone ENOENT at /nope",
      "c1 /data/to-passwd ENOENT at /etc/passwd",
      "c3 /data/gone ENOENT at /nope",
    ]);
    assert.deepEqual(
      r.skipped.map((s) => s.container),
      ["broken"],
    );
    assert.match(r.skipped[0]?.reason ?? "", /no snapshot "missing"/);
    assert.deepEqual(
      new Set(r.containers.flatMap((c) => c.layers.map((l) => l.id))),
      new Set(["1", "2", "3", "4"]),
    );
  },
);

stackTest("findBrokenLinks takes each layer's symlinks keyed by layer dir and ignores the others", (t) => {
  const base = t.layer("base", null, ["l x /nope"]);
  t.layer("c1", "base", [], "active");
  t.container("c1");
  const store = t.store();
  const view = containerView(store, store.containers[0] as never);
  const links = new Map<string, LayerSymlink[]>([
    [base, [{ rel: "/x", target: "/nope" }]],
    ["/elsewhere", [{ rel: "/y", target: "/nope" }]],
  ]);
  const found = findBrokenLinks(view, links, { hostHas: () => true });
  assert.deepEqual(
    found.broken.map((b) => [b.path, b.isHostOnly]),
    [["/x", true]],
  );
  assert.equal(found.visible, 1);
});

stackTest("only: a second look judges just the named links of the named containers", async (t) => {
  t.layer("base", null, ["l a/one /nope", "l a/two /nope", "l a/ok /a"]);
  t.layer("c1", "base", [], "active");
  t.layer("c2", "base", [], "active");
  t.container("c1");
  t.container("c2");
  const store = t.store();
  const targets = store.containers.map((container) => ({ store, container }));
  const all = await readLinkReport(targets, { brokenOnly: true, scan: { cacheDir: null } });
  assert.deepEqual(all.brokenLinks.map(brief), [
    "c1 /a/one ENOENT at /nope",
    "c1 /a/two ENOENT at /nope",
    "c2 /a/one ENOENT at /nope",
    "c2 /a/two ENOENT at /nope",
  ]);
  const only = new Map([[containerKey("default", "c1"), new Set(["/a/two", "/a/ok"])]]);
  const again = await readLinkReport(targets, { brokenOnly: true, scan: { cacheDir: null }, only });
  assert.deepEqual(again.brokenLinks.map(brief), ["c1 /a/two ENOENT at /nope"]);
  assert.deepEqual(
    again.containers.map((c) => [c.id, c.symlinks]),
    [
      ["c1", 2],
      ["c2", 0],
    ],
    "c1 counts only the links it was asked about; c2 none",
  );
});

test("the native name index and the view's lstats judge every link alike: reasons, places, hidden links, opaque dirs", {
  skip,
}, async () => {
  const t = fresh();
  t.layer("base", null, [
    "f etc/passwd root",
    "f usr/lib/libz.so.1 z",
    "l usr/lib/libz.so ./libz.so.1",
    "l lib /usr/lib",
    "l a/via-dir-link /lib/libz.so",
    "l a/enoent /nope/x",
    "l a/enotdir /etc/passwd/x",
    "l a/loop1 loop2",
    "l a/loop2 loop1",
    "l a/dotdot ../../../etc/passwd",
    "l a/trailing /etc/",
    "l a/trailing-file /etc/passwd/",
    "l a/empty-dir-hop ../b/",
    "l h/wo /nope",
    "l o/in-opaque /nope",
    "f o/kept k",
    "l s/shadowed /nope",
    "l m/to-merged /o/kept",
    "l m/to-upper /o/new",
  ]);
  t.layer("top", "base", ["w h/wo", "o o", "f o/new n", "f s/shadowed file", "w usr/lib/libz.so.1"]);
  t.layer("c1", "top", ["l data/mine ../missing", "l data/abs /usr/lib/libz.so"], "active");
  t.container("c1", { mounts: ["/proc"] });
  const store = t.store();
  const view = containerView(store, store.containers[0] as never);
  const scan = await scanTrees(
    view.layers.map((p) => ({ id: p, path: p })),
    { settleMs: 0, cacheDir: null, collectSymlinks: true, usage: false, linkIndex: true },
  );
  // CRIFS_ENGINE=js: no index (the JS walk makes none), and both judgements below are the view's lstats
  const indexed = selectScanEngine().engine === "native" ? 3 : 0;
  assert.equal(scan.linkIndexes.size, indexed, "the native scanner indexes each layer, the JS walk none");
  const links = new Map<string, LayerSymlink[]>();
  for (const l of scan.symlinks) links.set(l.tree, [...(links.get(l.tree) ?? []), l]);
  const native = findBrokenLinks(view, links, { indexOf: (d) => scan.linkIndexes.get(d) });
  const js = findBrokenLinks(view, links);
  assert.deepEqual(native, js);
  assert.deepEqual(native.broken.map(brief), [
    "c1 /a/empty-dir-hop ENOENT at /b",
    "c1 /a/enoent ENOENT at /nope",
    "c1 /a/enotdir ENOTDIR at /etc/passwd",
    "c1 /a/loop1 ELOOP at /a/loop1",
    "c1 /a/loop2 ELOOP at /a/loop2",
    "c1 /a/trailing-file ENOTDIR at /etc/passwd",
    "c1 /a/via-dir-link ENOENT at /usr/lib/libz.so.1",
    "c1 /data/abs ENOENT at /usr/lib/libz.so.1",
    "c1 /data/mine ENOENT at /missing",
    "c1 /m/to-merged ENOENT at /o/kept",
    "c1 /usr/lib/libz.so ENOENT at /usr/lib/libz.so.1",
  ]);
});
