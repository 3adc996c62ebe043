import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { computeLogUsage } from "./log-usage.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-logusage-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const duB1 = (p: string) =>
  Number(execFileSync("du", ["-s", "-B1", "-x", p], { encoding: "utf8" }).split("\t")[0]);

test("each pod's and container's bytes equal du -s -B1 of its dir, rotated copies included", async () => {
  const root = join(dir, "pods");
  const app = join(root, "default_web-0_u1", "app");
  const side = join(root, "default_web-0_u1", "side");
  const main = join(root, "batch_job_u2", "main");
  for (const d of [app, side, main]) mkdirSync(d, { recursive: true });
  writeFileSync(join(app, "0.log"), "x".repeat(10_000));
  writeFileSync(join(app, "0.log.20260101-000000.gz"), "y".repeat(5000));
  writeFileSync(join(side, "0.log"), "z");
  writeFileSync(join(main, "1.log"), "w".repeat(70_000));
  const u = await computeLogUsage(root);
  assert.equal(u.total.allocatedBytes, duB1(root));
  assert.deepEqual(
    u.pods.map((p) => [p.name, p.uid, p.allocatedBytes]),
    [
      ["batch_job_u2", "u2", duB1(join(root, "batch_job_u2"))],
      ["default_web-0_u1", "u1", duB1(join(root, "default_web-0_u1"))],
    ],
  );
  const web = u.pods[1];
  assert.deepEqual(
    web?.containers.map((c) => [c.name, c.files, c.allocatedBytes]),
    [
      ["app", ["0.log", "0.log.20260101-000000.gz"], duB1(app)],
      ["side", ["0.log"], duB1(side)],
    ],
  );
});

test("a missing log root has no usage", async () => {
  const u = await computeLogUsage(join(dir, "none"));
  assert.deepEqual([u.total.allocatedBytes, u.pods.length, u.errors.length], [0, 0, 0]);
});
