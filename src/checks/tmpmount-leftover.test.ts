import assert from "node:assert/strict";
import { test } from "node:test";
import { brief, NOW, scenario } from "./testing.js";
import { tmpmountLeftover } from "./tmpmount-leftover.js";

test("unmounted tmpmounts dirs are leftovers; mounted and young ones are not", () => {
  const input = scenario()
    .tmpmount("containerd-mount1234567890")
    .tmpmount("containerd-mount1", { mounted: true })
    .tmpmount("containerd-mount2", { mtimeMs: NOW - 1000 })
    .input();
  assert.deepEqual(tmpmountLeftover.run(input).map(brief), [
    "tmpmount-leftover /r/tmpmounts/containerd-mount1234567890 - tmpmount containerd-mount1234567890",
  ]);
});
