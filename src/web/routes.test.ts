import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startServer, TokenFile } from "../serve/http.js";
import { ServeMetrics } from "../serve/metrics.js";
import type { ScanModel } from "../serve/scan.js";
import { CSP } from "./routes.js";

const model: ScanModel = {
  finishedAtMs: 1,
  durationSeconds: 0,
  stores: [],
  api: {
    stores: "[]",
    images: "[]",
    snapshots: '[{"key":"a"}]',
    containers: "[]",
    du: '{"root":"/r"}',
    doctor: '{"findings":[]}',
  },
};

test("the web routes: the page and script without the token, /web/api/view with it (serve's JSON of the scan), a strict CSP on each, GET and HEAD only", async () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-web-"));
  writeFileSync(join(dir, "token"), "t0k3n\n");
  const server = await startServer({
    listen: { host: "127.0.0.1", port: 0 },
    metrics: new ServeMetrics({ version: "0", topImages: 0 }),
    model: () => model,
    token: new TokenFile(join(dir, "token")),
    web: { model: () => model, g: { output: "json", debug: false } },
  });
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const path of ["/web/", "/web/app.js", "/web/app.css"]) {
      const r = await fetch(`${base}${path}`);
      // 200 once built (npm run build), 500 naming the missing file before; never 401: no data in them
      assert.ok(r.status === 200 || r.status === 500, `${path}: ${r.status}`);
      assert.equal(r.headers.get("content-security-policy"), CSP);
    }
    assert.match(CSP, /default-src 'self'/);
    assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal((await fetch(`${base}/web/api/view`)).status, 401);
    const ok = await fetch(`${base}/web/api/view`, { headers: { Authorization: "Bearer t0k3n" } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("content-security-policy"), CSP);
    const view = (await ok.json()) as Record<string, unknown>;
    assert.deepEqual(view.snapshots, [{ key: "a" }]);
    assert.deepEqual(view.doctor, { findings: [] });
    assert.equal((await fetch(`${base}/web/api/view`, { method: "POST" })).status, 405);
    assert.equal(
      (await fetch(`${base}/web/api/nothing`, { headers: { Authorization: "Bearer t0k3n" } })).status,
      404,
    );
  } finally {
    server.close();
    server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  }
});
