// test/integration/terminal.suite.ts — hostile records never reach the operator's terminal raw. Records whose
// names a hostile client chose (snapshot keys, labels) are written into the real bed through ctr, then every
// read command's table, tree and plain output is checked byte by byte: no C0 byte but tab and newline, no DEL,
// no C1 (UTF-8 c2 80..c2 9f), no bidi control; a key with a newline adds no line; -o json carries it exactly.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { bedFlags, CRIFS } from "./cli.js";

const NS = "hostile";
// an active snapshot and a committed one whose names carry a newline, escape sequences, C1 and bidi controls
const ACTIVE = "evil\n\x1b[31mred\x1b]0;title\x07\x85next\u202etxt";
const COMMITTED = "committed\r\x1b[2Kforged\x7f\x9b";
const LABEL = "\x1b[1;31mERROR\x1b[0m\nfake line";

interface RawResult {
  readonly status: number;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

function crifsRaw(args: readonly string[]): RawResult {
  const r = spawnSync(process.execPath, [CRIFS, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The first byte a terminal would act on, or null: C0 but tab and newline, DEL, C1, bidi controls. */
function firstUnsafeByte(out: Buffer): string | null {
  for (let i = 0; i < out.length; i++) {
    const b = out[i] as number;
    const next = out[i + 1] ?? 0;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a) || b === 0x7f) return `0x${b.toString(16)} at ${i}`;
    if (b === 0xc2 && next >= 0x80 && next <= 0x9f) return `C1 0x${next.toString(16)} at ${i}`;
    if (b === 0xe2 && next === 0x80 && [0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae].includes(out[i + 2] ?? 0))
      return `U+20${(out[i + 2] ?? 0).toString(16)} at ${i}`;
    if (b === 0xe2 && next === 0x81 && (out[i + 2] ?? 0) >= 0xa6 && (out[i + 2] ?? 0) <= 0xa9)
      return `bidi isolate at ${i}`;
  }
  return null;
}

export function terminalSuite(getBed: () => Bed) {
  describe("terminal safety: hostile names and labels in a real containerd store", () => {
    let activeDir = "";
    before(() => {
      const bed = getBed();
      bed.ctr(["snapshots", "prepare", "hostile-base"], NS);
      bed.ctr(["snapshots", "commit", COMMITTED, "hostile-base"], NS);
      bed.ctr(["snapshots", "prepare", ACTIVE, COMMITTED], NS);
      bed.ctr(["snapshots", "label", ACTIVE, `note=${LABEL}`], NS);
      bed.ctr(["leases", "create", "-x", "0", `why=${LABEL}`], NS);
      const r = crifsRaw([...bedFlags(bed), "-n", NS, "snapshots", "-o", "json"]);
      const snaps = JSON.parse(r.stdout.toString("utf8")) as { key: string; path: string }[];
      activeDir = snaps.find((s) => s.key === ACTIVE)?.path ?? "";
    });
    after(() => {
      const bed = getBed();
      for (const l of bed.ctr(["leases", "ls", "-q"], NS).split("\n").filter(Boolean))
        bed.ctr(["leases", "rm", l], NS);
      bed.ctr(["snapshots", "rm", ACTIVE], NS);
      bed.ctr(["snapshots", "rm", COMMITTED], NS);
      bed.ctr(["namespaces", "rm", NS]);
    });

    test("-o json carries the hostile keys exactly", () => {
      const bed = getBed();
      const r = crifsRaw([...bedFlags(bed), "-n", NS, "snapshots", "-o", "json"]);
      assert.equal(r.status, 0, r.stderr.toString());
      const keys = (JSON.parse(r.stdout.toString("utf8")) as { key: string }[]).map((s) => s.key).sort();
      assert.deepEqual(keys, [ACTIVE, COMMITTED].sort());
      assert.notEqual(activeDir, "", "the active snapshot's dir is listed");
    });

    const commands: [string, string[]][] = [
      ["snapshots", ["snapshots"]],
      ["snapshots tree", ["snapshots", "tree"]],
      ["snapshots -o tree", ["snapshots", "-o", "tree"]],
      ["inspect (YAML view)", ["inspect", ACTIVE]],
      ["mounts", ["mounts", ACTIVE]],
      ["info", ["info"]],
      ["du", ["du"]],
      ["doctor", ["doctor", "--grace", "0"]],
      ["audit", ["audit"]],
    ];
    for (const [name, args] of commands) {
      test(`${name}: no raw control byte, one line per record`, () => {
        const bed = getBed();
        const r = crifsRaw([...bedFlags(bed), "-n", NS, ...args]);
        assert.ok(
          r.status === 0 || r.status === 1 || r.status === 2,
          `${name} exited ${r.status}: ${r.stderr}`,
        );
        const bad = firstUnsafeByte(r.stdout) ?? firstUnsafeByte(r.stderr);
        assert.equal(
          bad,
          null,
          `${name}: ${bad}\n${JSON.stringify(r.stdout.toString("utf8").slice(0, 2000))}`,
        );
        const text = r.stdout.toString("utf8");
        assert.ok(!text.split("\n").some((l) => l.startsWith("fake line")), `${name}: a label forged a line`);
        assert.ok(
          !text.split("\n").some((l) => l.includes("[31mred") && !l.includes("evil")),
          `${name}: forged row`,
        );
      });
    }

    test("the snapshots table shows the key escaped, on one row", () => {
      const bed = getBed();
      const text = crifsRaw([...bedFlags(bed), "-n", NS, "snapshots"]).stdout.toString("utf8");
      const row = text.split("\n").find((l) => l.includes("evil"));
      assert.ok(row?.includes("evil\\n\\e[31mred\\e]0;title\\x07\\x85next\\u{202e}txt"), row);
      assert.equal(text.split("\n").filter((l) => l.includes(NS)).length, 2, text);
    });
  });
}
