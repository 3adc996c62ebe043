import assert from "node:assert/strict";
import { test } from "node:test";
import type { Finding } from "../checks/check.js";
import { emptyStore } from "../model/testing.js";
import type { ActionKind } from "./action.js";
import { isInside, planRepairs } from "./planner.js";

const ROOT = "/r";
const store = emptyStore({ runtime: "containerd", root: ROOT });
const NOW = Date.parse("2026-01-01T12:00:00Z");

function finding(check: string, path: string, bytes: number | null = 4096, subject = `x ${path}`): Finding {
  return { check, severity: "warning", subject, path, bytes, message: "m", remedy: `fix ${path}` };
}

const opts = { daemonUp: false, now: NOW, graceMs: 0 };

test("one action per finding a kind mends; deeper paths first, then by path; bytes summed", () => {
  const plan = planRepairs(
    [
      finding("orphan-snapshot-dir", "/r/snapshots/9"),
      finding("tmpmount-leftover", "/r/tmpmounts/m1", 100),
      finding("stale-ingest", "/r/content/ingest/abc/def", 4096, "ingest dir def"),
    ],
    store,
    opts,
  );
  assert.deepEqual(
    plan.actions.map((a) => `${a.seq} ${a.path}`),
    ["1 /r/content/ingest/abc/def", "2 /r/snapshots/9", "3 /r/tmpmounts/m1"],
  );
  assert.equal(plan.bytes, 4096 * 2 + 100);
  assert.equal(plan.createdAt, "2026-01-01T12:00:00.000Z");
  assert.deepEqual(plan.unmended, []);
});

test("a finding no kind mends is unmended with the reason and the finding's remedy", () => {
  const plan = planRepairs([finding("stale-mount", "/r/x"), finding("no-such-check", "/r/y")], store, opts);
  assert.deepEqual(plan.actions, []);
  assert.deepEqual(
    plan.unmended.map((u) => [u.check, u.remedy]),
    [
      ["stale-mount", "fix /r/x"],
      ["no-such-check", "fix /r/y"],
    ],
  );
  assert.match(plan.unmended[0]?.reason ?? "", /never unmounts/);
});

test("steps outside the root, on the root itself, or in the quarantine are never planned; log paths only in the log dirs", () => {
  const plan = planRepairs(
    [
      finding("orphan-snapshot-dir", "/etc/passwd"),
      finding("orphan-snapshot-dir", "/r"),
      finding("orphan-snapshot-dir", "/r/../etc"),
      finding("orphan-snapshot-dir", "/r/.crifs-quarantine/run/items/1-0"),
      finding("dangling-log-link", "/var/log/containers/a.log"),
      finding("dangling-log-link", "/elsewhere/a.log"),
    ],
    store,
    { ...opts, logDirs: ["/var/log/pods", "/var/log/containers"] },
  );
  assert.deepEqual(
    plan.actions.map((a) => a.path),
    ["/var/log/containers/a.log"],
  );
  assert.equal(plan.unmended.length, 5);
  for (const u of plan.unmended) assert.match(u.reason, /^not touched: /);
});

test("a kind that declines passes the finding to the next kind listing its check; API actions come after file steps, children first", () => {
  const decline: ActionKind = { id: "decline", checks: ["c"], plan: () => ({ unmended: "not mine" }) };
  const api: ActionKind = {
    id: "api",
    checks: ["c", "d"],
    plan: (f) => ({
      kind: "api",
      check: f.check,
      subject: f.subject,
      path: f.path,
      why: "w",
      bytes: 0,
      daemon: "up",
      depth: f.path.endsWith("child") ? 2 : 1,
      steps: [
        { op: "api", call: "ctr rm", request: { api: "containerd.leases.delete", namespace: "n", id: "x" } },
      ],
      guards: [],
    }),
  };
  const file: ActionKind = {
    id: "file",
    checks: ["e"],
    plan: (f) =>
      ({
        ...(api.plan(f, {} as never) as object),
        kind: "file",
        steps: [{ op: "quarantine", path: f.path }],
      }) as never,
  };
  const plan = planRepairs(
    [finding("c", "/r/parent"), finding("d", "/r/a/b/c/child"), finding("e", "/r/z")],
    store,
    { ...opts, kinds: [decline, api, file] },
  );
  assert.deepEqual(
    plan.actions.map((a) => `${a.kind} ${a.path}`),
    ["file /r/z", "api /r/a/b/c/child", "api /r/parent"],
  );
});

test("isInside is strict and normalizes", () => {
  assert.equal(isInside("/r/a", "/r"), true);
  assert.equal(isInside("/r", "/r"), false);
  assert.equal(isInside("/rr/a", "/r"), false);
  assert.equal(isInside("/r/../x", "/r"), false);
  assert.equal(isInside("/r/a", "/r/"), true);
});
