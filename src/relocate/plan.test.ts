import assert from "node:assert/strict";
import { test } from "node:test";
import {
  fstabLine,
  fstabPath,
  mountUnitText,
  planRelocate,
  type RelocateFacts,
  SYMLINK_WARNING,
  systemdEscapePath,
} from "./plan.js";

const facts = (
  over: Partial<RelocateFacts> = {},
  target: Partial<RelocateFacts["target"]> = {},
): RelocateFacts => ({
  runtime: "containerd",
  root: "/var/lib/containerd",
  rootMode: 0o711,
  rootUid: 0,
  rootGid: 0,
  newDir: "/mnt/disk/containerd",
  method: "bind",
  keepOld: false,
  systemd: false,
  fstab: "/etc/fstab",
  bytes: 1000,
  inodes: 10,
  target: {
    dir: "/mnt/disk",
    fsType: "ext4",
    freeBytes: 10_000,
    freeInodes: 100,
    trustedXattrs: true,
    overlayUpper: true,
    notes: [],
    sameFilesystem: false,
    ...target,
  },
  leftAlone: [],
  busy: [],
  units: [],
  ...over,
});

test("another filesystem: copy, verify, promote, rename-old, switch, persist, remove; the fstab line names the run", () => {
  const p = planRelocate(facts(), "R1");
  assert.deepEqual(p.steps, ["copy", "verify", "promote", "rename-old", "switch", "persist", "remove"]);
  assert.equal(p.partial, "/mnt/disk/containerd/.crifs-relocate-partial");
  assert.equal(p.oldName, "/var/lib/containerd.crifs-old-R1");
  assert.equal(p.quarantineItem, "/var/lib/.crifs-quarantine/R1/items/containerd");
  assert.equal(p.switchText, "/mnt/disk/containerd /var/lib/containerd none bind 0 0 # crifs relocate R1");
  assert.deepEqual(p.problems, []);
  assert.deepEqual(p.warnings, []);
});

test("same filesystem: a rename, no copy, no verify, nothing to quarantine", () => {
  const p = planRelocate(facts({}, { sameFilesystem: true }), "R1");
  assert.deepEqual(p.steps, ["rename", "switch", "persist"]);
  assert.equal(p.partial, null);
});

test("symlink with --keep-old and --systemd: no persist, no remove, stop first and start last, the warning", () => {
  const p = planRelocate(
    facts({ method: "symlink", keepOld: true, systemd: true, units: ["containerd.service"] }),
    "R1",
  );
  assert.deepEqual(p.steps, ["stop", "copy", "verify", "promote", "rename-old", "switch", "start"]);
  assert.deepEqual(p.warnings, [SYMLINK_WARNING]);
  assert.match(p.switchText, /^ln -s \/mnt\/disk\/containerd \/var\/lib\/containerd .*0711/);
});

test("bind with --systemd: the .mount unit named by systemd's path escaping, ordered before the runtime", () => {
  const p = planRelocate(facts({ systemd: true, units: ["containerd.service"] }), "R1");
  assert.equal(p.unitPath, "/etc/systemd/system/var-lib-containerd.mount");
  assert.equal(
    p.switchText,
    mountUnitText("/mnt/disk/containerd", "/var/lib/containerd", ["containerd.service"], "R1"),
  );
  assert.match(p.switchText, /^Before=containerd.service$/m);
  assert.match(p.switchText, /^What=\/mnt\/disk\/containerd$/m);
});

test("too little space or inodes, no trusted xattrs, no overlay, busy, --systemd without systemd: each a problem", () => {
  const p = planRelocate(
    facts(
      { busy: ["containerd answers"], systemd: true, units: [] },
      { freeBytes: 10, freeInodes: 1, trustedXattrs: false, overlayUpper: false },
    ),
    "R1",
  );
  assert.equal(p.problems.length, 6, p.problems.join("\n"));
  assert.equal(p.problems[0], "containerd answers");
  assert.ok(
    p.problems.some((x) => x.startsWith("--systemd: no systemd unit runs containerd here")),
    p.problems.join("\n"),
  );
});

test("fstab and unit names escape what their formats cannot hold", () => {
  assert.equal(fstabPath("/mnt/my disk\\x"), "/mnt/my\\040disk\\134x");
  assert.equal(fstabLine("/a b", "/c", "R"), "/a\\040b /c none bind 0 0 # crifs relocate R");
  assert.equal(systemdEscapePath("/var/lib/docker"), "var-lib-docker");
  assert.equal(systemdEscapePath("/srv/my-disk/.x"), "srv-my\\x2ddisk-.x");
  assert.equal(systemdEscapePath("/"), "-");
});
