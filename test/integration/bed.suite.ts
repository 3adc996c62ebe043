// test/integration/bed.suite.ts: proves the bed is what test/bed/bed.ts and its facts claim, checked
// against ctr, /proc/self/mountinfo, lstat and getfattr. Other suites build on these claims.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";

/** Rows of a ctr table (header dropped), split on runs of blanks. */
function rows(out: string): string[][] {
  return out
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/));
}

function lines(out: string): string[] {
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .sort();
}

interface MountEntry {
  readonly mountPoint: string;
  readonly fsType: string;
  readonly superOptions: string;
}

/** /proc/self/mountinfo entries; octal escapes (\040) in mount points are decoded. */
function readMountInfo(): MountEntry[] {
  const decode = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [left = "", right = ""] = l.split(" - ");
      const f = left.split(" ");
      const r = right.split(" ");
      return { mountPoint: decode(f[4] ?? ""), fsType: r[0] ?? "", superOptions: r[2] ?? "" };
    });
}

function xattr(path: string, name: string): string | undefined {
  try {
    return execFileSync("getfattr", ["-h", "--absolute-names", "--only-values", "-n", name, path], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch {
    return undefined; // exit 1: "No such attribute"
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function bedSuite(getBed: () => Bed): void {
  describe("the bed", () => {
    /** fs dir of the n-th image layer of bb:latest in `default`, 1 = base */
    const layer = (bed: Bed, n: number): string => {
      const ids = bed.facts.snapshotDirs.defaultLayers; // nearest parent first
      const id = ids[ids.length - n];
      assert.ok(id !== undefined, `no layer ${n} in ${ids.join(",")}`);
      return join(bed.snapshotsDir, id, "fs");
    };

    test("ctr lists the images, containers, snapshots, leases and namespace label the facts name", () => {
      const bed = getBed();
      const f = bed.facts;
      const images = (ns: string) =>
        lines(bed.ctr(["images", "ls", "-q"], ns)).filter((n) => !n.startsWith("sha256:"));
      assert.deepEqual(images("default"), [f.images.index, f.images.latest, f.images.small].sort());
      assert.deepEqual(images("k8s.io"), [f.images.latest, f.images.small].sort());
      assert.deepEqual(
        lines(bed.ctr(["containers", "ls", "-q"], "default")),
        [f.containers.running, f.containers.created, f.containers.exited].sort(),
      );
      assert.deepEqual(lines(bed.ctr(["containers", "ls", "-q"], "k8s.io")), [f.containers.k8sRunning]);
      const snaps = new Map(rows(bed.ctr(["snapshots", "ls"], "default")).map((r) => [r[0], r.slice(1)]));
      assert.deepEqual(snaps.get(f.snapshots.view), [f.snapshots.topChainId, "View"]);
      assert.deepEqual(snaps.get(f.snapshots.active), [f.snapshots.topChainId, "Active"]);
      assert.deepEqual(snaps.get(f.containers.created), [f.snapshots.smallTopChainId, "Active"]);
      const leases = new Map(rows(bed.ctr(["leases", "ls"], "default")).map((r) => [r[0], r.slice(1)]));
      assert.deepEqual([...leases.keys()].sort(), [f.leases.forever, f.leases.expiring].sort());
      assert.equal(leases.get(f.leases.forever)?.[1], "-", "the forever lease has no gc.expire label");
      assert.match(leases.get(f.leases.expiring)?.[1] ?? "", /^containerd\.io\/gc\.expire=/);
      const label = `${f.namespaceLabel.key}=${f.namespaceLabel.value}`;
      assert.ok(bed.ctr(["namespaces", "ls"]).includes(label), `namespace label ${label}`);
    });

    test("ctr tasks ls shows both sleep tasks RUNNING and the exited task STOPPED", () => {
      const bed = getBed();
      const f = bed.facts;
      const tasks = (ns: string) =>
        new Map(rows(bed.ctr(["tasks", "ls"], ns)).map((r) => [r[0], r.slice(1)]));
      const def = tasks("default");
      assert.deepEqual(def.get(f.containers.running), [String(f.taskPids.running), "RUNNING"]);
      assert.equal(def.get(f.containers.exited)?.[1], "STOPPED");
      assert.equal(def.get(f.containers.created), undefined, "the created container has no task");
      assert.deepEqual(tasks("k8s.io").get(f.containers.k8sRunning), [
        String(f.taskPids.k8sRunning),
        "RUNNING",
      ]);
    });

    test("the running task's rootfs is an overlay in mountinfo, lowerdir nearest parent first", () => {
      const bed = getBed();
      const f = bed.facts;
      const rootfs = join(
        bed.state,
        "io.containerd.runtime.v2.task",
        "default",
        f.containers.running,
        "rootfs",
      );
      const m = readMountInfo().find((e) => e.mountPoint === rootfs);
      assert.ok(m !== undefined, `no mount at ${rootfs}`);
      assert.equal(m.fsType, "overlay");
      const opt = new Map(
        m.superOptions.split(",").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      );
      const dir = (id: string, sub: string) => join(bed.snapshotsDir, id, sub);
      assert.equal(opt.get("lowerdir"), f.snapshotDirs.defaultLayers.map((id) => dir(id, "fs")).join(":"));
      assert.equal(opt.get("upperdir"), dir(f.snapshotDirs.running, "fs"));
      assert.equal(opt.get("workdir"), dir(f.snapshotDirs.running, "work"));
    });

    test("layer 2 holds data/todelete.txt as a whiteout: a character device 0:0", () => {
      const st = lstatSync(join(layer(getBed(), 2), "data", "todelete.txt"));
      assert.ok(st.isCharacterDevice());
      assert.equal(st.rdev, 0);
    });

    test("layer 3 replaces data/replaced with per-entry whiteouts, not an opaque dir", () => {
      const d = join(layer(getBed(), 3), "data", "replaced");
      for (const name of ["a.txt", "sub"]) {
        const st = lstatSync(join(d, name));
        assert.ok(st.isCharacterDevice() && st.rdev === 0, `${name} is a whiteout`);
      }
      assert.equal(xattr(d, "trusted.overlay.opaque"), undefined);
    });

    test("layer 4 marks data/keepdir opaque with trusted.overlay.opaque=y and holds new.txt only", () => {
      const d = join(layer(getBed(), 4), "data", "keepdir");
      assert.equal(xattr(d, "trusted.overlay.opaque"), "y");
      assert.ok(existsSync(join(d, "new.txt")));
      assert.ok(!existsSync(join(d, ".wh..wh..opq")), "the tar marker is not left on disk");
    });

    test("the exited task's upper dir holds its new file, a whiteout and a kernel-made opaque dir", () => {
      const bed = getBed();
      const up = join(bed.snapshotsDir, bed.facts.snapshotDirs.exited, "fs", "data");
      assert.equal(readFileSync(join(up, "written.txt"), "utf8"), "written\n");
      const wh = lstatSync(join(up, "layer2.txt"));
      assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
      assert.equal(xattr(join(up, "replaced"), "trusted.overlay.opaque"), "y");
    });

    test("layer 1 holds the hard-linked pair data/hl1, data/hl2: one inode, nlink 2", () => {
      const d = join(layer(getBed(), 1), "data");
      const a = lstatSync(join(d, "hl1"));
      const b = lstatSync(join(d, "hl2"));
      assert.equal(a.ino, b.ino);
      assert.equal(a.nlink, 2);
    });

    test("symlinks: relative applets, absolute env, and layer 2's abs, rel and host-only links", () => {
      const bed = getBed();
      assert.equal(readlinkSync(join(layer(bed, 1), "bin", "sh")), "busybox");
      assert.equal(readlinkSync(join(layer(bed, 1), "usr", "bin", "env")), "/bin/busybox");
      const d = join(layer(bed, 2), "data");
      assert.equal(readlinkSync(join(d, "abs-link")), "/etc/passwd");
      assert.equal(readlinkSync(join(d, "rel-link")), "../etc/passwd");
      assert.equal(readlinkSync(join(d, "host-only-link")), bed.hostOnlyTarget);
    });

    test("the host-only link's target exists on the host but not inside the container", () => {
      const bed = getBed();
      assert.ok(existsSync(bed.hostOnlyTarget));
      const args = ["tasks", "exec", "--exec-id", `probe-${process.pid}`, bed.facts.containers.running];
      assert.equal(
        bed.ctr([...args, "/bin/cat", "/data/rel-link"], "default").split("\n")[1],
        "nobody:x:65534:65534::/:/bin/sh",
      );
      assert.throws(() => bed.ctr([...args, "/bin/cat", "/data/host-only-link"], "default"), /No such file/);
    });

    test("data/sparse.img is allocated in full by the unpack; data/sparse-upper.img stays sparse", () => {
      const bed = getBed();
      const s = bed.facts.sparse;
      const layerFile = lstatSync(join(layer(bed, 1), s.layerPath));
      assert.equal(layerFile.size, s.layerSize);
      // containerd 1.6 writes the zeros it reads from the (non-sparse) tar entry
      assert.ok(layerFile.blocks * 512 >= s.layerSize, `${layerFile.blocks} blocks for ${s.layerSize} bytes`);
      const upper = lstatSync(join(bed.snapshotsDir, bed.facts.snapshotDirs.exited, "fs", s.upperPath));
      assert.equal(upper.size, s.upperSize);
      assert.ok(upper.blocks * 512 < 64 * 1024, `${upper.blocks} blocks for ${s.upperSize} bytes`);
    });

    test("containerd stops and starts again while the shims keep the tasks running", async () => {
      const bed = getBed();
      const f = bed.facts;
      const before = bed.containerdPid();
      await bed.stopContainerd();
      assert.equal(bed.isContainerdRunning(), false);
      assert.throws(() => bed.ctr(["version"]));
      assert.ok(isAlive(f.taskPids.running) && isAlive(f.taskPids.k8sRunning), "tasks outlive containerd");
      await bed.startContainerd();
      assert.equal(bed.isContainerdRunning(), true);
      assert.notEqual(bed.containerdPid(), before);
      const def = new Map(rows(bed.ctr(["tasks", "ls"], "default")).map((r) => [r[0], r[2]]));
      assert.equal(def.get(f.containers.running), "RUNNING");
      // containerd 1.7 and 2.x delete a stopped task (its shim, bundle and runc state) when they start again;
      // 1.6 keeps it STOPPED until someone deletes it
      assert.equal(def.get(f.containers.exited), stoppedTaskAfterRestart(bed));
    });

    test("a churn loop in k8s.io completes cycles and leaves the namespace as it found it", async () => {
      const bed = getBed();
      const f = bed.facts;
      const snapshots = () => lines(bed.ctr(["snapshots", "ls"], "k8s.io"));
      const snapsBefore = snapshots();
      const churn = bed.startChurn("k8s.io");
      // from its setup's end, not its start: on a loaded machine the setup alone outlasted 1.5 s (fresh run 24:
      // stopped before its first cycle); a cycle begun is never cut short, so one runs whatever the load
      await churn.ready;
      await new Promise((r) => setTimeout(r, 1500));
      const cycles = await churn.stop();
      assert.ok(cycles > 0, `${cycles} cycles`);
      assert.deepEqual(lines(bed.ctr(["containers", "ls", "-q"], "k8s.io")), [f.containers.k8sRunning]);
      assert.deepEqual(snapshots(), snapsBefore);
      // the GC passes the churn caused kept the gc.root-labelled view in default
      assert.ok(
        lines(bed.ctr(["snapshots", "ls"], "default")).some((l) => l.startsWith(`${f.snapshots.view} `)),
      );
    });
  });
}

/** What `ctr tasks ls` says of the bed's exited task once containerd restarted: 1.7 and 2.x deleted it. */
export function stoppedTaskAfterRestart(bed: Bed): "STOPPED" | undefined {
  return bed.containerd === "1.6" ? "STOPPED" : undefined;
}
