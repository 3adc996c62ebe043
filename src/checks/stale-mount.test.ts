import assert from "node:assert/strict";
import { test } from "node:test";
import { staleMount } from "./stale-mount.js";
import { brief, scenario } from "./testing.js";

test("an overlay whose layers name snapshot ids no record has is stale; live ones and other roots' are not", () => {
  const input = scenario()
    .snapshot("default", "base", { id: "1" })
    .snapshot("default", "c1", { id: "2", kind: "active", parent: "base" })
    .snapshotterOnly("faults", "kept", "3")
    .mount("/run/ctd/c1/rootfs", ["1"], "2")
    .mount("/run/ctd/c9/rootfs", ["1"], "9")
    .mount("/mnt/view", ["3"])
    .mount("/other/rootfs", ["/var/lib/other/snapshots/77/fs"], "/var/lib/other/snapshots/78/fs")
    .input();
  const found = staleMount.run(input);
  assert.deepEqual(found.map(brief), ["stale-mount /run/ctd/c9/rootfs 0 mount /run/ctd/c9/rootfs"]);
  assert.match(found[0]?.message ?? "", /snapshot dir 9,/);
});
