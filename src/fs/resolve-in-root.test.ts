// resolve-in-root.test.ts — in-root resolution on plain temp trees, checked against the kernel where the
// host can answer the same question (relative links that stay inside the tree: stat, lstat, realpath).

import assert from "node:assert/strict";
import { lstatSync, readdirSync, realpathSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  entryKind,
  type HostEntry,
  maxSymlinkHops,
  plainDirTree,
  type ResolveResult,
  type RootTree,
  resolveInRoot,
} from "./resolve-in-root.js";
import { plantTree, tempDir } from "./testing-tree.js";

/** A temp tree from lines (testing-tree.ts: "d path", "f path [contents]", "l path target"); its real path. */
function build(lines: string[]): string {
  const root = tempDir("crifs-resolve-");
  plantTree(root, lines);
  return root;
}

function brief(r: ResolveResult<HostEntry>): string {
  return r.ok ? `ok ${r.path} ${r.entry.kind}` : `${r.error} at ${r.at}`;
}

/** What the host kernel says about `root/path` (only meaningful when nothing in it leaves the tree). */
function kernel(root: string, path: string, followLast: boolean): string {
  const host = `${root}/${path}`;
  let st: Stats;
  try {
    st = followLast ? statSync(host) : lstatSync(host);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? "?";
  }
  // libc realpath walks ".." after the symlink before it (Node's JS realpathSync would drop it lexically).
  // For lstat only the parent is canonicalized: the last name stays as given.
  const real = realpathSync.native;
  const trimmed = host.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  const canonical =
    followLast || host.endsWith("/") || /\/\.\.?$/.test(trimmed)
      ? real(host)
      : join(real(trimmed.slice(0, slash)), trimmed.slice(slash + 1));
  const inRoot = canonical === root ? "/" : canonical.slice(root.length);
  return `ok ${inRoot} ${entryKind(st)} ${st.ino}`;
}

function ours(root: string, path: string, followLast: boolean): string {
  const r = resolveInRoot(plainDirTree(root), path, { followLast });
  return r.ok ? `ok ${r.path} ${r.entry.kind} ${r.entry.stats.ino}` : r.error;
}

const base = [
  "d etc",
  "f etc/passwd root:x:0:0",
  "d usr/bin",
  "f usr/bin/tool #!",
  "l rel etc/passwd",
  "l abs /etc/passwd",
  "l usr/bin/up ../../etc/passwd",
  "l dirlink /usr/bin",
  "l escape ../../../../../etc/passwd",
  "l dotdot-abs /../../usr/bin/../../etc",
  "l usr/bin/abs-dotdot /usr/../etc/passwd",
];

test("relative and absolute symlinks resolve inside the root", () => {
  const root = build(base);
  const tree = plainDirTree(root);
  const r = resolveInRoot(tree, "/abs");
  assert.equal(brief(r), "ok /etc/passwd file");
  assert.equal(r.ok && r.entry.hostPath, join(root, "etc/passwd"));
  assert.deepEqual(r.hops, ["/abs"]);
  assert.equal(brief(resolveInRoot(tree, "rel")), "ok /etc/passwd file");
  assert.equal(brief(resolveInRoot(tree, "/usr/bin/up")), "ok /etc/passwd file");
  assert.equal(brief(resolveInRoot(tree, "/dirlink/tool")), "ok /usr/bin/tool file");
  assert.equal(brief(resolveInRoot(tree, "/dirlink/../bin/./tool")), "ok /usr/bin/tool file");
  assert.equal(brief(resolveInRoot(tree, "/dotdot-abs/passwd")), "ok /etc/passwd file");
  // An absolute target restarts the walk: its ".." climbs from the root's children, not from usr/bin.
  assert.equal(brief(resolveInRoot(tree, "/usr/bin/abs-dotdot")), "ok /etc/passwd file");
});

test("'..' at the root stays at the root, in paths and in symlink targets", () => {
  const root = build(base);
  const tree = plainDirTree(root);
  for (const p of [
    "/../../etc/passwd",
    "../etc/passwd",
    "/etc/../../../etc/passwd",
    "/escape",
    "/usr/../..",
  ]) {
    const r = resolveInRoot(tree, p);
    assert.ok(r.ok, p);
    assert.ok(r.entry.hostPath.startsWith(root), `${p} left the root: ${r.entry.hostPath}`);
  }
  assert.equal(brief(resolveInRoot(tree, "/escape")), "ok /etc/passwd file");
  assert.equal(brief(resolveInRoot(tree, "/usr/../..")), "ok / dir");
});

test("the empty path is ENOENT; '/', '.' and '//' are the root", () => {
  const tree = plainDirTree(build(base));
  assert.equal(brief(resolveInRoot(tree, "")), "ENOENT at ");
  for (const p of ["/", ".", "//", "/./"]) assert.equal(brief(resolveInRoot(tree, p)), "ok / dir", p);
});

test("a missing component is ENOENT naming that component", () => {
  const tree = plainDirTree(build(base));
  assert.equal(brief(resolveInRoot(tree, "/etc/nope/deeper")), "ENOENT at /etc/nope");
  assert.equal(brief(resolveInRoot(tree, "/dirlink/nope")), "ENOENT at /usr/bin/nope");
});

test("a file used as a directory is ENOTDIR, as the kernel says", () => {
  const root = build(base);
  const tree = plainDirTree(root);
  for (const p of ["etc/passwd/x", "etc/passwd/", "etc/passwd/.", "etc/passwd/..", "rel/", "rel/x"]) {
    assert.equal(brief(resolveInRoot(tree, p)), "ENOTDIR at /etc/passwd", p);
    assert.equal(kernel(root, p, true), "ENOTDIR", p);
  }
});

test("followLast false stops at the last symlink, and a trailing slash follows it anyway", () => {
  const tree = plainDirTree(build(base));
  assert.equal(brief(resolveInRoot(tree, "/dirlink", { followLast: false })), "ok /dirlink symlink");
  assert.equal(brief(resolveInRoot(tree, "/dirlink/", { followLast: false })), "ok /usr/bin dir");
  assert.equal(brief(resolveInRoot(tree, "/dirlink/.", { followLast: false })), "ok /usr/bin dir");
  assert.equal(brief(resolveInRoot(tree, "/dirlink/up", { followLast: false })), "ok /usr/bin/up symlink");
  assert.equal(brief(resolveInRoot(tree, "/dirlink/up")), "ok /etc/passwd file");
});

test("a symlink loop fails with ELOOP at the 41st hop", () => {
  const tree = plainDirTree(build(["l a b", "l b /a", "l self ./self"]));
  const r = resolveInRoot(tree, "a");
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error, "ELOOP");
  assert.equal(r.hops.length, maxSymlinkHops + 1);
  assert.equal(brief(resolveInRoot(tree, "/self/x")), "ELOOP at /self");
  // Not following the last component never counts a hop.
  assert.equal(brief(resolveInRoot(tree, "a", { followLast: false })), "ok /a symlink");
});

test("a chain of 40 links resolves and 41 fail with ELOOP, as the kernel says", () => {
  for (const n of [1, 39, 40, 41, 42]) {
    const lines = ["f t x"];
    for (let i = 1; i <= n; i++) lines.push(`l l${i} ${i === n ? "t" : `l${i + 1}`}`);
    const root = build(lines);
    const expected = n <= maxSymlinkHops ? `ok /t file ${lstatSync(join(root, "t")).ino}` : "ELOOP";
    assert.equal(ours(root, "l1", true), expected, `chain of ${n}`);
    assert.equal(kernel(root, "l1", true), expected, `kernel, chain of ${n}`);
  }
});

test("hops add up across the components of one path, as the kernel counts them", () => {
  // a1 → … → a{p} → dir d, and inside d: b1 → … → b{q} → file: the path a1/b1 takes p + q hops.
  for (const [p, q] of [
    [20, 20],
    [20, 21],
    [1, 39],
    [1, 40],
    [39, 1],
    [40, 1],
  ] as const) {
    const lines = ["d d", "f d/t x"];
    for (let i = 1; i <= p; i++) lines.push(`l a${i} ${i === p ? "d" : `a${i + 1}`}`);
    for (let i = 1; i <= q; i++) lines.push(`l d/b${i} ${i === q ? "t" : `b${i + 1}`}`);
    const root = build(lines);
    const expected = p + q <= maxSymlinkHops ? `ok /d/t file ${lstatSync(join(root, "d/t")).ino}` : "ELOOP";
    assert.equal(ours(root, "a1/b1", true), expected, `${p}+${q}`);
    assert.equal(kernel(root, "a1/b1", true), expected, `kernel ${p}+${q}`);
  }
});

test("an absolute symlink whose target exists on the host but not in the root is ENOENT", () => {
  const hostOnly = process.execPath; // exists on this host, certainly not in a fresh temp tree
  const root = build(["d etc", `l host-only ${hostOnly}`, "l etc/alt /usr/lib/x"]);
  // The trap: the host kernel follows the link out of the tree and finds the file.
  assert.equal(statSync(join(root, "host-only")).isFile(), true);
  const touched: string[] = [];
  const inner = plainDirTree(root);
  const spy: RootTree<HostEntry> = {
    root: inner.root,
    lookupChild: (dir, name) => {
      touched.push(join(dir.hostPath, name));
      return inner.lookupChild(dir, name);
    },
    readLinkTarget: (link) => inner.readLinkTarget(link),
  };
  const first = hostOnly.split("/")[1] ?? "";
  assert.equal(brief(resolveInRoot(spy, "/host-only")), `ENOENT at /${first}`);
  assert.equal(brief(resolveInRoot(spy, "/etc/alt")), "ENOENT at /usr");
  assert.ok(touched.length > 0);
  for (const t of touched) assert.ok(t.startsWith(`${root}/`), `looked outside the root: ${t}`);
});

test("every path of a tree of relative links resolves as the kernel does, with and without following", () => {
  // Links never climb above the tree, so the host kernel's answer is the in-root answer.
  const root = build([
    "d a/b/c",
    "f a/b/c/file data",
    "f a/top",
    "d e",
    "l a/b/up ..",
    "l a/b/c/back ../../top",
    "l a/tofile b/c/file",
    "l a/todir b/c",
    "l a/todir-slash b/c/",
    "l a/dangling b/nope",
    "l a/dangling-dir nope/",
    "l a/through-file top/x",
    "l e/loop1 loop2",
    "l e/loop2 loop1",
    "l e/chain ../a/todir/../up/todir",
    "l e/dot .",
  ]);
  const paths: string[] = [];
  const collect = (rel: string) => {
    for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = rel === "" ? d.name : `${rel}/${d.name}`;
      paths.push(p);
      if (d.isDirectory()) collect(p);
    }
  };
  collect("");
  const probes = paths.flatMap((p) => [
    p,
    `${p}/`,
    `${p}/.`,
    `${p}/..`,
    `${p}/file`,
    `${p}/c/file`,
    `./${p}//`,
  ]);
  probes.push("a/todir/../../a/top", "e/chain/c", "e/dot/dot/../a/top", "a/b/up/b/up/top");
  for (const p of probes) {
    for (const follow of [true, false]) {
      assert.equal(ours(root, p, follow), kernel(root, p, follow), `${p} (followLast ${follow})`);
    }
  }
});
