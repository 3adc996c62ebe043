import assert from "node:assert/strict";
import { test } from "node:test";
import type { DoctorInput } from "../../checks/doctor-input.js";
import { incompleteLayer } from "../../checks/incomplete-layer.js";
import { HOME, NOW, overlayScenario } from "../../checks/testing-overlay.js";
import type { PlanContext } from "../action.js";
import { apiPodmanOpenStore } from "./api-podman-open-store.js";

function ctx(input: DoctorInput): PlanContext {
  assert.ok(input.store !== null);
  return { store: input.store, daemonUp: false, now: NOW, graceMs: 60_000 };
}

test("a layer flagged incomplete that nothing stands on is left to podman's own clean-up, as a podman command", () => {
  const input = overlayScenario().layer("base").layer("half", { incomplete: true }).input();
  const [f] = incompleteLayer.run(input);
  assert.ok(f !== undefined);
  const { root, state } = ctx(input).store.location;
  const argv = [
    ...["--root", root],
    ...(state === null ? [] : ["--runroot", state]),
    ...["--storage-driver", "overlay", "images", "--quiet"],
  ];
  assert.deepEqual(apiPodmanOpenStore.plan(f, ctx(input)), {
    kind: "api-podman-open-store",
    check: "incomplete-layer",
    subject: "layer half",
    path: `${HOME}/half`,
    why: "containers/storage flagged it incomplete and deletes it itself when podman opens the store; no image, container or layer stands on it",
    bytes: f.bytes,
    daemon: "either",
    steps: [{ op: "api", call: `podman ${argv.join(" ")}`, request: { api: "podman.command", argv } }],
    guards: [
      { guard: "still-found", check: "incomplete-layer", path: `${HOME}/half` },
      { guard: "not-mounted", path: `${HOME}/half` },
      { guard: "unreferenced", path: `${HOME}/half` },
    ],
  });
});

test("an incomplete layer an image or child stands on, and a dir without diff/, are not planned", () => {
  const input = overlayScenario()
    .layer("base", { incomplete: true })
    .layer("top", { parent: "base" })
    .image("bb:latest", "top")
    .layer("nodiff", { noDiff: true })
    .input();
  const out = incompleteLayer.run(input).map((f) => {
    const a = apiPodmanOpenStore.plan(f, ctx(input));
    return `${f.subject}: ${"unmended" in a ? a.unmended.split(";")[0] : a.kind}`;
  });
  assert.deepEqual(out.sort(), [
    "layer base: image bb:latest stands on it, and containers/storage would delete it under them",
    "layer nodiff: its dir has no diff/: containers/storage does not clean that up",
  ]);
});
