// layer.test.ts — parseLayer on layer tars GNU tar writes at test time: the overlay conversion of whiteouts
// and opaque markers (and their absence in a base layer), implicit parents, hard links, a later entry
// replacing an earlier one, and contents hashed as sha256sum hashes them.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CrifsError } from "../../errors.js";
import { plantTree, tempDir } from "../../fs/testing-tree.js";
import { type LayerEntry, parseLayer } from "./layer.js";

const tmp = tempDir("crifs-layer-");
let seq = 0;

/** A fresh dir filled from lines (fs/testing-tree.ts: "d path", "f path contents", "l path target", …). */
function tree(lines: readonly string[]): string {
  const dir = join(tmp, `t${++seq}`);
  plantTree(dir, lines);
  return dir;
}

/** tar -cf of `names` (in this order, no recursion unless a name is "."), appended with `tar -rf` for `more`. */
function tarOf(
  dir: string,
  names: readonly string[],
  ...more: { dir: string; names: readonly string[] }[]
): Buffer {
  const file = join(tmp, `t${++seq}.tar`);
  const base = ["--format=pax", "--numeric-owner", "--owner=0", "--group=0"];
  execFileSync("tar", ["-C", dir, ...base, "--no-recursion", "-cf", file, ...names]);
  for (const m of more)
    execFileSync("tar", ["-C", m.dir, ...base, "--no-recursion", "-rf", file, ...m.names]);
  return readFileSync(file);
}

function brief(entries: ReadonlyMap<string, LayerEntry>): string[] {
  return [...entries.values()].map((e) => {
    const extra =
      e.kind === "symlink"
        ? ` -> ${e.target}`
        : e.kind === "file"
          ? ` ${e.size}${e.hardLinkTo === null ? "" : ` = ${e.hardLinkTo}`}`
          : e.kind === "dir"
            ? `${e.isOpaque ? " opaque" : ""}${e.isImplicit ? " implicit" : ""}`
            : "";
    return `${e.kind} ${e.path}${extra}`;
  });
}

test("a layer with a parent: .wh.<name> is a 0:0 whiteout, .wh..wh..opq marks its dir opaque, markers vanish", () => {
  const dir = tree([
    "d data/keep",
    "f data/keep/.wh..wh..opq",
    "f data/keep/new.txt after",
    "f data/.wh.gone",
    "f data/.wh.sub",
    "l data/abs /etc/passwd",
  ]);
  const entries = parseLayer(
    tarOf(dir, [
      "./data/",
      "data/keep",
      "data/keep/.wh..wh..opq",
      "data/keep/new.txt",
      "data/.wh.gone",
      "data/.wh.sub",
      "data/abs",
    ]),
    {
      isBase: false,
    },
  );
  assert.deepEqual(brief(entries).sort(), [
    "dir /data",
    "dir /data/keep opaque",
    "file /data/keep/new.txt 5",
    "symlink /data/abs -> /etc/passwd",
    "whiteout /data/gone",
    "whiteout /data/sub",
  ]);
  const wo = entries.get("/data/gone");
  assert.deepEqual([wo?.mode, wo?.device], [null, { major: 0, minor: 0 }]);
  assert.equal(entries.get("/data/abs")?.mode, null, "a symlink's mode is not applied");
});

test("a base layer: whiteouts remove what they name and leave nothing; the opaque marker changes nothing", () => {
  const dir = tree([
    "d a/b",
    "f a/b/c 1",
    "f a/.wh.b",
    "f x y",
    "d o",
    "f o/.wh..wh..opq",
    "f .wh.never-there",
  ]);
  const entries = parseLayer(
    tarOf(dir, ["a", "a/b", "a/b/c", "a/.wh.b", "x", "o", "o/.wh..wh..opq", ".wh.never-there"]),
    {
      isBase: true,
    },
  );
  assert.deepEqual(brief(entries).sort(), ["dir /a", "dir /o", "file /x 1"]);
});

test("parents without an entry are implicit dirs; modes and contents come from the entries", () => {
  const dir = tree(["d p/q", "f p/q/r.txt hello", "h p/q/r-link p/q/r.txt", "d top"]);
  chmodSync(join(dir, "p/q/r.txt"), 0o4711);
  chmodSync(join(dir, "top"), 0o1777);
  const entries = parseLayer(tarOf(dir, ["p/q/r.txt", "p/q/r-link", "top"]), { isBase: false });
  assert.deepEqual(brief(entries), [
    "dir /p implicit",
    "dir /p/q implicit",
    "file /p/q/r.txt 5",
    "file /p/q/r-link 5 = /p/q/r.txt",
    "dir /top",
  ]);
  const r = entries.get("/p/q/r.txt");
  assert.equal(r?.mode, 0o4711);
  assert.equal(entries.get("/top")?.mode, 0o1777);
  assert.equal(entries.get("/p")?.mode, null);
  const sum = execFileSync("sha256sum", [join(dir, "p/q/r.txt")], { encoding: "utf8" }).split(" ")[0];
  assert.equal(r?.sha256, sum);
  assert.equal(entries.get("/p/q/r-link")?.sha256, sum, "a hard link has its first name's contents");
});

test("a later entry replaces an earlier one: a file over a dir removes what was below it; dir over dir merges", () => {
  const first = tree(["d a/b", "f a/b/c one", "d m", "f m/keep k"]);
  const second = tree(["f a new", "d m"]);
  chmodSync(join(second, "m"), 0o700);
  const entries = parseLayer(
    tarOf(first, ["a", "a/b", "a/b/c", "m", "m/keep"], { dir: second, names: ["a", "m"] }),
    {
      isBase: false,
    },
  );
  assert.deepEqual(brief(entries).sort(), ["dir /m", "file /a 3", "file /m/keep 1"]);
  assert.equal(entries.get("/m")?.mode, 0o700);
});

test("names are cleaned and rooted; the root entry is skipped", () => {
  const dir = tree(["d x", "f x/y z"]);
  const entries = parseLayer(tarOf(dir, [".", "./x/", "./x/y"]), { isBase: false });
  assert.deepEqual([...entries.keys()], ["/x", "/x/y"]);
});

test("a hard link to a name no earlier entry has is a corrupt layer, said in one line", () => {
  const dir = tree(["f a 1", "h b a"]);
  const bytes = tarOf(dir, ["b", "a"]); // the first name tar meets holds the data: b, then a links to b
  assert.equal(parseLayer(bytes, { isBase: false }).get("/a")?.hardLinkTo, "/b");
  const file = join(tmp, `t${++seq}.tar`);
  writeFileSync(file, bytes);
  execFileSync("tar", ["--delete", "-f", file, "b"]); // leaves "a" as a link to a name that is gone
  assert.throws(
    () => parseLayer(readFileSync(file), { isBase: false }),
    (e: unknown) =>
      e instanceof CrifsError &&
      e.code === "corrupt" &&
      /^cannot read tar entry "a" at offset \d+: it is a hard link to "b", which no earlier entry of the layer is$/.test(
        e.message,
      ),
  );
});
