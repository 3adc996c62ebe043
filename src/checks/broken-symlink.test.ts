// broken-symlink.test.ts — findings from broken links as src/links reports them (pure), and end to end
// through gatherDoctorInput on a temp layer stack: the host-only link, a link the container wrote, and links
// into runtime mounts, which are not findings.

import assert from "node:assert/strict";
import { test } from "node:test";
import { arrayRows } from "../links/broken-link-rows.js";
import type { BrokenLink } from "../links/broken-links.js";
import { tempStores } from "../links/testing.js";
import { containerdWords } from "../runtimes/testing.js";
import { brokenSymlink } from "./broken-symlink.js";
import { gatherDoctorInput } from "./doctor-input.js";
import { brief, scenario } from "./testing.js";

/** The classic: a link in an image layer to a path only the build host has. */
const HOST_ONLY_LINK: BrokenLink = {
  namespace: "default",
  container: "c1",
  path: "/data/host-only-link",
  target: "/tmp/secret",
  layer: { index: 2, key: "sha256:l2", id: "7", hostPath: "/r/snapshots/7/fs/data/host-only-link" },
  reason: "ENOENT",
  at: "/tmp/secret",
  isHostOnly: true,
  isInLowerLayer: true,
};

test("one warning per broken link per container: the link file's host path, the container path as subject", () => {
  const input = {
    ...scenario().input(),
    brokenLinks: [
      arrayRows("default", "c1", [HOST_ONLY_LINK]),
      arrayRows("default", "c2", [
        { ...HOST_ONLY_LINK, container: "c2" },
        {
          ...HOST_ONLY_LINK,
          container: "c2",
          path: "/tmp/loop",
          target: "loop",
          reason: "ELOOP",
          at: "/tmp/loop",
          isHostOnly: false,
          isInLowerLayer: false,
          layer: { index: 0, key: "c2", id: "9", hostPath: "/r/snapshots/9/fs/tmp/loop" },
        },
      ] satisfies BrokenLink[]),
    ],
  };
  const found = brokenSymlink.run(input);
  assert.deepEqual(found.map(brief), [
    "broken-symlink /r/snapshots/7/fs/data/host-only-link 0 container default/c1: /data/host-only-link",
    "broken-symlink /r/snapshots/7/fs/data/host-only-link 0 container default/c2: /data/host-only-link",
    "broken-symlink /r/snapshots/9/fs/tmp/loop 0 container default/c2: /tmp/loop",
  ]);
  for (const f of found) assert.equal(f.severity, "warning");
  const [hostOnly, , loop] = found;
  assert.equal(
    hostOnly?.message,
    "symlink /data/host-only-link -> /tmp/secret in container default/c1 is broken: no such file or directory at " +
      "/tmp/secret; the target exists on this host but not in the image: the link works only where it was made; " +
      "it comes from image layer sha256:l2 (snapshot dir 7), so every container of the image has it",
  );
  assert.match(hostOnly?.remedy ?? "", /^put the target into the image .* then rebuild the image/);
  assert.match(
    loop?.message ?? "",
    /too many levels of symbolic links at \/tmp\/loop; the container wrote it/,
  );
  assert.doesNotMatch(loop?.message ?? "", /this host/);
  assert.match(loop?.remedy ?? "", /inside the container/);
});

test("not gathered (no brokenLinks in the input): no findings", () => {
  assert.deepEqual(brokenSymlink.run(scenario().input()), []);
});

const tempStore = tempStores(); // the end-to-end test's stores, removed after the run

test("end to end on a temp layer stack: host-only and container-written links are found, links into mounts are not", async () => {
  const t = tempStore();
  t.layer("base", null, [
    "f etc/passwd root",
    `l data/host-only ${process.execPath}`,
    "l data/ok /etc/passwd",
    "l etc/mtab ../proc/self/mounts",
    "l run-link /run/lock",
  ]);
  t.layer("c1", "base", ["l data/mine ../nothing"], "active");
  t.layer("c2", "base", [], "active");
  t.container("c1", { mounts: ["/proc", "/run"] });
  t.container("c2", { mounts: ["/proc", "/run"] });
  const store = t.store();
  const from = {
    root: t.dir,
    contentRoot: `${t.dir}/content`,
    store,
    words: containerdWords,
    metadataProblems: [],
    snapshotters: [],
  };
  const read = () => gatherDoctorInput(from);
  const found = brokenSymlink.run(await read());
  assert.deepEqual(found.map(brief), [
    `broken-symlink ${t.dir}/snapshots/1/fs/data/host-only 0 container default/c1: /data/host-only`,
    `broken-symlink ${t.dir}/snapshots/2/fs/data/mine 0 container default/c1: /data/mine`,
    `broken-symlink ${t.dir}/snapshots/1/fs/data/host-only 0 container default/c2: /data/host-only`,
  ]);
  assert.match(found[0]?.message ?? "", /exists on this host but not in the image/);
  const off = await gatherDoctorInput(from, { links: false });
  assert.equal(off.brokenLinks, undefined, "links: false gathers nothing");
});
