// test/integration/links-stream.ts — `crifs links` writes its rows as it finds them (issue 20 part 5), on the
// main bed (called from sight-cli.suite.ts). Two containers of bb:latest are made in `default`, one sorting
// before the bed's containers and one after; the first's writable layer gets 10,000 broken links. The test
// reads crifs's stdout through a pipe and stops reading at the first piece: crifs, whose first batch of rows
// (the first container's, megabytes) no longer fits the pipe, is held there. Only then does the test plant a
// broken link in the last container's writable layer, and read on. The link is in the output: crifs read the
// last container's layers after it had written the first rows. A crifs that reads every layer before writing
// (as it did before) cannot list it. No timing: the pipe is what holds crifs. Both containers and their
// snapshots are removed afterwards. About 5 s.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { bedFlags, CRIFS, crifs, json } from "./cli.js";

const NS = "default";
const FIRST = "a-crifs-stream";
const LAST = "zz-crifs-stream";
const PLANTED = "planted-after-first-rows";
const LINKS = 10_000;

export function linksStreamTests(getBed: () => Bed): void {
  describe("crifs links writes its rows as it finds them", () => {
    const upper = new Map<string, string>();
    before(() => {
      const bed = getBed();
      for (const id of [FIRST, LAST]) bed.ctr(["containers", "create", bed.facts.images.latest, id], NS);
      const rows = json<{ key: string; path: string }[]>(
        crifs([...bedFlags(bed), "-n", NS, "snapshots", "-o", "json"]),
      );
      for (const id of [FIRST, LAST]) {
        const row = rows.find((r) => r.key === id);
        assert.ok(row !== undefined, `the snapshot of container ${id}`);
        upper.set(id, row.path);
      }
      const first = upper.get(FIRST) as string;
      for (let i = 0; i < LINKS; i++)
        symlinkSync(`/crifs-stream-gone/${i}`, join(first, `stream-link-${String(i).padStart(5, "0")}`));
    });

    after(() => {
      const bed = getBed();
      for (const id of [FIRST, LAST]) {
        try {
          bed.ctr(["containers", "rm", id], NS); // its snapshot with it
        } catch (err) {
          console.error(`links-stream: ${(err as Error).message}`);
        }
      }
    });

    test("the last container's layers are read after the first rows are written: a link planted in between is listed", async () => {
      const child = spawn(process.execPath, [CRIFS, ...bedFlags(getBed()), "-n", NS, "links"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      let firstPiece = "";
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
      });
      const exited = new Promise<number>((done) => child.on("close", (code) => done(code ?? -1)));
      // read until the first rows are in (the line above them may come alone), then stop reading
      await new Promise<void>((done) => {
        const onData = (d: Buffer) => {
          firstPiece += d.toString();
          if (!/\n\S+ +\S+ +\//.test(firstPiece)) return;
          child.stdout.pause(); // crifs is held by the full pipe from here
          child.stdout.off("data", onData);
          done();
        };
        child.stdout.on("data", onData);
      });
      symlinkSync("/crifs-stream-gone/planted", join(upper.get(LAST) as string, PLANTED));
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.stdout.resume();
      const code = await exited;
      out = firstPiece + out;
      assert.equal(code, 0, err);
      const lines = out.split("\n");
      assert.equal(lines[0], "# broken symlinks, written as they are found (their count follows them):");
      assert.match(lines[1] ?? "", /^NAMESPACE +CONTAINER +PATH +TARGET +REASON +LAYER +HOST-ONLY$/);
      assert.ok(
        firstPiece.includes(`${FIRST}   /stream-link-00000`),
        "the first rows read hold the first container's",
      );
      assert.ok(!firstPiece.includes(LAST), "and none of the last container's");
      const planted = lines.filter((l) => l.includes(`/${PLANTED}`));
      assert.equal(
        planted.length,
        1,
        `the link planted after the first rows is listed:\n${out.slice(-2000)}`,
      );
      assert.match(
        planted[0] as string,
        new RegExp(`^${NS} +${LAST} +/${PLANTED} +/crifs-stream-gone/planted `),
      );
      const count = lines.find((l) => l.startsWith("# broken symlinks: "));
      const rows = lines.filter((l) => l.startsWith(`${NS} `) || l.startsWith("k8s.io ")).length;
      assert.equal(count?.split(" ")[3], String(rows), `${count}: the count after the rows is theirs`);
      assert.ok(rows > LINKS, `${rows} rows`);
    });
  });
}
