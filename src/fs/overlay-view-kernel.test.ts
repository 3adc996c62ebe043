// overlay-view-kernel.test.ts — the merged view of a layer stack against a real overlay mount of the same
// layers: paths, kinds, contents, link targets, and every resolution as the kernel does it inside
// `chroot <mount>`. Needs root (mknod, trusted.* xattrs, mount, chroot); CRIFS_SKIP_ROOT=1 skips instead of
// failing.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { type OverlayEntry, OverlayView } from "./overlay-view.js";
import { entryKind, maxSymlinkHops } from "./resolve-in-root.js";
import { layers, removeLayers } from "./testing-overlay-view.js";
import { rootOnly } from "./testing-tree.js";
import { isWhiteout } from "./xattr.js";

const skip = rootOnly();

after(removeLayers);

// ---------------------------------------------------------------------------------------------------
// The view against the kernel.

/** Three layers, top first, with every rule of overlay-view.test.ts and symlinks that exercise in-root
 * resolution. */
function kernelSpecs(): { upper: string[]; lowers: string[][] } {
  const chain: string[][] = [[], []];
  // c1 … c41: 41 links spread over A and B; /c2 takes 40 hops (fine), /c1 takes 41 (ELOOP).
  for (let i = 1; i <= 41; i++) {
    chain[i <= 20 ? 0 : 1]?.push(
      `l c${i} ${i === 41 ? "/etc/hostname" : i % 2 === 0 ? `/c${i + 1}` : `c${i + 1}`}`,
    );
  }
  const upper = [
    "x / trusted.overlay.opaque y", // ignored on a root
    "f etc/hostname upper",
    "w etc/os-release",
    "w wh-dir",
    "w wlink",
    "f d/upper U",
    "f wd/u U",
    "f stack/u U",
    "f topq/u1 U",
    "x topq trusted.overlay.opaque y",
    "f uopq/u1 U",
    "x uopq user.overlay.opaque y",
    "d pu",
    "x pu trusted.overlay.opaque y",
    "w pu/ghost",
    "f pu/real U",
    "l sbin /usr/bin",
    "l up1 ../../../d/sub/deep",
    "l dslash d/",
    "l tofile-slash etc/hostname/",
    "l to-wh-dir wh-dir/inner",
  ];
  const a = [
    "x / trusted.overlay.opaque y",
    "w d/gone",
    "w wd",
    "f d/newA A",
    "f opq/a1 A",
    "x opq trusted.overlay.opaque y",
    "f replaced A",
    "f stack A",
    "f filebecomesdir/inner A",
    "f etc/passwd root:x:0:0:A",
    "f xdir/a A",
    "x xdir trusted.overlay.opaque x",
    "f userop/a A",
    "x userop user.overlay.opaque y",
    "f trustop/a A",
    "x trustop trusted.overlay.opaque y",
    "w pureA/ghost",
    "f pureA/real A",
    "l loopA loopB",
    `l host-only ${process.execPath}`,
    "l escape ../../../etc/hostname",
    "l togone d/gone",
    "l toopqhidden /opq/sub/b2",
    "l throughreplaced replaced/x",
    "l rel-in-dir/x ../etc/./passwd",
    "l dotdot-abs /../..//usr/../etc/passwd",
    ...(chain[0] ?? []),
  ];
  const b = [
    "cp bin/busybox /bin/busybox",
    "f etc/passwd root:x:0:0:B",
    "f etc/hostname base",
    "f etc/os-release B",
    "l etc/alternatives/editor /usr/bin/tool",
    "f d/keep B",
    "f d/gone B",
    "f d/sub/deep B",
    "l d/sub/abs-up /usr/../etc/passwd",
    "f wd/b B",
    "f opq/b1 B",
    "f opq/sub/b2 B",
    "f uopq/b1 B",
    "f topq/b1 B",
    "f replaced/x B",
    "f stack/s B",
    "f stack/sub/deep B",
    "f filebecomesdir B",
    "f wh-dir/inner B",
    "f xdir/b B",
    "f userop/b B",
    "f trustop/b B",
    "w pureB/ghost",
    "f pureB/real B",
    "f usr/lib/libB.so B",
    "f usr/bin/tool #!B",
    "l lib usr/lib",
    "l wlink etc",
    "c dev/null",
    "p run/fifo",
    "l loopB /loopA",
    "f empty",
    ...(chain[1] ?? []),
  ];
  return { upper, lowers: [a, b] };
}

interface MountTree {
  entries: Map<string, Stats>;
  listings: Map<string, string[]>;
  ghosts: string[];
}

/** Walks a mounted tree with readdir + lstat; names readdir lists but lstat cannot find are ghosts. */
function walkMount(mnt: string): MountTree {
  const tree: MountTree = { entries: new Map(), listings: new Map(), ghosts: [] };
  const visit = (path: string, stats: Stats) => {
    tree.entries.set(path, stats);
    if (!stats.isDirectory()) return;
    const listing: string[] = [];
    for (const name of readdirSync(mnt + (path === "/" ? "" : path)).sort()) {
      const child = path === "/" ? `/${name}` : `${path}/${name}`;
      let st: Stats;
      try {
        st = lstatSync(mnt + child);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        tree.ghosts.push(child);
        continue;
      }
      listing.push(name);
      visit(child, st);
    }
    tree.listings.set(path, listing);
  };
  visit("/", lstatSync(mnt));
  return tree;
}

const busyboxScript = `
while IFS= read -r p; do
  l=$(/bin/busybox stat -L -c %F "$p" 2>&1)
  s=$(/bin/busybox stat -c %F "$p" 2>&1)
  r=$(/bin/busybox realpath "$p" 2>&1)
  printf '%s\\t%s\\t%s\\t%s\\n' "$p" "$l" "$s" "$r"
done`;

function kindOfBusybox(out: string): string {
  if (out === "regular file" || out === "regular empty file") return "file";
  if (out === "directory") return "dir";
  if (out === "symbolic link") return "symlink";
  if (out === "character special file" || out === "fifo") return "other";
  if (/No such file or directory$/.test(out)) return "ENOENT";
  if (/Not a directory$/.test(out)) return "ENOTDIR";
  if (/Too many levels of symbolic links$/.test(out)) return "ELOOP";
  return `? ${out}`;
}

/**
 * Asks the kernel inside `chroot <mnt>` (stat -L, stat, realpath from a static busybox in the image),
 * and returns per probe and per followLast what our resolver is expected to say.
 */
function kernelResolutions(mnt: string, probes: string[]): Map<string, string> {
  const out = execFileSync("chroot", [mnt, "/bin/busybox", "sh", "-c", busyboxScript], {
    input: `${probes.join("\n")}\n`,
    maxBuffer: 64 << 20,
  }).toString();
  const raw = new Map<string, { follow: string; nofollow: string; real: string }>();
  for (const line of out.split("\n")) {
    if (line === "") continue;
    const [p = "", l = "", s = "", r = ""] = line.split("\t");
    raw.set(p, { follow: kindOfBusybox(l), nofollow: kindOfBusybox(s), real: r });
  }
  const said = new Map<string, string>();
  for (const p of probes) {
    const k = raw.get(p);
    assert.ok(k, `no kernel answer for ${p}`);
    said.set(`${p} follow`, k.follow.startsWith("E") ? k.follow : `ok ${k.real} ${k.follow}`);
    if (k.nofollow.startsWith("E")) {
      said.set(`${p} nofollow`, k.nofollow);
      continue;
    }
    // lstat: only the parent is canonical, unless the last component is ".", ".." or has a trailing "/".
    const trimmed = p.replace(/\/+$/, "");
    const last = trimmed.slice(trimmed.lastIndexOf("/") + 1);
    let canonical: string;
    if (p.endsWith("/") || last === "." || last === ".." || trimmed === "") canonical = k.real;
    else {
      const parent = raw.get(trimmed.slice(0, trimmed.lastIndexOf("/")) || "/")?.real ?? "?";
      canonical = parent === "/" ? `/${last}` : `${parent}/${last}`;
    }
    said.set(`${p} nofollow`, `ok ${canonical} ${k.nofollow}`);
  }
  return said;
}

function sameAttrs(path: string, ours: OverlayEntry, theirs: Stats): void {
  const show = (s: Stats) =>
    `${entryKind(s)} mode=${s.mode.toString(8)} uid=${s.uid} gid=${s.gid} rdev=${s.rdev}` +
    (s.isDirectory() ? "" : ` size=${s.size}`);
  assert.equal(show(ours.stats), show(theirs), path);
  assert.equal(ours.kind, entryKind(theirs), path);
}

/** Compares everything; returns a one-line summary of what was compared. */
function compareWithMount(view: OverlayView, mnt: string): string {
  const mount = walkMount(mnt);
  const ours = new Map<string, OverlayEntry>();
  view.walk((e) => {
    ours.set(e.path, e);
  });
  // 1. The same set of paths, each with the same kind and attributes.
  assert.deepEqual([...ours.keys()].sort(), [...mount.entries.keys()].sort());
  for (const [path, theirs] of mount.entries) {
    const entry = ours.get(path) as OverlayEntry;
    sameAttrs(path, entry, theirs);
    assert.deepEqual(view.lookup(path)?.hostPath, entry.hostPath, path);
    if (entry.kind === "file") assert.deepEqual(view.readFile(path), readFileSync(mnt + path), path);
    if (entry.kind === "symlink") assert.equal(view.readlink(path), readlinkSync(mnt + path), path);
    if (entry.kind === "dir") {
      assert.deepEqual(
        view.readdir(path).map((d) => d.name),
        mount.listings.get(path),
        path,
      );
    }
  }
  // 1b. The streaming walk (fs ls, fs find) gives the same entries: in walk's order when each dir fits one
  // sorted run, and each entry exactly once, with the same layers, when dirs come in runs of 2, chunks of 1.
  const line = (e: OverlayEntry) => `${e.path}@${e.layerIndex}:${e.mergedLayers.join(",")}`;
  const walked = [...ours.values()].map(line);
  assert.deepEqual([...view.walkFrom(view.root)].map(line), walked);
  assert.deepEqual([...view.walkFrom(view.root, { run: 2, chunk: 1 })].map(line).sort(), [...walked].sort());
  // 2. The kernel lists whiteouts of unmerged dirs (one layer only) as names lstat cannot find; the view
  // leaves them out. Those ghosts are exactly the whiteouts planted in such dirs.
  assert.deepEqual(mount.ghosts.sort(), ["/pu/ghost", "/pureA/ghost", "/pureB/ghost"]);
  for (const ghost of mount.ghosts) {
    assert.equal(view.lookup(ghost), null);
    const parent = view.lookup(dirname(ghost));
    assert.equal(parent?.mergedLayers.length, 1, ghost);
    const layerDir = view.layers[parent?.layerIndex ?? -1] ?? "";
    assert.ok(isWhiteout(lstatSync(join(layerDir, ghost))), ghost);
  }
  // 3. Resolution: every path, plus variants and the planted traps, as the kernel resolves them inside
  // `chroot <mount>` (where absolute links and ".." stay in the root, as in the container).
  const probes = new Set<string>();
  for (const [path, entry] of ours) {
    probes.add(path);
    if (entry.kind === "symlink" || entry.kind === "dir") {
      for (const tail of ["/", "/.", "/..", "/x", "/passwd", "/inner", "/deep", "/../etc/hostname"]) {
        probes.add(path === "/" ? tail : path + tail);
      }
    }
  }
  for (const p of [
    "/../../etc/passwd",
    "/etc/../../../../etc/passwd",
    "/c1",
    "/c2",
    "/c2/",
    "/sbin/tool",
    "/lib/libB.so",
    "/wlink/passwd",
    "/pureA/ghost/x",
    "/etc/alternatives/editor",
    "/dslash/keep",
    "/rel-in-dir/x",
    "/.",
    "/etc//passwd",
  ]) {
    probes.add(p);
  }
  for (const p of probes) {
    // Set iteration visits what the loop adds, so every ancestor gets in.
    const trimmed = p.replace(/\/+$/, "");
    if (trimmed.includes("/")) probes.add(trimmed.slice(0, trimmed.lastIndexOf("/")) || "/");
  }
  const kernel = kernelResolutions(mnt, [...probes]);
  let compared = 0;
  for (const [key, expected] of kernel) {
    const [p = "", mode] = key.split(" ");
    const r = view.resolve(p, { followLast: mode === "follow" });
    assert.equal(r.ok ? `ok ${r.path} ${r.entry.kind}` : r.error, expected, key);
    compared++;
  }
  assert.ok(compared > 400, `only ${compared} resolutions compared`);
  // The traps resolved as planned, so the comparison above covered them.
  assert.equal(kernel.get("/c1 follow"), "ELOOP");
  assert.equal(kernel.get("/c2 follow"), "ok /etc/hostname file");
  assert.equal(view.resolve("/c2").hops.length, maxSymlinkHops);
  assert.equal(kernel.get("/host-only follow"), "ENOENT");
  assert.equal(kernel.get("/escape follow"), "ok /etc/hostname file");
  assert.equal(kernel.get("/d/sub/abs-up follow"), "ok /etc/passwd file");
  assert.deepEqual(mount.listings.get("/wd"), ["u"]);
  assert.equal(kernel.get("/throughreplaced follow"), "ENOTDIR");
  assert.equal(kernel.get("/loopA follow"), "ELOOP");
  return `${mount.entries.size} paths, ${mount.ghosts.length} ghosts, ${compared} resolutions compared`;
}

for (const mode of [
  { ns: "trusted", options: "" },
  { ns: "user", options: "userxattr," },
] as const) {
  test(`every path of a real overlay mount (${mode.ns}.overlay xattrs) agrees with the view: paths, kinds, contents, links, resolution`, {
    skip,
  }, (t) => {
    const { upper, lowers } = kernelSpecs();
    const [u = "", a = "", b = ""] = layers(upper, ...lowers);
    const root = dirname(u);
    const work = join(root, "work");
    const mnt = join(root, "merged");
    mkdirSync(work);
    mkdirSync(mnt);
    const view = new OverlayView([u, a, b], { opaqueXattrs: mode.ns });
    execFileSync("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `${mode.options}lowerdir=${a}:${b},upperdir=${u},workdir=${work}`,
      mnt,
    ]);
    try {
      t.diagnostic(compareWithMount(view, mnt));
    } catch (err) {
      // On failure, show the layer trees: the message alone rarely says which rule differed.
      for (const dir of [u, a, b])
        console.error(execFileSync("find", [dir, "-printf", "%y %p %l\n"]).toString());
      throw err;
    } finally {
      execFileSync("umount", [mnt]);
    }
  });
}
