import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { CrifsError } from "../errors.js";
import { decodeName, encodeName } from "../fs/name-codec.js";
import { plantTree, rootOnly, tempDir } from "../fs/testing-tree.js";
import { loadNativeScanner } from "../fs/walk-native.js";
import type { Plan, PlannedAction } from "./action.js";
import { applyPlan, itemsDirFor, type Recheck } from "./apply.js";
import { Journal, listRuns, type RunHeader, readJournal, stepsOf } from "./journal.js";
import { purgeRuns } from "./purge.js";
import { type RenameBatch, renameBatchJs } from "./rename-batch.js";
import { undoRun } from "./undo.js";

const skip = rootOnly();

function action(seq: number, path: string, check = "orphan-snapshot-dir"): PlannedAction {
  const st = lstatSync(path);
  return {
    seq,
    kind: "quarantine",
    check,
    subject: `dir ${seq}`,
    path,
    why: "w",
    bytes: 4096,
    daemon: "either",
    steps: [{ op: "quarantine", path }],
    guards: [
      { guard: "still-found", check, path },
      { guard: "not-mounted", path },
      { guard: "unchanged", path, dev: st.dev, ino: st.ino, ctimeMs: st.ctimeMs },
      { guard: "unreferenced", path },
    ],
  };
}

function planOf(root: string, actions: PlannedAction[]): Plan {
  return { runtime: "containerd", root, createdAt: "t", daemonUp: false, actions, unmended: [], bytes: 0 };
}

function recheckOf(
  actions: readonly PlannedAction[],
  referenced: readonly string[] = [],
): () => Promise<Recheck> {
  return async () => ({
    found: new Set(actions.map((a) => `${a.check}\u0000${a.path}`)),
    isReferenced: (p) => referenced.includes(p),
    daemonUp: false,
  });
}

/** What a rename must keep: type, mode, owner, times, inode (so hard links and xattrs), per path. */
function facts(root: string, rel: readonly string[]): string[] {
  return rel.map((r) => {
    const st = lstatSync(join(root, r));
    const x = execFileSync("getfattr", ["-h", "-d", "-m", "-", "--absolute-names", join(root, r)], {
      encoding: "utf8",
    })
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .join(",");
    return `${r} ${st.mode} ${st.uid}:${st.gid} ${st.mtimeMs} ${st.ino} ${st.nlink} ${x}`;
  });
}

const TREE = [
  "d snapshots/9/fs/dir",
  "f snapshots/9/fs/a.txt hello",
  "h snapshots/9/fs/dir/hard snapshots/9/fs/a.txt",
  "l snapshots/9/fs/link ../a.txt",
  "d snapshots/new-1/fs",
  "d tmpmounts/m1",
];
const PATHS = [
  "snapshots/9",
  "snapshots/9/fs/a.txt",
  "snapshots/9/fs/dir/hard",
  "snapshots/9/fs/link",
  "snapshots/new-1",
  "tmpmounts/m1",
];

test("apply moves each planned path into the run's items; undo puts every one back with the same inode, mode, owner, times, xattrs and hard links", {
  skip,
}, async () => {
  const root = tempDir("crifs-apply-");
  plantTree(root, TREE);
  execFileSync("setfattr", ["-n", "user.crifs", "-v", "kept", join(root, "snapshots/9/fs/a.txt")]);
  execFileSync("chown", ["-h", "1234:5678", join(root, "snapshots/9/fs/link")]);
  utimesSync(join(root, "snapshots/9/fs/a.txt"), 1_000_000, 1_000_000);
  const before = facts(root, PATHS);
  const actions = [
    action(1, join(root, "snapshots/9")),
    action(2, join(root, "snapshots/new-1")),
    action(3, join(root, "tmpmounts/m1"), "tmpmount-leftover"),
  ];
  const q = join(root, ".crifs-quarantine");
  const r = await applyPlan(planOf(root, actions), { quarantine: q, recheck: recheckOf(actions) });
  assert.equal(r.applied, 3);
  assert.deepEqual(r.skipped, []);
  for (const a of actions) assert.equal(existsSync(a.path), false, a.path);
  assert.deepEqual(readdirSync(join(r.runDir, "items")).sort(), ["1-0", "2-0", "3-0"]);
  const { records } = readJournal(r.runDir);
  assert.deepEqual(
    records.map((x) => x.type),
    // one batch: its intents in one append (one fsync), then the moves, then their dones in one append
    ["run", "intent", "intent", "intent", "done", "done", "done", "end"],
  );
  assert.equal(listRuns(q)[0]?.state, "done");
  assert.equal(listRuns(q)[0]?.items, 3);
  const undone = undoRun(r.runDir);
  assert.deepEqual(
    undone.map((u) => u.outcome),
    ["restored", "restored", "restored"],
  );
  assert.deepEqual(facts(root, PATHS), before);
  assert.equal(listRuns(q)[0]?.state, "undone");
});

test("a guard that fails skips its action with the reason: no longer found, changed since the plan, referenced now", {
  skip,
}, async () => {
  const root = tempDir("crifs-apply-");
  plantTree(root, ["d a", "d b", "d c", "d d"]);
  const [a, b, c, d] = ["a", "b", "c", "d"].map((n, i) => action(i + 1, join(root, n)));
  const actions = [a, b, c, d] as PlannedAction[];
  const recheck = async (): Promise<Recheck> => ({
    found: new Set(actions.filter((x) => x !== a).map((x) => `${x.check}\u0000${x.path}`)),
    isReferenced: (p) => p === c?.path,
    daemonUp: false,
  });
  execFileSync("chmod", ["700", join(root, "b")]); // ctime moves
  const r = await applyPlan(planOf(root, actions), { quarantine: join(root, ".crifs-quarantine"), recheck });
  assert.deepEqual(r.skipped, [
    { seq: 1, reason: "orphan-snapshot-dir no longer finds it" },
    { seq: 2, reason: "it changed since the plan was made" },
    { seq: 3, reason: "a record names it now" },
  ]);
  assert.equal(r.applied, 1);
  for (const n of ["a", "b", "c"]) assert.ok(existsSync(join(root, n)), n);
  assert.equal(existsSync(join(root, "d")), false);
});

test("without a re-check nothing is proven, so nothing moves", { skip }, async () => {
  const root = tempDir("crifs-apply-");
  plantTree(root, ["d a"]);
  const r = await applyPlan(planOf(root, [action(1, join(root, "a"))]), {
    quarantine: join(root, ".crifs-quarantine"),
  });
  assert.equal(r.applied, 0);
  assert.match(r.skipped[0]?.reason ?? "", /could not be proven/);
});

test("a run killed after an intent is finished by resume: moved already (done recorded) or not yet (moved now)", {
  skip,
}, async () => {
  const root = tempDir("crifs-apply-");
  plantTree(root, ["d a/x", "d b/y"]);
  const actions = [action(1, join(root, "a")), action(2, join(root, "b"))];
  const plan = planOf(root, actions);
  const q = join(root, ".crifs-quarantine");
  // what a kill leaves: a's intent and its rename, no done; b's intent only; the process gone
  const dead = Number(execFileSync("cat", ["/proc/sys/kernel/pid_max"], { encoding: "utf8" })) + 1;
  const header: RunHeader = {
    type: "run",
    version: 1,
    id: "r1",
    createdAt: "t",
    pid: dead,
    runtime: "containerd",
    root,
    plan,
  };
  const j = Journal.create(q, header);
  const itemA = join(q, "r1", "items", "1-0");
  const stA = lstatSync(join(root, "a"));
  j.appendIntent({
    type: "intent",
    seq: 1,
    step: 0,
    op: "quarantine",
    path: join(root, "a"),
    item: itemA,
    at: "t",
    dev: stA.dev,
    ino: stA.ino,
  });
  renameSync(join(root, "a"), itemA);
  const stB = lstatSync(join(root, "b"));
  j.appendIntent({
    type: "intent",
    seq: 2,
    step: 0,
    op: "quarantine",
    path: join(root, "b"),
    item: join(q, "r1", "items", "2-0"),
    at: "t",
    dev: stB.dev,
    ino: stB.ino,
  });
  j.close();
  assert.equal(listRuns(q)[0]?.state, "interrupted");
  // the rename moved a's ctime: the plan's unchanged guard would refuse, but a started action is finished
  const r = await applyPlan(plan, {
    quarantine: q,
    resume: join(q, "r1"),
    recheck: recheckOf([actions[1] as PlannedAction]),
  });
  assert.equal(r.applied, 2);
  assert.equal(existsSync(join(root, "b")), false);
  assert.ok(existsSync(join(q, "r1", "items", "2-0", "y")));
  const { records } = readJournal(join(q, "r1"));
  assert.equal(stepsOf(records).open.length, 0);
  assert.equal(stepsOf(records).done.length, 2);
  assert.equal(listRuns(q)[0]?.state, "done");
});

test("a path on another filesystem than the quarantine is refused with one line, and the journal says so", {
  skip,
}, async () => {
  const root = tempDir("crifs-apply-");
  const other = mkdtempSync("/dev/shm/crifs-apply-");
  try {
    plantTree(other, ["d a"]);
    const a = action(1, join(other, "a"));
    const plan = planOf(other, [a]);
    const q = join(root, ".crifs-quarantine");
    await assert.rejects(
      applyPlan(plan, { quarantine: q, recheck: recheckOf([a]) }),
      (err: unknown) =>
        err instanceof CrifsError &&
        err.code === "unsupported" &&
        /another filesystem/.test(err.message) &&
        !err.oneLine().includes("\n"),
    );
    assert.ok(existsSync(join(other, "a")));
    const run = listRuns(q)[0];
    const types = readJournal(run?.dir ?? "").records.map((r) => r.type);
    assert.deepEqual(types, ["run", "fail"]);
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

test("purge deletes the items of finished runs older than the limit and marks them purged; younger runs stay", {
  skip,
}, async () => {
  const root = tempDir("crifs-apply-");
  plantTree(root, ["f a/file data"]);
  const a = action(1, join(root, "a"));
  const q = join(root, ".crifs-quarantine");
  const r = await applyPlan(planOf(root, [a]), { quarantine: q, recheck: recheckOf([a]) });
  const young = purgeRuns(q, 3_600_000);
  assert.deepEqual(young.purged, []);
  assert.equal(young.kept[0]?.reason, "younger than --older-than");
  const old = purgeRuns(q, 0);
  assert.deepEqual(
    old.purged.map((p) => p.id),
    [r.runId],
  );
  assert.equal(existsSync(join(r.runDir, "items")), false);
  assert.equal(listRuns(q)[0]?.state, "purged");
  assert.throws(() => undoRun(r.runDir), /purged/);
});

test("an item outside the root (a kubelet log link) goes to a quarantine beside its dir, and undo and purge find it there", {
  skip,
}, async () => {
  const base = tempDir("crifs-apply-");
  const root = join(base, "root");
  plantTree(base, ["d root/snapshots", "d log/containers", "l log/containers/p_ns_c-1.log /nowhere/0.log"]);
  const link = join(base, "log", "containers", "p_ns_c-1.log");
  const a = action(1, link, "dangling-log-link");
  const q = join(root, ".crifs-quarantine");
  const r = await applyPlan(planOf(root, [a]), { quarantine: q, recheck: recheckOf([a]) });
  assert.equal(r.applied, 1);
  const item = join(base, "log", ".crifs-quarantine", r.runId, "items", "1-0");
  assert.equal(lstatSync(item).isSymbolicLink(), true);
  assert.equal(existsSync(join(r.runDir, "items", "1-0")), false);
  assert.deepEqual(
    undoRun(r.runDir).map((u) => u.outcome),
    ["restored"],
  );
  assert.equal(lstatSync(link).isSymbolicLink(), true);
  const again = await applyPlan(planOf(root, [action(1, link, "dangling-log-link")]), {
    quarantine: q,
    recheck: recheckOf([a]),
  });
  assert.equal(again.applied, 1);
  purgeRuns(q, 0);
  assert.equal(existsSync(join(base, "log", ".crifs-quarantine", again.runId)), false);
  assert.equal(existsSync(link), false);
});

test("itemsDirFor: the run's items for the root's paths, beside the dir for a log path, and the top of the path's own mount when it lies on another", () => {
  const where = { root: "/r", runDir: "/r/.crifs-quarantine/run", runId: "run" };
  const flat = () => "/";
  assert.equal(itemsDirFor("/r/snapshots/9", where, flat), "/r/.crifs-quarantine/run/items");
  assert.equal(itemsDirFor("/var/log/pods/a_b_c", where, flat), "/var/log/.crifs-quarantine/run/items");
  const home = (p: string) => (p === "/r/overlay" || p.startsWith("/r/overlay/") ? "/r/overlay" : "/");
  assert.equal(itemsDirFor("/r/overlay/abc", where, home), "/r/overlay/.crifs-quarantine/run/items");
  assert.equal(itemsDirFor("/r/other/abc", where, home), "/r/.crifs-quarantine/run/items");
});

/** Runs applyPlan in a child process that CRIFS_REPAIR_FAULT kills (SIGKILL) at boundary `n`. */
function applyKilledAt(plan: Plan, q: string, n: number): NodeJS.Signals | null {
  const dir = tempDir("crifs-apply-child-");
  const script = join(dir, "child.mjs");
  const applyJs = join(dirname(fileURLToPath(import.meta.url)), "apply.js");
  writeFileSync(
    script,
    `import { applyPlan } from ${JSON.stringify(applyJs)};
const plan = JSON.parse(process.env.PLAN);
const found = new Set(plan.actions.map((a) => a.check + "\\u0000" + a.path));
await applyPlan(plan, {
  quarantine: process.env.Q,
  faultAt: Number(process.env.N),
  recheck: async () => ({ found, isReferenced: () => false, daemonUp: false }),
});
`,
  );
  const r = spawnSync(process.execPath, [script], {
    env: { ...process.env, PLAN: JSON.stringify(plan), Q: q, N: String(n) },
    encoding: "utf8",
  });
  rmSync(dir, { recursive: true, force: true });
  return r.signal;
}

// 5 steps in one batch, 3 boundaries each: intents 1-5, moves 6-10, dones 11-15
for (const [n, when, moved] of [
  [5, "after the batch's intents are durable, before any of its moves", 0],
  [7, "in the middle of the batch's moves (two of its five made)", 2],
  [10, "after the batch's last move, before its dones", 5],
] as const) {
  for (const then of ["resume", "undo"] as const) {
    test(`a run killed ${when} is settled by ${then} from the disk: ${then === "resume" ? "every action moved once" : "every dir back"}, none lost`, {
      skip,
    }, async () => {
      const root = tempDir("crifs-apply-");
      const names = ["a", "b", "c", "d", "e"];
      plantTree(
        root,
        names.map((x) => `f snapshots/${x}/fs/file ${x}`),
      );
      const paths = names.map((x) => join(root, "snapshots", x));
      const before = facts(
        root,
        names.map((x) => `snapshots/${x}/fs/file`),
      );
      const actions = paths.map((p, i) => action(i + 1, p));
      const plan = planOf(root, actions);
      const q = join(root, ".crifs-quarantine");
      assert.equal(applyKilledAt(plan, q, n), "SIGKILL");
      const run = listRuns(q)[0];
      assert.equal(run?.state, "interrupted");
      const { records } = readJournal(run?.dir ?? "");
      assert.equal(stepsOf(records).done.length, 0);
      assert.equal(stepsOf(records).open.length, 5, "the batch's intents are all written before its moves");
      assert.equal(paths.filter((p) => !existsSync(p)).length, moved, "the moves made before the kill");
      if (then === "resume") {
        const r = await applyPlan(plan, {
          quarantine: q,
          resume: run?.dir ?? "",
          recheck: recheckOf(actions),
        });
        assert.equal(r.applied, 5);
        assert.deepEqual(r.skipped, []);
        for (const p of paths) assert.equal(existsSync(p), false, p);
        assert.deepEqual(readdirSync(join(run?.dir ?? "", "items")).sort(), [
          "1-0",
          "2-0",
          "3-0",
          "4-0",
          "5-0",
        ]);
        const after = readJournal(run?.dir ?? "").records;
        assert.equal(stepsOf(after).open.length, 0);
        assert.equal(stepsOf(after).done.length, 5);
        assert.equal(listRuns(q)[0]?.state, "done");
      }
      const undone = undoRun(run?.dir ?? "");
      assert.equal(undone.filter((u) => u.outcome === "kept").length, 0);
      for (const p of paths) assert.ok(existsSync(p), p);
      assert.deepEqual(
        facts(
          root,
          names.map((x) => `snapshots/${x}/fs/file`),
        ),
        before,
      );
      assert.equal(listRuns(q)[0]?.state, "undone");
    });
  }
}

for (const [name, engine] of [
  ["native", loadNativeScanner().scanner?.renameBatch],
  ["js", renameBatchJs],
] as const) {
  test(`a dir replaced between its guards and its move is refused by the move (${name}): its intent stays open beside a skip, the rest move, undo restores only those`, {
    skip: skip || engine === undefined,
  }, async () => {
    if (engine === undefined) return;
    const root = tempDir("crifs-apply-");
    plantTree(root, ["d a", "d b", "d c"]);
    const actions = ["a", "b", "c"].map((n, i) => action(i + 1, join(root, n)));
    // the swap happens after every guard ran and the intents are fsynced: only the move's own lstat sees it
    const rename: RenameBatch = (srcs, dsts, ids) => {
      renameSync(join(root, "b"), join(root, "b-old"));
      mkdirSync(join(root, "b"));
      return engine(srcs, dsts, ids);
    };
    const r = await applyPlan(planOf(root, actions), {
      quarantine: join(root, ".crifs-quarantine"),
      recheck: recheckOf(actions),
      rename,
    });
    assert.equal(r.applied, 2);
    assert.deepEqual(r.skipped, [{ seq: 2, reason: "another file stands at its path now" }]);
    assert.ok(existsSync(join(root, "b")));
    assert.deepEqual(readdirSync(join(r.runDir, "items")).sort(), ["1-0", "3-0"]);
    const { records } = readJournal(r.runDir);
    assert.deepEqual(
      records.map((x) => `${x.type}${"seq" in x ? x.seq : ""}`),
      ["run", "intent1", "intent2", "intent3", "skip2", "done1", "done3", "end"],
    );
    assert.deepEqual(
      stepsOf(records).open.map((x) => x.seq),
      [2],
    );
    const undone = undoRun(r.runDir);
    assert.deepEqual(
      undone.map((u) => `${u.seq} ${u.outcome}`).sort(),
      ["1 restored", "3 restored"], // b was never moved: nothing of it to restore
    );
    for (const n of ["a", "b", "c", "b-old"]) assert.ok(existsSync(join(root, n)), n);
  });
}

for (const [name, engine] of [
  ["native", loadNativeScanner().scanner?.renameBatch],
  ["js", renameBatchJs],
] as const) {
  test(`a dir whose name is not UTF-8 is moved by its bytes and put back by undo (${name})`, {
    skip: skip || engine === undefined,
  }, async () => {
    if (engine === undefined) return;
    const root = tempDir("crifs-apply-");
    const bytes = Buffer.concat([Buffer.from(`${root}/snap-`), Buffer.from([0xff, 0xfe])]);
    mkdirSync(bytes);
    const path = decodeName(bytes);
    const st = lstatSync(encodeName(path));
    const a: PlannedAction = {
      ...action(1, root),
      path,
      steps: [{ op: "quarantine", path }],
      guards: [
        { guard: "still-found", check: "orphan-snapshot-dir", path },
        { guard: "unchanged", path, dev: st.dev, ino: st.ino, ctimeMs: st.ctimeMs },
      ],
    };
    const r = await applyPlan(planOf(root, [a]), {
      quarantine: join(root, ".crifs-quarantine"),
      recheck: recheckOf([a]),
      rename: engine,
    });
    assert.equal(r.applied, 1);
    assert.equal(existsSync(bytes), false);
    assert.deepEqual(
      undoRun(r.runDir).map((u) => u.outcome),
      ["restored"],
    );
    assert.equal(lstatSync(bytes).ino, st.ino);
  });
}
