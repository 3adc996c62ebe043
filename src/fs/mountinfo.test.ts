import assert from "node:assert/strict";
import { test } from "node:test";
import { overlayOptions, parseMountinfo, readMountinfo } from "./mountinfo.js";

const sample = [
  "22 27 0:21 / /proc rw,relatime - proc proc rw",
  "731 27 0:88 / /var/lib/x\\040y/rootfs rw,relatime shared:1 master:2 - overlay overlay rw,lowerdir=/s/4/fs:/s/3/fs,upperdir=/s/9/fs,workdir=/s/9/work,index=off",
  "garbage line",
].join("\n");

test("mountinfo lines parse into mount point, type, source and super options with escapes undone", () => {
  const m = parseMountinfo(sample);
  assert.equal(m.length, 2);
  const o = m[1];
  assert.ok(o);
  assert.equal(o.mountPoint, "/var/lib/x y/rootfs");
  assert.equal(o.fsType, "overlay");
  assert.equal(o.source, "overlay");
  assert.deepEqual(o.mountOptions, ["rw", "relatime"]);
  assert.deepEqual(overlayOptions(o.superOptions), {
    lowerdir: ["/s/4/fs", "/s/3/fs"],
    upperdir: "/s/9/fs",
    workdir: "/s/9/work",
    other: ["rw", "index=off"],
  });
});

test("the running system's mountinfo parses and holds the root mount", () => {
  const m = readMountinfo();
  assert.ok(m.some((e) => e.mountPoint === "/"));
});
