// The message table: every entry matches its upstream wording (samples below, formatted as the Go code that
// prints it formats them: see each entry's `sources`), names only checks that exist, and cites its source.

import assert from "node:assert/strict";
import { test } from "node:test";
import { checkById } from "../checks/index.js";
import { matchMessages } from "./match.js";
import { messagePatterns } from "./patterns.js";

const H = "3f57d9401f8d0a6b8c1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c";
const H2 = "9a2b6c1d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b";
const SN = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots";

/** Per entry, lines as the runtime, kubelet or CLI prints them (the upstream wording). */
export const samples: Readonly<Record<string, readonly string[]>> = {
  "mount-temp-dir-not-removed": [
    `time="2026-01-01T00:00:00.000000000Z" level=error msg="failed to remove mount temp dir" dir=/var/lib/containerd/tmpmounts/containerd-mount4081523786 error="remove /var/lib/containerd/tmpmounts/containerd-mount4081523786: device or resource busy"`,
  ],
  "parent-snapshot-missing": ["ctr: parent snapshot base does not exist: not found"],
  "snapshot-parent-dir-missing": [
    `ctr: failed to stat parent: stat ${SN}/2/fs: no such file or directory: unknown`,
  ],
  "task-rootfs-missing": [
    `Error: failed to create containerd task: failed to create shim task: failed to mount rootfs component &{overlay overlay [index=off workdir=${SN}/58/work upperdir=${SN}/58/fs lowerdir=${SN}/12/fs]}: no such file or directory: unknown`,
    'ctr: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting "/data" to rootfs at "/data": stat /data: no such file or directory: unknown',
  ],
  "layer-not-known": [`Error: locating layer with ID "${H}": layer not known`, "Error: layer not known"],
  "layer-not-found-in-tree": [
    `WARN[0000] Top layer ${H} of image ${H2} not found in layer tree. The storage may be corrupted, consider running \`podman system check\`.`,
  ],
  "no-space-left": [
    "failed to register layer: write /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1: no space left on device",
  ],
  "overlay-mount-check-failed": ["failed to mount overlay: invalid argument"],
  "snapshot-already-exists": [
    `failed to prepare extraction snapshot "extract-717863445-oTx4 sha256:${H}": snapshot sha256:${H}: already exists`,
    `ctr: snapshot "crifs-active": already exists`,
  ],
  "content-digest-not-found": [`ctr: content digest sha256:${H}: not found`],
  "blob-file-missing": [
    `ctr: blob sha256:${H} expected at /var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/${H}: open /var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/${H}: no such file or directory: not found`,
  ],
  "overlay-mount-error": [
    `docker: Error response from daemon: error creating overlay mount to /var/lib/docker/overlay2/${H}-init/merged: no such file or directory.`,
    `Error: creating overlay mount to /var/lib/containers/storage/overlay/${H}/merged, mount_data="lowerdir=…": no such file or directory`,
  ],
  "short-link-readlink": [
    "Error: readlink /var/lib/docker/overlay2/l/6UZ4KEXL5PSMUQH3SNXVDRUTY2: invalid argument",
    "Error response from daemon: readlink /var/lib/docker/overlay2/l/6UZ4KEXL5PSMUQH3SNXVDRUTY2: no such file or directory",
  ],
  "layer-dir-missing": [
    `Error response from daemon: stat /var/lib/docker/overlay2/${H}: no such file or directory`,
    `Error: stat /var/lib/containers/storage/overlay/${H}: no such file or directory`,
  ],
  "parent-layer-dir-missing": [
    `docker: Error response from daemon: open /var/lib/docker/overlay2/${H}/committed: no such file or directory.`,
  ],
  "snapshot-has-child": [
    `time="2026-01-01T00:00:00Z" level=warning msg="failed to remove snapshot" error="cannot remove snapshot with child: failed precondition" key=default/5/base`,
  ],
  "readdir-io-error": [
    `readdirent ${SN}: input/output error`,
    "open /var/lib/docker/image/overlay2/repositories.json: structure needs cleaning",
  ],
  "database-locked": [
    "failed to start daemon: error while opening volume store metadata database: timeout",
    "failed to load plugin io.containerd.metadata.v1.bolt: timeout",
    "Error: database is locked",
  ],
  "image-in-use": [
    "Error response from daemon: conflict: unable to delete 3f57d9401f8d (cannot be forced) - image is being used by running container 0c6f0b1d8e2a",
    `Error: image used by ${H}: image is in use by a container: consider listing external containers and force-removing image`,
  ],
  "cri-container-status-failed": [
    `E0101 00:00:00.000000    1234 kuberuntime_container.go:800] failed to get container status "${H}": rpc error: code = NotFound desc = an error occurred when try to find container "${H}": not found`,
  ],
  "image-gc-failed": [
    "Warning  ImageGCFailed  12m (x3 over 1h)  kubelet  Failed to garbage collect required amount of images. Attempted to free 5368709120 bytes, but only found 0 bytes eligible to free.",
    "failed to garbage collect required amount of images. Wanted to free 5368709120, but freed 0",
  ],
  "image-fs-capacity-zero": [
    "Warning  InvalidDiskCapacity  kubelet  invalid capacity 0 on image filesystem",
    'invalid capacity 0 on device "overlay" at mount point "/var/lib/containerd"',
  ],
  "log-file-missing": [
    'failed to try resolving symlinks in path "/var/log/pods/default_web-0_11111111-2222-3333-4444-555555555555/app/0.log": lstat /var/log/pods/default_web-0_11111111-2222-3333-4444-555555555555: no such file or directory',
    'failed to open log file "/var/log/pods/default_web-0_1111/app/0.log": open /var/log/pods/default_web-0_1111/app/0.log: no such file or directory',
  ],
};

test("every entry matches each of its samples (the upstream wording)", () => {
  for (const p of messagePatterns) {
    const s = samples[p.id];
    assert.ok(s !== undefined && s.length > 0, `${p.id}: no sample`);
    for (const line of s) assert.ok(p.regex.test(line), `${p.id} does not match its sample: ${line}`);
  }
  assert.deepEqual(Object.keys(samples).sort(), messagePatterns.map((p) => p.id).sort());
});

test("each sample is found by the matcher as its own message", () => {
  for (const [id, lines] of Object.entries(samples)) {
    for (const line of lines) {
      const ids = matchMessages(line).map((m) => m.pattern.id);
      assert.ok(ids.includes(id), `${id}: the matcher found ${ids.join(", ") || "nothing"} in ${line}`);
    }
  }
});

test("entries have unique kebab-case ids, existing check ids, cited sources and stores", () => {
  const ids = new Set<string>();
  for (const p of messagePatterns) {
    assert.match(p.id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(!ids.has(p.id), `duplicate id ${p.id}`);
    ids.add(p.id);
    assert.ok(p.checks.length > 0, `${p.id}: no checks`);
    for (const c of p.checks) assert.ok(checkById(c) !== undefined, `${p.id}: unknown check ${c}`);
    assert.ok(p.sources.length > 0, `${p.id}: no source`);
    for (const s of p.sources) {
      assert.match(s.repo, /^[\w.-]+\/[\w.-]+$/, `${p.id}: repo ${s.repo}`);
      assert.match(s.path, /^[\w./-]+\.go$/, `${p.id}: path ${s.path}`);
    }
    assert.ok(p.stores.length > 0 && p.meaning !== "" && p.next !== "", p.id);
    assert.ok(!p.regex.global && !p.regex.sticky, `${p.id}: a g or y regex keeps state between lines`);
  }
});

test("an ordinary line or a lone 'timeout' is no known message", () => {
  for (const line of [
    'level=info msg="starting containerd" revision= version=1.6.20',
    "context deadline exceeded: timeout",
    'Pulling image "nginx"',
    "layer sha256:abc already exists", // docker pull's progress, not containerd's snapshot error
  ])
    assert.deepEqual(
      matchMessages(line).map((m) => m.pattern.id),
      [],
      line,
    );
});
