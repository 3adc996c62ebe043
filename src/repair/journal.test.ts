import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../fs/testing-tree.js";
import type { Plan } from "./action.js";
import {
  Journal,
  listRuns,
  newRunId,
  type RunHeader,
  readJournal,
  readPlan,
  runState,
  summarizeRun,
  writePlanDurably,
} from "./journal.js";

const plan: Plan = {
  runtime: "containerd",
  root: "/r",
  createdAt: "2026-01-01T00:00:00.000Z",
  daemonUp: false,
  actions: [],
  unmended: [],
  bytes: 0,
};

function header(id: string, pid = process.pid): RunHeader {
  return {
    type: "run",
    version: 1,
    id,
    createdAt: new Date().toISOString(),
    pid,
    runtime: "containerd",
    root: "/r",
    plan,
  };
}

/** A pid no process has (the highest pid the kernel hands out, plus one). */
const DEAD_PID = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8")) + 1;

test("a run's journal reads back record by record; a torn last line is left out and the next append starts a fresh line", () => {
  const q = tempDir("crifs-journal-");
  const j = Journal.create(q, header("run-1"));
  j.appendIntent({
    type: "intent",
    seq: 1,
    step: 0,
    op: "quarantine",
    path: "/r/a",
    item: "/q/i",
    at: "t",
    dev: 1,
    ino: 2,
  });
  j.close();
  appendFileSync(join(q, "run-1", "journal.jsonl"), '{"type":"done","seq":1,"st');
  const torn = readJournal(join(q, "run-1"));
  assert.equal(torn.torn, true);
  assert.deepEqual(
    torn.records.map((r) => r.type),
    ["run", "intent"],
  );
  const again = Journal.open(join(q, "run-1"));
  again.append({ type: "end", at: "t" });
  again.close();
  const r = readJournal(join(q, "run-1"));
  assert.deepEqual(
    r.records.map((x) => x.type),
    ["run", "intent", "end"],
  );
});

test("run states: planned and applying while its process lives, interrupted when it died without an end, then done, undone, purged", () => {
  const live = header("a");
  assert.equal(runState([live]), "planned");
  const intent = {
    type: "intent",
    seq: 1,
    step: 0,
    op: "quarantine",
    path: "/r/a",
    item: null,
    at: "t",
    dev: 1,
    ino: 2,
  } as const;
  assert.equal(runState([live, intent]), "applying");
  const dead = header("b", DEAD_PID);
  assert.equal(runState([dead, intent]), "interrupted");
  assert.equal(runState([dead]), "interrupted");
  assert.equal(runState([dead, intent, { type: "end", at: "t" }]), "done");
  assert.equal(
    runState([dead, { type: "end", at: "t" }, { type: "undo", at: "t", pid: DEAD_PID }]),
    "interrupted",
  );
  assert.equal(
    runState([
      dead,
      { type: "end", at: "t" },
      { type: "undo", at: "t", pid: DEAD_PID },
      { type: "undone", at: "t" },
    ]),
    "undone",
  );
  assert.equal(runState([dead, { type: "end", at: "t" }, { type: "purged", at: "t" }]), "purged");
  assert.equal(runState([dead, intent, { type: "resume", at: "t", pid: process.pid }]), "applying");
});

test("listRuns lists runs oldest first with their items and bytes; a dir without a journal is not a run", () => {
  const q = tempDir("crifs-journal-");
  const ids = [newRunId(new Date(1000)), newRunId(new Date(2000))];
  for (const id of ids.reverse()) {
    const j = Journal.create(q, header(id, DEAD_PID));
    j.append({
      type: "done",
      seq: 1,
      step: 0,
      op: "quarantine",
      path: "/r/a",
      item: "/q/1-0",
      at: "t",
      dev: 1,
      ino: 2,
      bytes: 4096,
    });
    j.append({ type: "end", at: "t" });
    j.close();
  }
  Journal.create(join(q, "not-a-run-parent"), header("x")).close(); // nested: not listed at the top
  mkdirSync(join(q, "killed-before-its-header"));
  writeFileSync(join(q, "killed-before-its-header", "journal.jsonl"), ""); // changed nothing: not listed
  const runs = listRuns(q);
  assert.deepEqual(
    runs.map((r) => r.id),
    [...ids].sort(),
  );
  assert.deepEqual(
    runs.map((r) => [r.state, r.items, r.bytes]),
    [
      ["done", 1, 4096],
      ["done", 1, 4096],
    ],
  );
  assert.equal(summarizeRun(runs[0]?.dir ?? "").torn, false);
  assert.deepEqual(listRuns(join(q, "absent")), []);
});

test("a run applied without measuring (--apply --yes: bytes null) sums to null, never a false 0", () => {
  const q = tempDir("crifs-journal-");
  const j = Journal.create(q, header("r-unmeasured", DEAD_PID));
  for (const [seq, bytes] of [
    [1, 4096],
    [2, null],
  ] as const)
    j.append({
      type: "done",
      seq,
      step: 0,
      op: "quarantine",
      path: `/r/${seq}`,
      item: `/q/${seq}-0`,
      at: "t",
      dev: 1,
      ino: seq,
      bytes,
    });
  j.append({ type: "end", at: "t" });
  j.close();
  assert.deepEqual(
    listRuns(q).map((r) => [r.state, r.items, r.bytes]),
    [["done", 2, null]],
  );
});

test("a version 2 run keeps its plan in plan.json (a short header line); an undone run is summarized from its header and last line", () => {
  const q = tempDir("crifs-journal-");
  const big: Plan = {
    ...plan,
    actions: Array.from({ length: 2000 }, (_, i) => ({
      seq: i + 1,
      kind: "quarantine",
      check: "orphan-snapshot-dir",
      subject: `overlayfs dir ${i}`,
      path: `/r/snapshots/${i}`,
      why: "nothing names it",
      bytes: null,
      daemon: "either" as const,
      steps: [{ op: "quarantine" as const, path: `/r/snapshots/${i}` }],
      guards: [],
    })),
  };
  const { plan: _, ...v2 } = header("r-v2", DEAD_PID);
  const j = Journal.create(q, { ...v2, version: 2 }, big);
  j.append({ type: "undo", at: "t", pid: DEAD_PID });
  j.append({ type: "undone", at: "t" });
  j.close();
  const dir = join(q, "r-v2");
  const first = readFileSync(join(dir, "journal.jsonl"), "utf8").split("\n")[0] ?? "";
  assert.ok(first.length < 300, first);
  const head = JSON.parse(first) as RunHeader;
  assert.deepEqual([head.version, head.planFile, head.actions, head.plan], [2, "plan.json", 2000, undefined]);
  assert.deepEqual(readPlan(dir, head), big);
  assert.deepEqual(
    [summarizeRun(dir).state, summarizeRun(dir).items, summarizeRun(dir).bytes],
    ["undone", 0, 0],
  );
  // a version 1 run (its plan in its header, past the bytes read) is summarized the same way
  const j1 = Journal.create(q, { ...header("r-v1", DEAD_PID), plan: big });
  j1.append({ type: "undone", at: "t" });
  j1.close();
  const s1 = summarizeRun(join(q, "r-v1"));
  assert.deepEqual([s1.id, s1.state, s1.root], ["r-v1", "undone", "/r"]);
  assert.equal(
    readPlan(join(q, "r-v1"), readJournal(join(q, "r-v1")).records[0] as RunHeader).actions.length,
    2000,
  );
});

test("plan.json is the text JSON.stringify makes of the plan, whatever the chunks it is written in", () => {
  const dir = tempDir("crifs-journal-plan-");
  const p: Plan = {
    ...plan,
    actions: Array.from({ length: 300 }, (_, i) => ({
      seq: i + 1,
      kind: "quarantine",
      check: "orphan-snapshot-dir",
      subject: `overlayfs dir ${i}`,
      path: `/r/snapshots/${i}-"ü\\\n`,
      why: "nothing names it",
      bytes: i % 2 === 0 ? null : i,
      daemon: "either" as const,
      steps: [{ op: "quarantine" as const, path: `/r/snapshots/${i}` }],
      guards: [{ guard: "unchanged" as const, path: `/r/snapshots/${i}`, dev: 1, ino: i, ctimeMs: 1.5 + i }],
    })),
    unmended: [{ check: "stale-mount", subject: "s", path: "/r/m", reason: "r" }],
  };
  for (const [name, chunk] of [
    ["whole", 1 << 30],
    ["small", 64],
    ["one", 1],
  ] as const) {
    writePlanDurably(join(dir, name), p, chunk);
    assert.equal(readFileSync(join(dir, name), "utf8"), JSON.stringify(p), name);
  }
  const empty = join(dir, "empty");
  writePlanDurably(empty, plan, 1);
  assert.equal(readFileSync(empty, "utf8"), JSON.stringify(plan));
});
