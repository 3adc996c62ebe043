import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseMountinfo } from "../fs/mountinfo.js";
import { arrayRows, type BrokenLinkRows } from "../links/broken-link-rows.js";
import type { MetadataRead } from "../model/doctor-facts.js";
import { containerdAdapter, podmanAdapter } from "../runtimes/index.js";
import { containerdTestPaths, containerdWords, podmanWords } from "../runtimes/testing.js";
import { gatherDoctorInput, isInside, linkCandidates, mountsSeenFrom, stillBroken } from "./doctor-input.js";

/** A MetadataRead with no model (containerd's words, no snapshotters unless `more` says otherwise). */
function metadata(root: string, contentRoot: string, more: Partial<MetadataRead> = {}): MetadataRead {
  return {
    root,
    contentRoot,
    store: null,
    words: containerdWords,
    metadataProblems: [],
    snapshotters: [],
    ...more,
  };
}

/** A small containerd-like root built at test time. */
function tree() {
  const dir = mkdtempSync(join(tmpdir(), "crifs-doctor-input-"));
  const root = join(dir, "root");
  const { snapshots: sn, content } = containerdTestPaths(root);
  for (const d of ["1/fs", "1/work", "9999", "new-42/fs"]) mkdirSync(join(sn, d), { recursive: true });
  mkdirSync(join(content, "blobs", "sha256"), { recursive: true });
  writeFileSync(join(content, "blobs", "sha256", "ab"), "hello");
  const ing = join(content, "ingest", "cafe");
  mkdirSync(ing, { recursive: true });
  writeFileSync(join(ing, "ref"), "default/1/partial");
  writeFileSync(join(ing, "total"), "5000");
  writeFileSync(join(ing, "startedat"), "2026-01-01T00:00:00Z");
  writeFileSync(join(ing, "updatedat"), "2026-01-01T00:00:01Z");
  writeFileSync(join(ing, "data"), Buffer.alloc(3000));
  mkdirSync(join(root, "tmpmounts", "containerd-mount1"), { recursive: true });
  mkdirSync(join(root, "tmpmounts", "containerd-mount2"), { recursive: true });
  const old = new Date("2025-01-01T00:00:00Z");
  utimesSync(join(sn, "9999"), old, old);
  const mountinfo = join(dir, "mountinfo");
  writeFileSync(
    mountinfo,
    [
      `100 1 0:50 / ${join(root, "tmpmounts", "containerd-mount2")} rw - overlay overlay rw,lowerdir=${join(sn, "1", "fs")}`,
      `101 1 0:51 / /run/c1/rootfs rw - overlay overlay rw,lowerdir=${join(sn, "1", "fs")},upperdir=${join(sn, "7", "fs")},workdir=${join(sn, "7", "work")}`,
      "102 1 8:1 / /data rw - ext4 /dev/sda1 rw",
      "",
    ].join("\n"),
  );
  return { dir, root, sn, content, mountinfo };
}

test("gathers snapshot dirs (with new-*), blob files, ingests, tmpmounts and overlay mounts", async () => {
  const t = tree();
  const input = await gatherDoctorInput(
    metadata(t.root, t.content, {
      snapshotters: [
        {
          name: "overlayfs",
          snapshotsDir: t.sn,
          records: [{ backendKey: "default/1/x", id: "1", kind: "committed" }],
        },
      ],
    }),
    { adapter: containerdAdapter, mountinfoPath: t.mountinfo, now: 1, graceMs: 0 },
  );
  const sn = input.snapshotters[0];
  assert.deepEqual(sn?.dirs.map((d) => `${d.name} ${d.hasFs}`).sort(), [
    "1 true",
    "9999 false",
    "new-42 true",
  ]);
  assert.equal(sn?.dirs.find((d) => d.name === "9999")?.mtimeMs, Date.parse("2025-01-01T00:00:00Z"));
  assert.deepEqual(
    input.blobFiles.map((b) => `${b.digest} ${b.size}`),
    ["sha256:ab 5"],
  );
  const ing = input.ingestDirs[0];
  assert.deepEqual(
    [ing?.ref, ing?.total, ing?.dataSize, ing?.updatedAt],
    ["default/1/partial", 5000, 3000, "2026-01-01T00:00:01Z"],
  );
  assert.ok((ing?.allocatedBytes ?? 0) >= 4096);
  assert.deepEqual(input.tmpmounts.map((m) => `${m.name} ${m.isMountPoint}`).sort(), [
    "containerd-mount1 false",
    "containerd-mount2 true",
  ]);
  assert.deepEqual(
    input.overlayMounts.map((m) => `${m.mountPoint} ${m.upperdir ?? "-"}`),
    [`${join(t.root, "tmpmounts", "containerd-mount2")} -`, `/run/c1/rootfs ${join(t.sn, "7", "fs")}`],
  );
  assert.equal(input.rootFact.isSymlink, false);
  assert.deepEqual(input.readErrors, []);
  assert.equal(input.blobHashes, null);
});

test("a relative root symlink is seen as such, and --verify hashes every blob", async () => {
  const t = tree();
  const link = join(t.dir, "link");
  symlinkSync("root", link);
  const input = await gatherDoctorInput(metadata(link, t.content), {
    adapter: containerdAdapter,
    mountinfoPath: t.mountinfo,
    verify: true,
  });
  assert.deepEqual(
    [input.rootFact.isSymlink, input.rootFact.linkTarget, input.rootFact.resolved],
    [true, "root", t.root],
  );
  assert.equal(
    input.blobHashes?.get(join(t.content, "blobs", "sha256", "ab")),
    "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
  );
});

test("missing dirs list as empty: a fresh root has no ingest or tmpmounts dir", async () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-doctor-empty-"));
  const input = await gatherDoctorInput(metadata(dir, join(dir, "content")), {
    adapter: containerdAdapter,
    mountinfoPath: "/proc/self/mountinfo",
  });
  assert.deepEqual([input.blobFiles, input.ingestDirs, input.tmpmounts, input.readErrors], [[], [], [], []]);
});

test("isInside compares whole path components", () => {
  assert.equal(isInside("/a/snapshots", "/a/snapshots/1/fs"), true);
  assert.equal(isInside("/a/snapshots", "/a/snapshots2/1"), false);
});

test("an adapter without readDoctorFacts (podman's) has no containerd objects listed, even in a root that holds them", async () => {
  const t = tree();
  const input = await gatherDoctorInput(
    metadata(t.root, t.content, {
      words: podmanWords,
      snapshotters: [{ name: "overlayfs", snapshotsDir: t.sn, records: [] }],
    }),
    { adapter: podmanAdapter, mountinfoPath: t.mountinfo, verify: true },
  );
  assert.equal(podmanAdapter.readDoctorFacts, undefined);
  assert.deepEqual(
    [input.snapshotters, input.blobFiles, input.ingestDirs, input.tmpmounts, input.blobHashes],
    [[], [], [], [], null],
  );
  assert.equal(input.layerContents, undefined);
  assert.equal(input.overlayMounts.length, 2, "mountinfo is read for every runtime");
});

test("under --host-root the node's mounts are those at or below it, their overlay dirs put below it too", () => {
  // what a DaemonSet with the node's / at /host (HostToContainer) reads in /proc/self/mountinfo
  const table = parseMountinfo(
    [
      "20 1 0:20 / / rw - overlay overlay rw,lowerdir=/var/lib/containerd/s/1/fs,upperdir=/var/lib/containerd/s/2/fs,workdir=/var/lib/containerd/s/2/work",
      "30 20 8:1 / /host ro - ext4 /dev/vda rw",
      "31 30 0:31 / /host/run/rt/task/abc/rootfs rw - overlay overlay rw,lowerdir=/var/lib/containerd/s/3/fs:/var/lib/containerd/s/4/fs,upperdir=/var/lib/containerd/s/5/fs,workdir=/var/lib/containerd/s/5/work",
      "32 30 0:32 / /host/var/lib/containerd/tmpmounts/containerd-mount1 rw - tmpfs tmpfs rw",
    ].join("\n"),
  );
  const seen = mountsSeenFrom(table, "/host/");
  assert.deepEqual(
    [...seen.mountPoints],
    ["/host", "/host/run/rt/task/abc/rootfs", "/host/var/lib/containerd/tmpmounts/containerd-mount1"],
  );
  assert.deepEqual(seen.overlays, [
    {
      mountPoint: "/host/run/rt/task/abc/rootfs",
      lowerdir: ["/host/var/lib/containerd/s/3/fs", "/host/var/lib/containerd/s/4/fs"],
      upperdir: "/host/var/lib/containerd/s/5/fs",
      workdir: "/host/var/lib/containerd/s/5/work",
    },
  ]);
  // without a host root (or with /) the table is taken as it is
  assert.equal(mountsSeenFrom(table, undefined).overlays.length, 2);
  assert.equal(mountsSeenFrom(table, "/").mountPoints.size, 4);
});

test("stillBroken keeps the second read's links the first read had at the same path in the same layer", () => {
  const rows = (container: string, links: [string, string][]): BrokenLinkRows =>
    arrayRows(
      "default",
      container,
      links.map(([path, id]) => ({
        namespace: "default",
        container,
        path,
        target: "/nowhere",
        layer: { index: 0, key: `k${id}`, id, hostPath: `/r/snapshots/${id}/fs${path}` },
        reason: "ENOENT",
        at: "/nowhere",
        isHostOnly: false,
        isInLowerLayer: true,
      })),
    );
  const first = linkCandidates([
    rows("c1", [
      ["/a", "1"],
      ["/b", "1"],
      ["/c", "2"],
      ["/d", "1"],
    ]),
    rows("c2", [
      ["/x", "3"],
      ["/y", "3"],
    ]),
  ]);
  const kept = (found: BrokenLinkRows[]) =>
    stillBroken(found, first).map((r) => [
      r.container,
      Array.from({ length: r.length }, (_, i) => r.path(i)),
    ]);
  // in order: /b fixed in between, /c now in another layer
  assert.deepEqual(
    kept([
      rows("c1", [
        ["/a", "1"],
        ["/c", "1"],
        ["/d", "1"],
      ]),
    ]),
    [["c1", ["/a", "/d"]]],
  );
  // a container the first read did not have, and rows out of order (the walk falls back to a map)
  assert.deepEqual(
    kept([
      rows("c0", [["/a", "1"]]),
      rows("c2", [
        ["/y", "3"],
        ["/x", "3"],
      ]),
    ]),
    [["c2", ["/y", "/x"]]],
  );
  // nothing left of a container: no rows for it
  assert.deepEqual(kept([rows("c1", [["/b", "2"]])]), []);
});
