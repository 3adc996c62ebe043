// fuzz.test.ts — seeded random damage to the real fixtures: every case must end in a tree or in one
// CrifsError line that names the file, quickly. CRIFS_FUZZ_SEED / CRIFS_FUZZ_CASES vary the run.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CrifsError } from "../../errors.js";
import { dumpBolt } from "./dump.js";
import { parseBolt } from "./parse.js";
import {
  editableCopy,
  fixtureNames,
  leafKeyAt,
  mutationNames,
  mutations,
  readFixture,
  scanLayout,
  seeded,
} from "./testing.js";

const baseSeed = Number(process.env.CRIFS_FUZZ_SEED ?? 0x5eed);
const casesPerFixture = Number(process.env.CRIFS_FUZZ_CASES ?? 2000);
/** A single case slower than this counts as a hang. */
const caseLimitMs = 1000;

interface Outcome {
  parsed: number;
  rejected: number;
  byKind: Map<string, { parsed: number; rejected: number }>;
  slowest: number;
}

function runCases(fixture: string, seed: number, cases: number): Outcome {
  const clean = readFixture(fixture);
  const layout = scanLayout(clean);
  const rng = seeded(seed);
  const out: Outcome = { parsed: 0, rejected: 0, byKind: new Map(), slowest: 0 };
  for (let i = 0; i < cases; i++) {
    const steps = 1 + (rng.random() < 0.25 ? rng.int(3) : 0);
    let bytes: Uint8Array = clean.slice();
    const what: string[] = [];
    const picked = Array.from({ length: steps }, () => rng.pick(mutationNames));
    // Truncation last: the other mutations address pages of the full-length image.
    const kinds = [...picked.filter((k) => k !== "truncate"), ...picked.filter((k) => k === "truncate")];
    for (const kind of kinds) {
      const m = (mutations[kind] as (typeof mutations)[string])(bytes, layout, rng);
      bytes = m.bytes;
      what.push(m.what);
    }
    const name = `${fixture}#${i}`;
    const context = `seed ${seed} case ${i}: ${what.join("; ")}`;
    const started = performance.now();
    let ok = false;
    try {
      dumpBolt(parseBolt(bytes, name));
      ok = true;
    } catch (err) {
      if (!(err instanceof CrifsError)) {
        assert.fail(`${context}: a ${(err as Error)?.constructor?.name} escaped: ${String(err)}`);
      }
      const line = err.oneLine();
      assert.equal(err.code, "corrupt", `${context}: ${line}`);
      assert.ok(!/[\r\n]/.test(line), `${context}: more than one line: ${JSON.stringify(line)}`);
      assert.ok(line.startsWith(`${name}: `), `${context}: does not name the file: ${line}`);
    }
    const took = performance.now() - started;
    out.slowest = Math.max(out.slowest, took);
    assert.ok(took < caseLimitMs, `${context}: took ${took.toFixed(0)} ms`);
    if (ok) out.parsed++;
    else out.rejected++;
    const key = kinds.length === 1 ? (kinds[0] as string) : "combined";
    const k = out.byKind.get(key) ?? { parsed: 0, rejected: 0 };
    if (ok) k.parsed++;
    else k.rejected++;
    out.byKind.set(key, k);
  }
  return out;
}

for (const [n, fixture] of fixtureNames.entries()) {
  test(`${casesPerFixture} random mutations of ${fixture} each end in a tree or one corrupt line naming the file`, (t) => {
    const started = performance.now();
    const out = runCases(fixture, baseSeed + n, casesPerFixture);
    const kinds = [...out.byKind].map(([k, v]) => `${k} ${v.rejected}/${v.parsed + v.rejected}`).join(", ");
    const ms = (performance.now() - started).toFixed(0);
    // The counts are information, not assertions: they show the mutations reach the checks.
    t.diagnostic(
      `${fixture}: ${out.rejected} rejected, ${out.parsed} parsed in ${ms} ms (slowest ${out.slowest.toFixed(1)} ms); rejected/total: ${kinds}`,
    );
    assert.ok(
      out.rejected > casesPerFixture / 3,
      `only ${out.rejected} of ${casesPerFixture} cases were rejected`,
    );
  });
}

test("a branch element pointing at its own page is reported as a cycle", () => {
  const clean = readFixture("containerd-meta.db");
  const layout = scanLayout(clean);
  assert.ok(layout.branches.length > 0, "the fixture has no branch page");
  let cycles = 0;
  for (const id of layout.branches) {
    const { copy: bytes, view } = editableCopy(clean);
    view.setBigUint64(id * layout.pageSize + 16 + 8, BigInt(id), true);
    try {
      parseBolt(bytes, "self.db");
    } catch (err) {
      assert.ok(err instanceof CrifsError);
      assert.match(
        err.message,
        new RegExp(`^cannot read page ${id} \\(.*\\): reached twice in one tree walk`),
      );
      cycles++;
    }
  }
  assert.ok(cycles > 0, "no branch page of the fixture is reachable");
});

test("a nested bucket whose root is its own parent page is reported as a cycle", () => {
  const clean = readFixture("containerd-meta.db");
  const layout = scanLayout(clean);
  let cycles = 0;
  for (const e of layout.bucketElements) {
    const { copy: bytes, view } = editableCopy(clean);
    const valueAt = leafKeyAt(view, e) + view.getUint32(e + 8, true);
    view.setBigUint64(valueAt, BigInt(Math.floor(e / layout.pageSize)), true);
    try {
      parseBolt(bytes, "self.db");
    } catch (err) {
      assert.ok(err instanceof CrifsError);
      assert.match(err.message, /reached twice in one tree walk/);
      cycles++;
    }
  }
  assert.ok(cycles > 0, "no nested non-inline bucket found");
});
