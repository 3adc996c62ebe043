import assert from "node:assert/strict";
import { test } from "node:test";
import { danglingShortLink } from "../../checks/dangling-short-link.js";
import { missingShortLink } from "../../checks/missing-short-link.js";
import { scenario } from "../../checks/testing.js";
import { linkPath, NOW, overlayScenario, shortOf } from "../../checks/testing-overlay.js";
import type { Store } from "../../model/store.js";
import type { PathIdentity, PlanContext } from "../action.js";
import { shortLink } from "./short-link.js";

function ctx(store: Store | null, identities?: ReadonlyMap<string, PathIdentity>): PlanContext {
  assert.ok(store !== null);
  return {
    store,
    daemonUp: false,
    now: NOW,
    graceMs: 60_000,
    ...(identities === undefined ? {} : { identities }),
  };
}

test("a missing link is made as the driver makes it; one pointing at another layer is moved aside first", () => {
  const input = overlayScenario()
    .layer("base", { noShortLink: true })
    .layer("top", { parent: "base", linkTo: "base" })
    .input();
  const plans = missingShortLink.run(input).map((f) => shortLink.plan(f, ctx(input.store)));
  assert.deepEqual(plans, [
    {
      kind: "short-link",
      check: "missing-short-link",
      subject: "layer base",
      path: linkPath(shortOf("base")),
      bytes: 0,
      daemon: "either",
      why: "layer base's link file names it; the driver makes it as ../base/diff",
      steps: [{ op: "symlink", path: linkPath(shortOf("base")), target: "../base/diff" }],
      guards: [{ guard: "still-found", check: "missing-short-link", path: linkPath(shortOf("base")) }],
    },
    {
      kind: "short-link",
      check: "missing-short-link",
      subject: "layer top",
      path: linkPath(shortOf("top")),
      bytes: 0,
      daemon: "either",
      why: "layer top's link file names it; the driver makes it as ../top/diff",
      steps: [
        { op: "quarantine", path: linkPath(shortOf("top")) },
        { op: "symlink", path: linkPath(shortOf("top")), target: "../top/diff" },
      ],
      guards: [
        { guard: "still-found", check: "missing-short-link", path: linkPath(shortOf("top")) },
        { guard: "not-mounted", path: linkPath(shortOf("top")) },
      ],
    },
  ]);
});

test("what the plan saw on disk decides whether a link is moved aside first, and pins its inode", () => {
  const input = overlayScenario().layer("base", { noShortLink: true }).input();
  const [f] = missingShortLink.run(input);
  assert.ok(f !== undefined);
  const seen = new Map([[f.path, { dev: 1, ino: 2, ctimeMs: 3 }]]);
  const a = shortLink.plan(f, ctx(input.store, seen));
  assert.ok(!("unmended" in a));
  assert.deepEqual(
    a.steps.map((s) => s.op),
    ["quarantine", "symlink"],
  );
  assert.deepEqual(a.guards[2], { guard: "unchanged", path: f.path, dev: 1, ino: 2, ctimeMs: 3 });
});

test("a dangling link no layer names is moved into the quarantine; one a layer names is left to missing-short-link", () => {
  const input = overlayScenario()
    .layer("base")
    .strayLink("STRAY", "gone")
    .layer("top", { parent: "base", linkTo: "gone" })
    .input();
  const out = danglingShortLink
    .run(input)
    .map((f) => [f.subject, shortLink.plan(f, ctx(input.store))] as const);
  assert.deepEqual(out, [
    [
      `short link ${shortOf("top")}`,
      {
        unmended:
          "layer top names it in its link file: the missing-short-link action makes it point to that layer again",
      },
    ],
    [
      "short link STRAY",
      {
        kind: "short-link",
        check: "dangling-short-link",
        subject: "short link STRAY",
        path: linkPath("STRAY"),
        bytes: 0,
        daemon: "either",
        why: "its layer dir is gone and no layer's link file names it: nothing can use it",
        steps: [{ op: "quarantine", path: linkPath("STRAY") }],
        guards: [
          { guard: "still-found", check: "dangling-short-link", path: linkPath("STRAY") },
          { guard: "not-mounted", path: linkPath("STRAY") },
          { guard: "unreferenced", path: linkPath("STRAY") },
        ],
      },
    ],
  ]);
});

test("containerd has no short links", () => {
  const input = scenario().input();
  const a = shortLink.plan(
    {
      check: "missing-short-link",
      severity: "error",
      subject: "layer x",
      path: "/r/l/X",
      bytes: 0,
      message: "",
      remedy: "",
    },
    ctx(input.store),
  );
  assert.deepEqual(a, { unmended: "containerd's snapshotter keeps no l/ short links" });
});
