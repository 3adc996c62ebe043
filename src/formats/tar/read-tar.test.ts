// read-tar.test.ts — parseTar on archives GNU tar writes at test time (gnu, pax, ustar and v7 formats; long
// names and link targets past 100 bytes, symlinks, hard links, PAX records, base-256 numbers), checked
// against `tar -tvf`; then damaged copies: every one must end in one CrifsError line, never a crash or hang.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { CrifsError } from "../../errors.js";
import { decompressLayer } from "./layer.js";
import { parsePaxRecords, parseTar, type TarEntry } from "./read-tar.js";

const tmp = mkdtempSync("/var/tmp/crifs-tar-");
after(() => rmSync(tmp, { recursive: true, force: true }));

const longDir = `d-${"x".repeat(110)}`;
const longFile = `f-${"y".repeat(120)}`;
const longTarget = `../${"z".repeat(130)}`;

/** A source tree with every kind the reader must tell apart. */
function sourceTree(): string {
  const src = join(tmp, "src");
  rmSync(src, { recursive: true, force: true });
  mkdirSync(join(src, "etc"), { recursive: true });
  mkdirSync(join(src, longDir), { recursive: true });
  writeFileSync(join(src, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(src, longDir, longFile), "in a long path\n");
  writeFileSync(join(src, "empty"), "");
  writeFileSync(join(src, "block"), Buffer.alloc(512, 7)); // exactly one block: no padding
  linkSync(join(src, "etc", "passwd"), join(src, "etc", "passwd-hardlink"));
  symlinkSync("/etc/passwd", join(src, "abs-link"));
  symlinkSync(longTarget, join(src, "long-link"));
  execFileSync("mkfifo", [join(src, "fifo")]);
  execFileSync("chmod", ["4750", join(src, "etc", "passwd")]);
  return src;
}

/** Makes `<name>.tar` from the source tree with GNU tar and `args`; returns its bytes. */
function makeTar(name: string, args: readonly string[]): Buffer {
  const file = join(tmp, `${name}.tar`);
  execFileSync("tar", ["-C", sourceTree(), "--sort=name", ...args, "-cf", file, "."]);
  return readFileSync(file);
}

/** `tar -tvf`'s view of each entry: type letter, mode, name, link. */
function gnuListing(file: string): string[] {
  return execFileSync("tar", ["--numeric-owner", "-tvf", file], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => {
      const m = /^(.)(\S{9}) \S+\s+\d+(?:,\s*\d+)? \S+ \S+ (.*?)(?: (->|link to) (.*))?$/.exec(line);
      assert.ok(m, line);
      return `${m[1]} ${m[3]}${m[5] === undefined ? "" : ` ${m[4]} ${m[5]}`}`;
    });
}

function ourListing(entries: readonly TarEntry[]): string[] {
  const letter: Record<string, string> = {
    file: "-",
    dir: "d",
    symlink: "l",
    hardlink: "h",
    fifo: "p",
    "char-device": "c",
    "block-device": "b",
  };
  return entries.map((e) => {
    const l = letter[e.kind] ?? "?";
    const link =
      e.kind === "symlink" ? ` -> ${e.linkname}` : e.kind === "hardlink" ? ` link to ${e.linkname}` : "";
    return `${l === "h" ? "h" : l} ${e.name}${link}`;
  });
}

for (const format of ["gnu", "pax"] as const) {
  test(`a ${format} archive lists as tar -tvf lists it: long names and link targets, symlinks, hard links`, () => {
    const bytes = makeTar(format, [`--format=${format}`]);
    const entries = [...parseTar(bytes)];
    // tar -tv shows a hard link as "h…" with "link to"
    assert.deepEqual(ourListing(entries), gnuListing(join(tmp, `${format}.tar`)));
    const byName = new Map(entries.map((e) => [e.name, e]));
    const long = byName.get(`./${longDir}/${longFile}`);
    assert.equal(Buffer.from(long?.data ?? []).toString(), "in a long path\n");
    assert.equal(byName.get("./long-link")?.linkname, longTarget);
    assert.equal(byName.get("./etc/passwd-hardlink")?.linkname, "./etc/passwd");
    assert.equal(byName.get("./etc/passwd-hardlink")?.size, 0, "a hard link carries no data");
    assert.equal(byName.get("./etc/passwd")?.mode, 0o4750);
    assert.equal(byName.get("./block")?.data.length, 512);
    assert.equal(byName.get("./fifo")?.kind, "fifo");
    if (format === "pax") assert.equal(long?.pax.get("path"), `./${longDir}/${longFile}`);
  });
}

test("ustar (name split into prefix and name) and v7 archives read the same names", () => {
  for (const format of ["ustar", "v7"]) {
    const src = sourceTree();
    rmSync(join(src, longDir), { recursive: true }); // too long for both formats
    rmSync(join(src, "long-link"));
    if (format === "v7") rmSync(join(src, "fifo")); // v7 has no fifo type
    const file = join(tmp, `${format}.tar`);
    const deep = join("a".repeat(60), "b".repeat(60));
    if (format === "ustar") {
      mkdirSync(join(src, deep), { recursive: true });
      writeFileSync(join(src, deep, "c.txt"), "split\n");
    }
    execFileSync("tar", ["-C", src, "--sort=name", `--format=${format}`, "-cf", file, "."]);
    const entries = [...parseTar(readFileSync(file))];
    assert.deepEqual(ourListing(entries), gnuListing(file), format);
  }
});

test("PAX records: per-entry ones reach their entry, global ones are skipped, uid/gid above the octal range", () => {
  const bytes = makeTar("pax-records", [
    "--format=pax",
    "--pax-option=crifs.note:=hello,crifs.global=1",
    "--owner=crifs:3000000",
    "--group=crifs:3000001",
  ]);
  const entries = [...parseTar(bytes)];
  assert.ok(entries.length > 5);
  for (const e of entries) {
    assert.equal(e.pax.get("crifs.note"), "hello", e.name);
    assert.equal(e.pax.has("crifs.global"), false, "a global header is not merged into entries");
    assert.deepEqual([e.uid, e.gid], [3000000, 3000001]);
  }
  assert.deepEqual(
    [...parsePaxRecords(Buffer.from("20 path=a/b/c/d/e/f\n11 k=v=w x\n"), 0)],
    [
      ["path", "a/b/c/d/e/f"],
      ["k", "v=w x"],
    ],
  );
});

test("GNU base-256 numbers (uid/gid beyond 7 octal digits) decode", () => {
  const entries = [
    ...parseTar(makeTar("b256", ["--format=gnu", "--owner=crifs:3000000", "--group=crifs:9000000"])),
  ];
  for (const e of entries) assert.deepEqual([e.uid, e.gid], [3000000, 9000000]);
});

test("a gzip layer inflates to the plain tar; a plain tar passes through untouched", () => {
  const plain = makeTar("gz", ["--format=pax"]);
  assert.equal(decompressLayer(plain), plain);
  assert.deepEqual(Buffer.from(decompressLayer(gzipSync(plain))), plain);
  assert.throws(
    () => decompressLayer(gzipSync(plain), 4096),
    (e: unknown) =>
      e instanceof CrifsError &&
      e.code === "unsupported" &&
      /tar is more than 0.0 GiB, and crifs reads at most/.test(e.message),
  );
  assert.throws(
    () => decompressLayer(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])),
    (e: unknown) => e instanceof CrifsError && e.code === "unsupported" && /zstd/.test(e.message),
  );
});

test("sparse entries (GNU 'S' and PAX GNU.sparse) are refused as unsupported, not misread", () => {
  const src = join(tmp, "sparse-src");
  mkdirSync(src, { recursive: true });
  execFileSync("truncate", ["-s", "1M", join(src, "holes")]);
  writeFileSync(join(src, "holes"), "head", { flag: "r+" });
  for (const format of ["gnu", "pax"]) {
    const file = join(tmp, `sparse-${format}.tar`);
    execFileSync("tar", ["-C", src, "-S", `--format=${format}`, "-cf", file, "holes"]);
    assert.throws(
      () => [...parseTar(readFileSync(file))],
      (e: unknown) => e instanceof CrifsError && e.code === "unsupported" && /sparse/.test(e.message),
      format,
    );
  }
});

/** The one outcome a damaged archive may have besides parsing: a one-line CrifsError. */
function parsesOrFailsInOneLine(bytes: Uint8Array): "ok" | string {
  try {
    for (const e of parseTar(bytes)) void e.data.length;
    return "ok";
  } catch (err) {
    assert.ok(err instanceof CrifsError, `not a CrifsError: ${String(err)}`);
    assert.ok(!err.oneLine().includes("\n"), err.oneLine());
    assert.ok(["corrupt", "unsupported"].includes(err.code), err.code);
    return err.message;
  }
}

test("a truncated archive fails with the offset and how much is missing", () => {
  const bytes = makeTar("trunc", ["--format=gnu"]);
  const entries = [...parseTar(bytes)];
  const passwd = entries.find((e) => e.name === "./etc/passwd");
  assert.ok(passwd);
  const midData = bytes.subarray(0, passwd.offset + 512 + 10);
  assert.match(
    parsesOrFailsInOneLine(midData),
    new RegExp(
      `^cannot read tar header at offset ${passwd.offset}: the archive ends inside the data of "./etc/passwd": 10 of 512 bytes`,
    ),
  );
  assert.match(parsesOrFailsInOneLine(bytes.subarray(0, 700)), /ends inside a header \(188 of 512 bytes\)/);
  // cut at an entry boundary: like Go's archive/tar, a missing end marker is not an error
  assert.equal(parsesOrFailsInOneLine(bytes.subarray(0, passwd.offset)), "ok");
});

test("a damaged header fails on its checksum; every truncation and byte flip ends in ok or one line", () => {
  const bytes = makeTar("flip", ["--format=pax", "--pax-option=crifs.note:=hello"]);
  const bad = Buffer.from(bytes);
  bad[10] = (bad[10] ?? 0) ^ 0x40;
  assert.match(
    parsesOrFailsInOneLine(bad),
    /^cannot read tar header at offset 0: header checksum is \d+, the header sums to \d+/,
  );
  const t0 = Date.now();
  for (let cut = 0; cut < bytes.length; cut += 97) parsesOrFailsInOneLine(bytes.subarray(0, cut));
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let i = 0; i < 2000; i++) {
    const m = Buffer.from(bytes);
    const at = rand() % m.length;
    m[at] = rand() % 256;
    // fix the checksum half the time, so the damage gets past it into the fields
    const block = Math.floor(at / 512) * 512;
    if (i % 2 === 0) {
      m.fill(0x20, block + 148, block + 156);
      let sum = 0;
      for (let j = block; j < block + 512; j++) sum += m[j] ?? 0;
      m.write(`${sum.toString(8).padStart(6, "0")}\0 `, block + 148, "latin1");
    }
    parsesOrFailsInOneLine(m);
  }
  assert.ok(Date.now() - t0 < 20_000, "mutations took too long");
});

test("a damaged gzip stream is one corrupt error line", () => {
  const gz = gzipSync(makeTar("gzbad", ["--format=gnu"]));
  for (const m of [
    gz.subarray(0, gz.length / 2),
    Buffer.concat([gz.subarray(0, 20), Buffer.alloc(40, 0xee)]),
  ]) {
    assert.throws(
      () => decompressLayer(m),
      (e: unknown) =>
        e instanceof CrifsError && e.code === "corrupt" && /^cannot inflate the gzip layer: /.test(e.message),
    );
  }
});
