// test/integration/export.suite.ts — `crifs export` and `crifs diff` on real containers that added, changed
// (content, chmod, chown) and deleted files in their root (a dir deleted, a dir replaced by a file, a dir deleted
// and made again: opaque, a hard-link pair, a fifo, a device, long names, a name that is not UTF-8; the
// PROBE script below), against what each runtime says of the same container:
//   containerd (exportSuite, on the main bed, once): the archive, unpacked by GNU tar, equals the container's
//     snapshot mounted as `ctr snapshots mounts` says (walked: names as bytes, kinds, modes, owners, sizes,
//     contents, link targets, device numbers, hard-link groups, mtimes); the same bytes with containerd stopped;
//   docker and podman (exportDockerTests, exportPodmanTests: called from docker.suite.ts and podman.suite.ts,
//     on the beds those suites start, so no extra daemon or store is made): crifs export equals docker/podman
//     export of the same container as a set of (path, type, mode, uid, gid, size, mtime, sha256 or link
//     target), both archives read with tar-stream; crifs diff equals docker diff as a set (docker has no order)
//     and podman diff line by line, read with the daemon stopped.
// Every runtime's layer dirs are also checked for what the merged view must read: whiteouts as 0:0 char
// devices, opaque dirs by trusted.overlay.opaque, and no `.wh.` file on disk (only layer tars use those).

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { extract } from "tar-stream";
import type { Bed } from "../bed/bed.js";
import type { DockerBed, DockerVersion } from "../bed/docker-bed.js";
import type { PodmanBed } from "../bed/podman.js";
import { CRIFS, contractErrors, crifs, isOneLineError, json } from "./cli.js";

/** What the probe container does to its root (busybox sh; every runtime runs it the same way). */
export const PROBE = [
  "set -e",
  "B=/bin/busybox",
  "echo added > /data/added.txt",
  "echo 'u:x:1:2::/:/bin/sh' >> /etc/passwd", // content changed (and a user for chown)
  "chmod 600 /data/layer2.txt", // metadata only
  "rm /data/abs-link",
  "rm -rf /usr", // a dir deleted
  "rm -rf /data/keepdir; echo f > /data/keepdir", // a dir replaced by a file
  "rm -rf /data/replaced; mkdir /data/replaced; echo n > /data/replaced/n.txt", // deleted, made again: opaque
  "mkdir -p /data/newdir/sub; echo x > /data/newdir/sub/x",
  "echo h > /data/new-hl1; ln /data/new-hl1 /data/new-hl2",
  "$B mkfifo /data/fifo",
  "$B mknod /data/nulldev c 1 3",
  "$B chown 1:2 /data/added.txt",
  "L=$($B printf 'l%.0s' $($B seq 1 120))",
  "mkdir -p /data/$L/$L; echo long > /data/$L/$L/$L; ln -s /data/$L/$L/$L /data/longlink",
  `touch "/data/$($B printf '\\377')bad"`,
].join("\n");

/** One archive entry as the comparisons see it; names the library could not decode carry U+FFFD. The mode is
 * ustar's permission bits: Go's archive/tar (docker, podman) also sets the type bits there, tar-stream and GNU
 * tar keep the type in the typeflag alone. */
function entryLine(
  h: {
    name: string;
    type: string | null;
    mode: number | null;
    uid: number | null;
    gid: number | null;
    size: number | null;
    mtime: Date | null;
    linkname: string | null;
    devmajor: number | null;
    devminor: number | null;
  },
  sha: string | null,
): string {
  const dev =
    h.type === "character-device" || h.type === "block-device" ? ` ${h.devmajor},${h.devminor}` : "";
  const what = h.type === "file" ? sha : h.type === "link" || h.type === "symlink" ? `-> ${h.linkname}` : "";
  return `${h.type} ${h.name} ${((h.mode ?? 0) & 0o7777).toString(8)} ${h.uid}:${h.gid} ${h.size} ${Math.floor((h.mtime?.getTime() ?? 0) / 1000)}${dev} ${what}`;
}

/** Every entry of a tar file, read with tar-stream, as sorted lines. */
export async function tarLines(file: string): Promise<string[]> {
  const out: string[] = [];
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (header, stream, next) => {
      const hash = createHash("sha256");
      stream.on("data", (d) => {
        hash.update(d as Buffer);
      });
      stream.on("end", () => {
        out.push(entryLine(header, hash.digest("hex")));
        next();
      });
      stream.resume();
    });
    ex.on("finish", () => resolve());
    ex.on("error", reject);
  });
  createReadStream(file).pipe(ex as unknown as NodeJS.WritableStream);
  await done;
  return out.sort();
}

/** A tree on the host walked with lstat, names as bytes (latin1 keys): what a mount or an unpacked archive holds. */
export function walkTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const groups = new Map<string, string>();
  const visit = (rel: Buffer) => {
    const host = Buffer.concat([
      Buffer.from(root),
      rel.length === 0 ? Buffer.alloc(0) : Buffer.from("/"),
      rel,
    ]);
    const st = lstatSync(host);
    const key = rel.toString("latin1");
    let what = "";
    if (st.isFile()) {
      what = createHash("sha256").update(readFileSync(host)).digest("hex");
      if (st.nlink > 1) {
        const ino = `${st.dev}:${st.ino}`;
        if (!groups.has(ino)) groups.set(ino, key);
        what += ` group ${groups.get(ino)}`;
      }
    } else if (st.isSymbolicLink())
      what = `-> ${readlinkSync(host, { encoding: "buffer" }).toString("latin1")}`;
    else if (st.isCharacterDevice() || st.isBlockDevice()) what = `dev ${st.rdev}`;
    const size = st.isFile() ? st.size : 0;
    out.set(
      key,
      `${(st.mode >>> 0).toString(8)} ${st.uid}:${st.gid} ${size} ${Math.floor(st.mtimeMs / 1000)} ${what}`,
    );
    if (st.isDirectory())
      for (const n of readdirSync(host, { encoding: "buffer" }).sort(Buffer.compare))
        visit(rel.length === 0 ? n : Buffer.concat([rel, Buffer.from("/"), n]));
  };
  visit(Buffer.alloc(0));
  out.delete(""); // the root: not in an archive
  return out;
}

/** The changes in `crifs diff -o json` as lines, a name's bytes that are not UTF-8 shown as U+FFFD (what the
 * runtimes' own output, decoded as UTF-8, shows). */
function diffLines(flags: readonly string[], ref: string): string[] {
  const r = crifs([...flags, "diff", ref, "-o", "json"]);
  const changes = json<{ kind: string; path: string }[]>(r);
  assert.equal(contractErrors("diff", changes), null);
  return changes.map((c) => `${c.kind} ${c.path.replace(/[\udc80-\udcff]/g, "\ufffd")}`);
}

/** `crifs export` of `ref` into a new temp file; returns its path. */
function crifsExport(flags: readonly string[], ref: string, dir: string, name: string): string {
  const file = join(dir, name);
  const r = crifs([...flags, "export", ref, "-o", file]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
  return file;
}

/** The upper dir crifs mounts rebuilds for `ref`. */
function upperOf(flags: readonly string[], ref: string): string {
  const m = json<{ options: string[] }>(crifs([...flags, "mounts", ref, "-o", "json"]));
  const u = m.options.find((o) => o.startsWith("upperdir="));
  assert.ok(u, `no upperdir in the mount of ${ref}`);
  return u.slice("upperdir=".length);
}

/** What the runtime wrote to disk for the probe: a 0:0 whiteout for /usr, an opaque /data/replaced, and no
 * `.wh.` name in any layer dir beside the upper dir (`<home>/<id>/fs|diff`: every snapshot of the home). */
function assertOnDiskMarkers(upper: string): void {
  const home = dirname(dirname(upper));
  const usr = lstatSync(join(upper, "usr"));
  assert.ok(usr.isCharacterDevice() && usr.rdev === 0, "rm -rf /usr left a 0:0 char device");
  const opq = execFileSync(
    "getfattr",
    ["-h", "--absolute-names", "--only-values", "-n", "trusted.overlay.opaque", join(upper, "data/replaced")],
    { encoding: "utf8" },
  );
  assert.equal(opq, "y");
  const wh = execFileSync("find", [home, "-name", ".wh.*"], { encoding: "utf8" });
  assert.equal(wh, "", "no runtime keeps aufs .wh. files in its layer dirs");
}

/** The containerd half, on the main bed (once: it reads snapshot dirs, the same on every containerd line). */
export function exportSuite(getBed: () => Bed): void {
  describe("export and diff of a containerd container, against its snapshot mounted", () => {
    const id = () => `crifs-xd-${getBed().facts.tag}`;
    const flags = () => ["--runtime", "containerd", "--root", getBed().root, "--state", getBed().state];
    let tmp: string | undefined;
    const dir = () => {
      tmp ??= mkdtempSync("/var/tmp/crifs-xd-");
      return tmp;
    };
    let wasRunning = true; // a suite before may have left containerd stopped: it is left as it was found
    after(async () => {
      const bed = getBed();
      await bed.startContainerd();
      for (const args of [
        ["tasks", "rm", "-f", id()],
        ["containers", "rm", id()],
      ]) {
        try {
          bed.ctr(args, "default");
        } catch {
          // absent: the test failed before making it
        }
      }
      if (!wasRunning) await bed.stopContainerd();
      if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
    });

    test("export equals the snapshot mounted (unpacked by GNU tar: names as bytes, hard links, devices, fifos), an image's export its layers mounted, and the archive is the same with containerd stopped", async () => {
      const bed = getBed();
      wasRunning = bed.isContainerdRunning();
      await bed.startContainerd();
      bed.ctr(["run", "-d", bed.facts.images.latest, id(), "/bin/sh", "-c", PROBE], "default");
      for (
        let i = 0;
        i < 100 &&
        !/STOPPED/.test(
          bed
            .ctr(["tasks", "ls"], "default")
            .split("\n")
            .find((l) => l.startsWith(id())) ?? "",
        );
        i++
      )
        await new Promise((r) => setTimeout(r, 100));
      const mnt = join(dir(), "mnt");
      mkdirSync(mnt);
      // the mount containerd would make, read-only: nothing in the upper dir changes
      const cmd = bed.ctr(["snapshots", "mounts", mnt, id()], "default").trim();
      const m = /^mount -t (\S+) (\S+) (\S+) -o (\S+)$/.exec(cmd);
      assert.ok(m, `unexpected ctr snapshots mounts output: ${cmd}`);
      execFileSync("mount", ["-t", m[1] as string, m[2] as string, mnt, "-o", `ro,${m[4]}`]);
      let kernel: Map<string, string>;
      try {
        kernel = walkTree(mnt);
      } finally {
        execFileSync("umount", [mnt]);
      }
      const file = crifsExport(flags(), id(), dir(), "live.tar");
      const out = join(dir(), "x");
      mkdirSync(out);
      execFileSync("tar", ["--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpf", file, "-C", out]);
      const unpacked = walkTree(out);
      assert.deepEqual([...unpacked.keys()].sort(), [...kernel.keys()].sort());
      for (const [k, v] of kernel) assert.equal(unpacked.get(k), v, k);
      // clone --merged (issue 18) makes the same tree as a directory, checked by its own --verify too
      const cloned = join(dir(), "clone");
      const c = crifs([...flags(), "clone", "--merged", id(), cloned, "--verify", "-o", "json"]);
      assert.equal(c.status, 0, c.stderr + c.stdout);
      assert.equal(JSON.parse(c.stdout).verify.isEqual, true);
      const clonedTree = walkTree(cloned);
      assert.deepEqual([...clonedTree.keys()].sort(), [...kernel.keys()].sort());
      for (const [k, v] of kernel) assert.equal(clonedTree.get(k), v, `clone --merged: ${k}`);
      assert.ok(kernel.has(`data/${Buffer.from([0xff]).toString("latin1")}bad`));
      // the image alone: its layers (the container's lowerdirs) mounted without an upper dir
      const lower = (m[4] as string).split(",").find((o) => o.startsWith("lowerdir="));
      assert.ok(lower, cmd);
      execFileSync("mount", ["-t", "overlay", "overlay", mnt, "-o", `ro,${lower}`]);
      let image: Map<string, string>;
      try {
        image = walkTree(mnt);
      } finally {
        execFileSync("umount", [mnt]);
      }
      const imageOut = join(dir(), "image");
      mkdirSync(imageOut);
      const imageTar = crifsExport(
        [...flags(), "-n", "default"],
        bed.facts.images.latest,
        dir(),
        "image.tar",
      );
      execFileSync("tar", [
        "--numeric-owner",
        "--xattrs",
        "--xattrs-include=*",
        "-xpf",
        imageTar,
        "-C",
        imageOut,
      ]);
      assert.deepEqual(
        [...walkTree(imageOut)].sort(),
        [...image].sort(),
        "the image's export is its layers merged",
      );
      assertOnDiskMarkers(upperOf(flags(), id()));
      await bed.stopContainerd();
      try {
        const offline = crifsExport(flags(), id(), dir(), "offline.tar");
        assert.ok(
          readFileSync(offline).equals(readFileSync(file)),
          "the same archive with containerd stopped",
        );
      } finally {
        await bed.startContainerd();
      }
    });

    test("diff names the probe's changes in docker's rules (containerd has no diff of its own)", () => {
      const lines = diffLines(flags(), id());
      for (const want of [
        "A /data/added.txt",
        "D /data/abs-link",
        "C /data/keepdir",
        "C /data/layer2.txt",
        "C /data/replaced",
        "D /data/replaced/c.txt",
        "A /data/replaced/n.txt",
        "A /data/new-hl2",
        "A /data/\ufffdbad",
        "C /etc/passwd",
        "D /usr",
      ])
        assert.ok(lines.includes(want), `${want} in:\n${lines.join("\n")}`);
      const table = crifs([...flags(), "diff", id()]);
      assert.equal(table.status, 0, table.stderr);
      assert.match(table.stdout, /^A \/data\/\\xffbad$/m, "the name's byte escaped for the terminal");
    });

    test("export refuses a terminal and an unknown ref in one line, and ends quietly with 141 when its reader goes away", () => {
      const none = crifs([...flags(), "export", "no-such-container-or-image", "-o", join(dir(), "none.tar")]);
      assert.equal(none.status, 66);
      assert.ok(isOneLineError(none), none.stderr);
      // script(1) gives crifs a terminal for stdout
      const cmd = [process.execPath, CRIFS, ...flags(), "export", id()].join(" ");
      const tty = spawnSync("script", ["-qec", cmd, "/dev/null"], { encoding: "latin1" });
      assert.equal(tty.status, 64);
      assert.match(tty.stdout, /^crifs: cannot write a tar archive to a terminal \(hint: /);
      assert.ok(tty.stdout.length < 400, "nothing but the one line");
      // a reader that goes away ends crifs at once, quietly, as SIGPIPE ends a program
      const head = spawnSync(
        "bash",
        ["-c", `${cmd} 2>&1 | head -c 512 > /dev/null; echo "\${PIPESTATUS[0]}"`],
        {
          encoding: "utf8",
        },
      );
      assert.equal(head.stdout, "141\n", head.stderr);
      // `-o -` is stdout: refused on a terminal too, and to stdout the same entries as -o FILE, no file "-"
      const dash = spawnSync("script", ["-qec", `${cmd} -o -`, "/dev/null"], { encoding: "latin1" });
      assert.equal(dash.status, 64, dash.stdout);
      const toStdout = spawnSync("bash", ["-c", `${cmd} -o - > dash-stdout.tar`], {
        cwd: dir(),
        encoding: "utf8",
      });
      assert.equal(toStdout.status, 0, toStdout.stderr);
      const listed = (file: string) =>
        execFileSync("tar", ["-tf", join(dir(), file)], { encoding: "latin1" });
      crifsExport(flags(), id(), dir(), "dash-file.tar");
      assert.equal(listed("dash-stdout.tar"), listed("dash-file.tar"));
      assert.ok(listed("dash-stdout.tar").split("\n").length > 10, "a real archive");
      assert.equal(existsSync(join(dir(), "-")), false, "no file named -");
    });
  });
}

/** The docker half: call inside docker.suite.ts's describe, where dockerd is stopped between tests. */
export function exportDockerTests(
  getDocker: () => DockerBed,
  version: DockerVersion,
  flags: () => string[],
): void {
  test(`export equals docker ${version} export of a changed container as entries, and diff equals docker diff as a set, read with dockerd stopped`, async () => {
    const d = getDocker();
    const name = `xd-${d.facts.tag}-${version}`;
    const theirs = join(d.work, "docker", "xd-export.tar"); // inside the dir the chrooted client sees too
    await d.startDockerd();
    let diff: string[];
    try {
      d.docker(["run", "--name", name, "--network", "none", d.facts.images.latest, "/bin/sh", "-c", PROBE]);
      d.docker(["export", "-o", theirs, name]);
      diff = d.docker(["diff", name]).trim().split("\n");
    } finally {
      await d.stopDockerd();
    }
    const dir = mkdtempSync("/var/tmp/crifs-xd-");
    try {
      const ours = crifsExport(flags(), name, dir, "crifs.tar");
      assert.deepEqual(await tarLines(ours), await tarLines(theirs));
      assert.deepEqual(diffLines(flags(), name).sort(), diff.sort());
      assertOnDiskMarkers(upperOf(flags(), name));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(theirs, { force: true });
    }
  });
}

/** The podman half: call inside podman.suite.ts's describe. */
export function exportPodmanTests(getPodman: () => PodmanBed, flags: () => string[]): void {
  test("export equals podman export of a changed container as entries, and diff equals podman diff line by line", async () => {
    const pb = getPodman();
    const name = `xd-${pb.facts.tag}`;
    const theirs = join(pb.work, "tmp", "xd-export.tar"); // podman's --tmpdir: the chrooted podman 5 sees it
    pb.pm([
      "run",
      "--name",
      name,
      "--network",
      "none",
      "--cap-add",
      "MKNOD",
      "--ulimit",
      "nofile=1024:1024",
      "--ulimit",
      "nproc=1024:1024",
      "localhost/bb:latest",
      "/bin/sh",
      "-c",
      PROBE,
    ]);
    pb.pm(["export", "-o", theirs, name]);
    const diff = pb.pm(["diff", name]).trim().split("\n");
    const dir = mkdtempSync("/var/tmp/crifs-xd-");
    try {
      const ours = crifsExport(flags(), name, dir, "crifs.tar");
      assert.deepEqual(await tarLines(ours), await tarLines(theirs));
      assert.deepEqual(diffLines(flags(), name), diff);
      assertOnDiskMarkers(upperOf(flags(), name));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(theirs, { force: true });
    }
  });
}
