import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  lowerDirsOf,
  parseLower,
  parseShortLinkTarget,
  readOverlayHome,
  shortOfLowerEntry,
} from "./overlay-home.js";

const tmp = mkdtempSync(join(tmpdir(), "crifs-overlay-home-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A home with base ← mid ← ctr, an orphan dir without link, a dangling link and a link elsewhere. */
function makeHome(): string {
  const home = join(tmp, "overlay");
  const layer = (id: string, short: string, lower: string | null) => {
    mkdirSync(join(home, id, "diff"), { recursive: true });
    mkdirSync(join(home, id, "work"), { recursive: true });
    writeFileSync(join(home, id, "link"), short);
    if (lower !== null) writeFileSync(join(home, id, "lower"), lower);
  };
  mkdirSync(join(home, "l"), { recursive: true });
  layer("base", "AAAA", null);
  layer("mid", "BBBB", "l/AAAA");
  layer("ctr", "CCCC", "l/BBBB:l/AAAA");
  mkdirSync(join(home, "nolink", "diff"), { recursive: true });
  symlinkSync("../base/diff", join(home, "l", "AAAA"));
  symlinkSync("../mid/diff", join(home, "l", "BBBB"));
  symlinkSync("../ctr/diff", join(home, "l", "CCCC"));
  symlinkSync("../gone/diff", join(home, "l", "DDDD"));
  symlinkSync("/etc", join(home, "l", "EEEE"));
  return home;
}

test("the pure parsers take the driver's own spellings", () => {
  assert.equal(parseShortLinkTarget("../abc/diff"), "abc");
  assert.equal(parseShortLinkTarget("/etc"), null);
  assert.deepEqual(parseLower("l/A:l/B\n"), ["l/A", "l/B"]);
  assert.deepEqual(parseLower(""), []);
  assert.equal(shortOfLowerEntry("l/ABC"), "ABC");
  assert.equal(shortOfLowerEntry("../x/diff"), null);
});

test("readOverlayHome lists layer dirs with link and lower, and every short link with what it names", () => {
  const home = makeHome();
  const h = readOverlayHome(home);
  assert.deepEqual([...h.layers.keys()].sort(), ["base", "ctr", "mid", "nolink"]);
  assert.equal(h.layers.get("base")?.link, "AAAA");
  assert.equal(h.layers.get("base")?.lower, null);
  assert.deepEqual(h.layers.get("ctr")?.lower, ["l/BBBB", "l/AAAA"]);
  assert.equal(h.layers.get("nolink")?.link, null);
  assert.equal(h.layers.get("nolink")?.hasDiff, true);
  assert.equal(h.layers.get("nolink")?.hasWork, false);
  const links = Object.fromEntries([...h.shortLinks].map(([k, v]) => [k, `${v.targetId} ${v.resolves}`]));
  assert.deepEqual(links, {
    AAAA: "base true",
    BBBB: "mid true",
    CCCC: "ctr true",
    DDDD: "gone false",
    EEEE: "null true",
  });
  assert.deepEqual(lowerDirsOf(home, h.layers.get("ctr") ?? assert.fail()), [
    join(home, "l", "BBBB"),
    join(home, "l", "AAAA"),
  ]);
  assert.deepEqual(h.readErrors, []);
});

test("a home that does not exist reads as empty", () => {
  const h = readOverlayHome(join(tmp, "nope"));
  assert.equal(h.layers.size, 0);
  assert.equal(h.shortLinks.size, 0);
  assert.deepEqual(h.readErrors, []);
});
