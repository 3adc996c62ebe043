// overlay/export-tar.test.ts — the merged entries and the tar archive of a temp layer stack against a real
// overlay mount of the same layers: the entries equal a walk of the mount (kinds, modes, owners, sizes,
// contents, link targets, hard-link groups), and the archive, unpacked by GNU tar, equals the mount too (names
// as bytes, devices, fifos, xattrs). Needs root (mknod, trusted.* xattrs, mount); CRIFS_SKIP_ROOT=1 skips.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createWriteStream,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, test } from "node:test";
import { encodeName, fsPath } from "../fs/name-codec.js";
import { OverlayView } from "../fs/overlay-view.js";
import { layers, removeLayers, tempDir } from "../fs/testing-overlay-view.js";
import { rootOnly } from "../fs/testing-tree.js";
import { paxRecord, writeTar } from "./export-tar.js";
import { mergedEntries } from "./merged-entries.js";

const skip = rootOnly();
after(removeLayers);

const LONG = "n".repeat(120);
const BAD = Buffer.from([0x62, 0xff, 0x61, 0x64]).toString("latin1"); // "b\xffad" as a file name (bytes)

/** Top first: every merge rule, plus what an archive must keep (hard links, devices, fifos, long names). */
function stack(): string[] {
  const dirs = layers(
    [
      "f added.txt added",
      "w gone.txt",
      "w gonedir",
      "d opq",
      "x opq trusted.overlay.opaque y",
      "f opq/new.txt new",
      "f dir2file now a file",
      "d file2dir2file",
      "f file2dir2file/inner in upper",
      "p fifo",
      "c null",
      `f ${LONG}/${LONG}/${LONG} long`,
      `l longlink /${LONG}/${LONG}/${LONG}`,
      "x added.txt user.crifs value",
      "f .wh.not-special a plain file on disk",
    ],
    ["f file2dir2file was a dir here", "f hl1 hard", "f keep.txt keep"],
    [
      "f gone.txt base",
      "f gonedir/a base",
      "f opq/old.txt base",
      "f dir2file/inner base",
      "d file2dir2file",
      "f file2dir2file/base base",
      "l rel ../etc/passwd",
    ],
  );
  execFileSync("ln", [join(dirs[1] as string, "hl1"), join(dirs[1] as string, "hl2")]);
  writeFileSync(Buffer.concat([Buffer.from(`${dirs[0]}/`), Buffer.from(BAD, "latin1")]), "not UTF-8");
  return dirs;
}

interface Seen {
  kind: string;
  mode: number;
  uid: number;
  size: number;
  sha: string | null;
  target: string | null;
  rdev: number;
  group: string | null;
}

/** Every entry under `root` (names as bytes, latin1-keyed), with hard-link groups as the first path. */
function walk(root: string): Map<string, Seen> {
  const out = new Map<string, Seen>();
  const inodes = new Map<string, string>();
  const visit = (rel: Buffer) => {
    const host = Buffer.concat([
      Buffer.from(root),
      rel.length === 0 ? Buffer.alloc(0) : Buffer.from("/"),
      rel,
    ]);
    const st = lstatSync(host);
    const key = rel.toString("latin1");
    const kind = st.isDirectory()
      ? "dir"
      : st.isFile()
        ? "file"
        : st.isSymbolicLink()
          ? "symlink"
          : st.isFIFO()
            ? "fifo"
            : st.isCharacterDevice()
              ? "char"
              : "other";
    let group: string | null = null;
    if (kind === "file" && st.nlink > 1) {
      const ino = `${st.dev}:${st.ino}`;
      group = inodes.get(ino) ?? key;
      inodes.set(ino, group);
    }
    out.set(key, {
      kind,
      mode: st.mode & 0o7777,
      uid: st.uid,
      size: kind === "file" ? st.size : 0,
      sha: kind === "file" ? createHash("sha256").update(readFileSync(host)).digest("hex") : null,
      target: kind === "symlink" ? readlinkSync(host, { encoding: "buffer" }).toString("latin1") : null,
      rdev: st.rdev,
      group,
    });
    if (kind === "dir")
      for (const n of readdirSync(host, { encoding: "buffer" }).sort(Buffer.compare))
        visit(rel.length === 0 ? n : Buffer.concat([rel, Buffer.from("/"), n]));
  };
  visit(Buffer.alloc(0));
  out.delete("");
  return out;
}

/** Mounts `dirs` (top first) read-only as overlay lowers on a temp dir; returns it and an unmount. */
function mountLowers(dirs: readonly string[]): { mnt: string; umount: () => void } {
  const mnt = join(tempDir(), "mnt");
  mkdirSync(mnt);
  execFileSync("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${dirs.join(":")}`, mnt]);
  return { mnt, umount: () => execFileSync("umount", [mnt]) };
}

test("the merged entries equal a walk of the kernel's mount: whiteouts, opaque dir, dir replaced by a file and back, hard links", {
  skip,
}, () => {
  const dirs = stack();
  const { mnt, umount } = mountLowers(dirs);
  try {
    const kernel = walk(mnt);
    const ours = new Map<string, Seen>();
    for (const e of mergedEntries(new OverlayView(dirs))) {
      if (e.rel === "") continue;
      const st = e.stats;
      ours.set(encodeName(e.rel).toString("latin1"), {
        kind: { file: "file", dir: "dir", symlink: "symlink", fifo: "fifo", "char-device": "char" }[
          e.kind as string
        ] as string,
        mode: st.mode & 0o7777,
        uid: st.uid,
        size: e.kind === "file" ? st.size : 0,
        sha:
          e.kind === "file"
            ? createHash("sha256")
                .update(readFileSync(fsPath(e.hostPath)))
                .digest("hex")
            : null,
        target: e.linkTarget === null ? null : encodeName(e.linkTarget).toString("latin1"),
        rdev: st.rdev,
        group:
          e.kind === "file" && st.nlink > 1 ? encodeName(e.hardLinkTo ?? e.rel).toString("latin1") : null,
      });
    }
    assert.deepEqual([...ours.keys()].sort(), [...kernel.keys()].sort());
    for (const [k, v] of kernel) assert.deepEqual(ours.get(k), v, k);
    // the rules, spelled out
    assert.equal(kernel.has("gone.txt") || kernel.has("gonedir"), false);
    assert.deepEqual(
      [...kernel.keys()].filter((k) => k.startsWith("opq/")),
      ["opq/new.txt"],
    );
    assert.equal(kernel.get("dir2file")?.kind, "file");
    assert.equal(kernel.has("dir2file/inner"), false);
    assert.equal(kernel.get("file2dir2file")?.kind, "dir");
    assert.deepEqual(
      [...kernel.keys()].filter((k) => k.startsWith("file2dir2file/")),
      ["file2dir2file/inner"],
      "a dir over a file merges no further down",
    );
    assert.equal(
      kernel.get(".wh.not-special")?.kind,
      "file",
      "the kernel gives .wh. names on disk no meaning",
    );
    assert.equal(kernel.get("hl2")?.group, "hl1");
  } finally {
    umount();
  }
});

test("the archive unpacked by GNU tar equals the mount: names as bytes, long names, hard links, devices, fifos, xattrs", {
  skip,
}, async () => {
  const dirs = stack();
  const { mnt, umount } = mountLowers(dirs);
  try {
    const file = join(tempDir(), "root.tar");
    const summary = await writeTar(mergedEntries(new OverlayView(dirs)), createWriteStream(file));
    assert.equal(summary.sockets, 0);
    const out = join(tempDir(), "x");
    mkdirSync(out);
    execFileSync("tar", ["--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpf", file, "-C", out]);
    const kernel = walk(mnt);
    const unpacked = walk(out);
    assert.deepEqual([...unpacked.keys()].sort(), [...kernel.keys()].sort());
    for (const [k, v] of kernel) {
      const u = unpacked.get(k);
      // directory modes/owners are kept by tar -p; hard-link groups are named by their first path in both walks
      assert.deepEqual(u, v, k);
    }
    assert.ok(unpacked.has(`${BAD}`), "the name that is not UTF-8 came back as its bytes");
    const xattr = execFileSync("getfattr", ["--only-values", "-n", "user.crifs", join(out, "added.txt")], {
      encoding: "utf8",
    });
    assert.equal(xattr, "value");
    const listing = execFileSync("tar", ["-tvf", file], { encoding: "latin1" });
    assert.match(listing, /^h.* hl2 link to hl1$/m);
    assert.match(listing, /^c.* 1,3 .* null$/m);
    assert.doesNotMatch(listing, /trusted\.overlay/);
  } finally {
    umount();
  }
});

test("an output that fails mid-file ends writeTar with its error (no uncaught stream error, no hang)", {
  skip,
}, async () => {
  const dirs = layers(["f a small", `f big ${"x".repeat(4 << 20)}`, "f z after"]);
  let written = 0;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      written += chunk.length;
      cb(written > 1 << 20 ? Object.assign(new Error("no space left on device"), { code: "ENOSPC" }) : null);
    },
  });
  await assert.rejects(writeTar(mergedEntries(new OverlayView(dirs)), out), /no space left on device/);
});

test("a PAX record counts its own length, also across a power of ten", () => {
  for (const n of [1, 88, 89, 90, 91, 980, 993, 994, 995, 996]) {
    const r = paxRecord("path", Buffer.alloc(n, 0x61));
    assert.equal(Number(r.toString("latin1").split(" ")[0]), r.length, `value of ${n} bytes`);
  }
});
