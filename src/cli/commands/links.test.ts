// links.test.ts — `crifs links`'s table written as the rows are found (issue 20 part 5), on the bundled sample
// root (a real containerd root, runtimes/containerd/testing-sample.ts): with at most FIRST_ROWS broken links
// the text is the table of every container judged at once, byte for byte; past them the same rows, in the
// widths of the first rows, under a line saying so, and their count after them. The same with --shared.

import assert from "node:assert/strict";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { forgetLayerLinks } from "../../links/link-report.js";
import type { Store } from "../../model/store.js";
import { loadContainerd, type UnpackedSample, unpackSample } from "../../runtimes/testing.js";
import { FIRST_ROWS, linksCommand, linksData, linksTable } from "./links.js";

/** The text the chunks write (the broken links' table comes as UTF-8 bytes). */
async function text(
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
): Promise<string> {
  const bytes: Buffer[] = [];
  for await (const c of chunks) bytes.push(typeof c === "string" ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(bytes).toString();
}

/** The table as every container judged at once renders it (what `crifs links` printed before streaming). */
async function atOnce(store: Store, shared = false): Promise<string> {
  forgetLayerLinks();
  return text(linksTable(await linksData([store], undefined, { brokenOnly: !shared })));
}

async function streamed(store: Store, shared = false): Promise<string> {
  forgetLayerLinks();
  return text(await linksCommand([store], { output: "table", debug: false }, undefined, { shared }));
}

describe("crifs links: the table written as rows are found", () => {
  let sample: UnpackedSample;
  const load = () => loadContainerd({ root: sample.root, state: sample.state, config: sample.config });
  // a container's writable layer (its snapshot's dir): sample-c1 sorts first, sample-k1 last
  const upper = (id: string) => {
    const s = load();
    const c = s.containers.find((x) => x.id === id);
    const snap = s.snapshots.find((x) => x.namespace === c?.namespace && x.key === c?.snapshotKey);
    assert.ok(snap !== undefined, `the snapshot of ${id}`);
    return snap.path;
  };
  before(() => {
    sample = unpackSample();
  });
  after(() => sample?.remove());

  test("at most FIRST_ROWS broken links: the same bytes as the table of every container at once", async () => {
    for (let i = 0; i < 20; i++) symlinkSync(`/gone/${i}`, join(upper("sample-c1"), `few-${i}`));
    const want = await atOnce(load());
    assert.match(want, /^# broken symlinks: \d+ in 3 container\(s\)\n/);
    assert.ok(want.includes("few-19"), want);
    assert.equal(await streamed(load()), want);
    // --shared: the broken links first, then the shared files of every layer; the same text
    const shared = await atOnce(load(), true);
    assert.match(shared, /\n# hard links across layers: \d+\n/);
    assert.equal(await streamed(load(), true), shared);
  });

  test("past FIRST_ROWS: the same rows, under a line saying they come as found, their count after them", async () => {
    // a long name late in the rows: wider than the first rows' column, it pushes its row right
    for (let i = 0; i < FIRST_ROWS + 50; i++)
      symlinkSync(`/gone/${i}`, join(upper("sample-k1"), `many-${String(i).padStart(4, "0")}`));
    symlinkSync("/gone/wide", join(upper("sample-k1"), `many-9999-${"w".repeat(80)}`));
    const want = (await atOnce(load())).split("\n");
    const got = (await streamed(load())).split("\n");
    assert.equal(got[0], "# broken symlinks, written as they are found (their count follows them):");
    const rows = (lines: string[]) =>
      lines.filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.split(/ +/).join(" "));
    const count = want[0] as string;
    const n = Number(/^# broken symlinks: (\d+) in 3 container/.exec(count)?.[1]);
    assert.ok(n >= FIRST_ROWS + 71, count); // the 271 planted here and the sample's own
    const at = got.indexOf(count);
    assert.equal(at, n + 2, "the count right after the header and the rows");
    // the same header and rows, cell for cell (the columns' widths may differ), then the same text
    assert.deepEqual(rows(got.slice(1, at)), rows(want.slice(1, want.length - (got.length - at - 1))));
    assert.deepEqual(got.slice(at + 1), want.slice(want.length - (got.length - at - 1)));
    // --shared: the same rows as they come, then the shared files' part of the table as it was
    const sharedWant = (await atOnce(load(), true)).split("\n");
    const sharedGot = (await streamed(load(), true)).split("\n");
    assert.deepEqual(sharedGot.slice(0, at + 1), got.slice(0, at + 1));
    assert.deepEqual(
      sharedGot.slice(at + 1),
      sharedWant.slice(sharedWant.length - (sharedGot.length - at - 1)),
    );
    assert.ok(sharedGot.some((l) => l.startsWith("# identical files in different layers: ")));
    const wide = got.find((l) => l.includes("many-9999-"));
    assert.ok(wide !== undefined && /many-9999-w+ {3}\/gone\/wide {3}/.test(wide), wide);
  });
});
