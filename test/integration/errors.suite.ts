// test/integration/errors.suite.ts — bad input never gives a stack trace: copies of the bed's real bolt files,
// damaged in every way the issue names, a missing dir, a symlink loop, a malformed config, no permission.
// Each must end in exactly one stderr line naming the file, and a non-zero exit.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stageForNobody } from "../../src/fs/testing-as-nobody.js";
import type { Bed } from "../bed/bed.js";
import { CRIFS, crifs, isOneLineError } from "./cli.js";

function flip(b: Uint8Array, at: number, mask = 0xff) {
  b[at] = (b[at] ?? 0) ^ mask;
}

/** The pages in use by the newer of a bbolt file's two meta pages (pgid at body offset 40, txid at 48). */
function highWater(b: Uint8Array): number {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const [m0, m1] = [0, 4096].map((at) => ({
    pgid: v.getBigUint64(at + 56, true),
    txid: v.getBigUint64(at + 64, true),
  }));
  return Number((m0 as { txid: bigint }).txid > (m1 as { txid: bigint }).txid ? m0?.pgid : m1?.pgid);
}

const META = "io.containerd.metadata.v1.bolt/meta.db";
const SNAP = "io.containerd.snapshotter.v1.overlayfs/metadata.db";

export function errorsSuite(getBed: () => Bed) {
  describe("bad input gives one line and a non-zero exit", () => {
    let dir = "";
    let meta = new Uint8Array();
    let snap = new Uint8Array();

    before(async () => {
      const bed = getBed();
      await bed.stopContainerd(); // a quiescent copy of the real files
      // a plain Uint8Array: Buffer.slice() would share memory, and the mutations below must not
      meta = new Uint8Array(readFileSync(join(bed.root, META)));
      snap = new Uint8Array(readFileSync(join(bed.root, SNAP)));
      dir = mkdtempSync("/var/tmp/crifs-errors-");
    });
    after(() => {
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    });

    /** A root holding the given meta.db and snapshotter bytes; returns crifs's flags for it. */
    function fakeRoot(name: string, metaBytes: Uint8Array | null, snapBytes: Uint8Array = snap): string[] {
      const root = join(dir, name);
      mkdirSync(join(root, "io.containerd.metadata.v1.bolt"), { recursive: true });
      mkdirSync(join(root, "io.containerd.snapshotter.v1.overlayfs"), { recursive: true });
      if (metaBytes !== null) writeFileSync(join(root, META), metaBytes);
      writeFileSync(join(root, SNAP), snapBytes);
      const config = join(root, "config.toml");
      writeFileSync(config, `version = 2\nroot = "${root}"\nstate = "${join(root, "state")}"\n`);
      return ["--runtime", "containerd", "--root", root, "--config", config];
    }

    function expectOneLine(args: string[], mention: string) {
      for (const cmd of [["snapshots"], ["containers", "-o", "json"], ["info"]]) {
        const r = crifs([...args, ...cmd]);
        assert.notEqual(r.status, 0, `exit 0 for ${cmd.join(" ")}`);
        assert.ok(isOneLineError(r), `not one line: ${JSON.stringify(r.stderr)}`);
        assert.ok(r.stderr.includes(mention), `${JSON.stringify(r.stderr)} does not name ${mention}`);
      }
    }

    const page = 4096;
    const cases: [string, () => Uint8Array][] = [
      // half of the pages in use (bbolt allocates ahead, so half the file may hold every page in use)
      ["truncated to half", () => meta.slice(0, Math.floor(highWater(meta) / 2) * page + 100)],
      ["truncated inside the meta page", () => meta.slice(0, 50)],
      ["empty", () => new Uint8Array()],
      [
        "bad magic in both meta pages",
        () => {
          const m = meta.slice();
          flip(m, 16);
          flip(m, page + 16);
          return m;
        },
      ],
      [
        "every data page zeroed",
        () => {
          const m = meta.slice();
          m.fill(0, 4 * page);
          return m;
        },
      ],
      [
        "flipped bytes across the data pages",
        () => {
          const m = meta.slice();
          for (let i = 2 * page + 7; i < m.length; i += 97) flip(m, i, 0x5a);
          return m;
        },
      ],
    ];
    for (const [name, mutate] of cases) {
      test(`a meta.db ${name} is one line naming meta.db`, () => {
        expectOneLine(fakeRoot(name.replace(/\W+/g, "-"), mutate()), "meta.db");
      });
    }

    test("a corrupt snapshotter metadata.db is one line naming metadata.db", () => {
      const s = snap.slice();
      flip(s, 16);
      flip(s, page + 16);
      expectOneLine(fakeRoot("bad-snap", meta, s), "metadata.db");
    });

    test("a missing root, a root without meta.db and a symlink loop are one line each", () => {
      expectOneLine(
        ["--runtime", "containerd", "--root", join(dir, "nope"), "--config", "/dev/null"],
        join(dir, "nope"),
      );
      expectOneLine(fakeRoot("no-meta", null), "meta.db");
      const loop = join(dir, "loop");
      symlinkSync(loop, loop);
      const r = crifs([
        "--runtime",
        "containerd",
        "--root",
        join(loop, "x"),
        "--config",
        "/dev/null",
        "snapshots",
      ]);
      assert.notEqual(r.status, 0);
      assert.ok(isOneLineError(r), r.stderr);
    });

    test("a malformed config.toml is one line naming the file and line", () => {
      const cfg = join(dir, "bad.toml");
      writeFileSync(cfg, 'version = 2\nroot = "/x\n');
      const r = crifs(["--runtime", "containerd", "--config", cfg, "snapshots"]);
      assert.notEqual(r.status, 0);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, /bad\.toml.*line 2/);
    });

    test("a meta.db that is a directory is one line", () => {
      const args = fakeRoot("meta-dir", null);
      mkdirSync(join(dir, "meta-dir", META));
      expectOneLine(args, "meta.db");
    });

    test("no permission to read the store is one line with exit 77", (t) => {
      const bed = getBed();
      // nobody runs a copy of crifs: the clone itself may sit in a 0700 dir (mktemp -d, /root)
      const staged = stageForNobody({ dependencies: true });
      t.after(() => staged.remove());
      const ran = staged.runCrifs([
        "--runtime",
        "containerd",
        "--root",
        bed.root,
        "--state",
        bed.state,
        "--config",
        bed.configPath,
        "snapshots",
      ]);
      const r = { status: ran.status ?? -1, stdout: ran.stdout, stderr: ran.stderr };
      assert.equal(r.status, 77, r.stderr);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, /permission denied/);
    });

    test("unknown flags and commands are one usage line with exit 64", () => {
      for (const args of [["--bogus"], ["frobnicate"], ["-o", "xml", "images"], ["mounts"]]) {
        const r = crifs(args);
        assert.equal(r.status, 64, `${args.join(" ")}: ${r.stderr}`);
        assert.ok(isOneLineError(r), r.stderr);
      }
    });

    test("a reader that goes away (crifs … | head) ends crifs quietly with SIGPIPE's status, no stack trace", () => {
      const bed = getBed();
      // `true` has exited long before crifs writes: the write meets a closed pipe (EPIPE)
      const r = spawnSync(
        "bash",
        [
          "-c",
          `"$0" "$1" --root "$2" links -o json | true; echo "status \${PIPESTATUS[0]}" >&2`,
          process.execPath,
          CRIFS,
          bed.root,
        ],
        { encoding: "utf8" },
      );
      assert.equal(r.stderr, "status 141\n");
    });

    test("a copied meta.db is read the same as the original", () => {
      const bed = getBed();
      const args = fakeRoot("copy", meta);
      copyFileSync(join(bed.root, META), join(dir, "copy", META));
      const a = crifs([...args, "snapshots", "-o", "json"]);
      const b = crifs([
        "--runtime",
        "containerd",
        "--root",
        bed.root,
        "--config",
        bed.configPath,
        "snapshots",
        "-o",
        "json",
      ]);
      assert.equal(a.status, 0, a.stderr);
      const keys = (s: string) => (JSON.parse(s) as { key: string }[]).map((x) => x.key).sort();
      assert.deepEqual(keys(a.stdout), keys(b.stdout));
    });
  });
}
