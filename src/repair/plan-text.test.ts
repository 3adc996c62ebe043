import assert from "node:assert/strict";
import { test } from "node:test";
import type { PlannedAction } from "./action.js";
import { actionText } from "./plan-text.js";

/** A quarantine action as the quarantine kind plans it (with its short link when `link`). */
function action(path: string, seq: number, link?: string): PlannedAction {
  const guards: PlannedAction["guards"][number][] = [
    { guard: "still-found", check: "orphan-layer-dir", path },
    { guard: "not-mounted", path },
    { guard: "unchanged", path, dev: 64769, ino: 1234567 + seq, ctimeMs: 1796678331807.0356 },
    { guard: "unreferenced", path },
  ];
  const steps: PlannedAction["steps"][number][] = [];
  if (link !== undefined) {
    guards.push(
      { guard: "unchanged", path: link, dev: 64769, ino: 7, ctimeMs: 1.25 },
      { guard: "unreferenced", path: link },
    );
    steps.push({ op: "quarantine", path: link });
  }
  steps.push({ op: "quarantine", path });
  return {
    seq,
    kind: "quarantine",
    check: "orphan-layer-dir",
    subject: `overlay dir ${path.slice(-6)}`,
    path,
    why: `no layer record names "${path}"`,
    bytes: seq % 2 === 0 ? null : 4096 * seq,
    daemon: "either",
    steps,
    guards,
  };
}

test("an action's text is JSON.stringify's, for any path and the usual shapes", () => {
  const names = ['a"b', "c\\d", "e\nf", "g\th", "i\u0001j", "ünï", "\u2028", "\ud800", "plain", "😀"];
  const stringify = JSON.stringify;
  for (const [i, name] of names.entries()) {
    const path = `/r/overlay/${name}`;
    for (const a of [action(path, i + 1), action(path, i + 2, `/r/overlay/l/${name}X`)]) {
      // the usual shape is built from its parts: JSON.stringify is handed its strings, never an object
      let objects = 0;
      JSON.stringify = ((v: unknown) => {
        if (typeof v === "object") objects++;
        return stringify(v);
      }) as typeof JSON.stringify;
      let text: string;
      try {
        text = actionText(a);
      } finally {
        JSON.stringify = stringify;
      }
      assert.equal(objects, 0, name);
      assert.equal(text, JSON.stringify(a), name);
    }
  }
});

test("an action of another shape is JSON.stringify's too", () => {
  const a = action("/r/s/1", 3);
  const { seq, kind, ...rest } = a;
  const nan = {
    ...a,
    guards: [{ guard: "unchanged" as const, path: a.path, dev: 1, ino: 2, ctimeMs: Number.NaN }],
  };
  const others: unknown[] = [
    nan,
    { ...a, bytes: Number.POSITIVE_INFINITY },
    { ...a, depth: 4 }, // a key more
    { kind, seq, ...rest }, // another key order
    { ...a, kind: "short-link" },
    { ...a, steps: [{ op: "symlink", path: a.path, target: "../x" }] },
    {
      ...a,
      steps: [{ op: "api", call: "ctr snapshots rm x", request: { api: "docker.image.remove", id: "x" } }],
    },
    { ...a, guards: [{ guard: "unchanged", path: a.path, dev: 1, ino: 2, ctimeMs: 3, extra: true }] },
    { ...a, guards: [{ path: a.path, guard: "not-mounted" }] },
    { ...a, subject: undefined },
  ];
  for (const o of others) assert.equal(actionText(o as PlannedAction), JSON.stringify(o));
});
