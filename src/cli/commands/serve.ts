// cli/commands/serve.ts — `crifs serve`: scans the stores the global flags name (every one found without
// them, as `crifs audit` finds them) on an interval, in a worker thread, and serves the last good scan over
// HTTP(S): Prometheus metrics, the commands' JSON, health and readiness (serve/http.ts). Read-only. Runs until
// SIGTERM or SIGINT, then closes the server and ends the scan. docs/serve.md says how to run it.

import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { CrifsError, errnoWords } from "../../errors.js";
import { adapters } from "../../runtimes/index.js";
import { isLoopback, parseListen, startServer, TokenFile } from "../../serve/http.js";
import { DEFAULT_TOP_IMAGES, ServeMetrics } from "../../serve/metrics.js";
import type { ScanModel } from "../../serve/scan.js";
import { ScanScheduler } from "../../serve/scheduler.js";
import { packageVersion } from "../package-version.js";
import { type GlobalOptions, loadOptions, noStoreFound } from "../stores.js";
import { parseGrace } from "./doctor.js";

/** Default of --listen: loopback only. */
export const DEFAULT_LISTEN = "127.0.0.1:9637";
/** Default of --interval. */
export const DEFAULT_INTERVAL = "5m";

/** --interval: "500ms", "30s", "5m", "1h" → milliseconds. */
export function parseInterval(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  const ms = m === null ? Number.NaN : Number(m[1]) * unit[m[2] as keyof typeof unit];
  if (!(ms >= 1000)) {
    throw new CrifsError("usage", `cannot scan every "${v}": not a duration of 1s or more`, {
      remedy: "pass --interval 5m, 30s or 1h",
    });
  }
  return ms;
}

function parseTopImages(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 10_000) {
    throw new CrifsError("usage", `invalid --top-images "${v}": expected a whole number up to 10000`, {
      remedy: "e.g. --top-images 10 (0: no per-image series)",
    });
  }
  return Number(v);
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CrifsError(
      "not-found",
      `cannot read the TLS ${what}: ${errnoWords((err as NodeJS.ErrnoException).code)}`,
      {
        path,
        remedy: `pass --tls-${what === "certificate" ? "cert" : "key"} with a PEM file crifs can read`,
      },
    );
  }
}

function note(line: string): void {
  process.stderr.write(`crifs: ${line}\n`);
}

/** `crifs serve` as the command line runs it; resolves when a signal has stopped it. */
export async function serveAction(g: GlobalOptions, o: Record<string, unknown>): Promise<void> {
  const str = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
  const listen = parseListen(str("listen") ?? DEFAULT_LISTEN);
  const intervalMs = parseInterval(str("interval") ?? DEFAULT_INTERVAL);
  const topImages = parseTopImages(str("topImages") ?? String(DEFAULT_TOP_IMAGES));
  const graceSeconds = parseGrace(str("grace") ?? "60");
  const tlsCert = str("tlsCert");
  const tlsKey = str("tlsKey");
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new CrifsError("usage", "cannot serve TLS with only one of --tls-cert and --tls-key", {
      remedy: "pass both: the PEM certificate and its private key",
    });
  }
  const tokenPath = str("tokenFile");
  const token = tokenPath === undefined ? undefined : new TokenFile(tokenPath);
  const tls =
    tlsCert === undefined || tlsKey === undefined
      ? undefined
      : { cert: readPem(tlsCert, "certificate"), key: readPem(tlsKey, "key") };
  // no store at all is worth one line now, not a server whose every scan fails
  if (g.runtime === undefined && !adapters.some((a) => a.detect(loadOptions(g)))) throw noStoreFound(g);

  const metrics = new ServeMetrics({ version: packageVersion(), topImages });
  let model: ScanModel | null = null;
  // the line of the last failed scan while scans keep failing the same way: said once, not every interval
  let failing: string | null = null;
  const server = await startServer({
    listen,
    metrics,
    model: () => model,
    web: { model: () => model, g, graceSeconds },
    ...(token === undefined ? {} : { token }),
    ...(tls === undefined ? {} : { tls }),
  });
  const port = (server.address() as AddressInfo).port;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  const url = `${tls === undefined ? "http" : "https"}://${host}:${port}`;
  if (!isLoopback(listen.host) && token === undefined)
    note(
      `warning: ${url} is reachable from other machines and --token-file is not set: whoever reaches it reads the stores' metadata`,
    );

  const scheduler = new ScanScheduler({
    g,
    scan: { doctor: { mode: "default", graceSeconds } },
    intervalMs,
    deadlineMs: Math.max(3 * intervalMs, 10 * 60_000),
    onScan: (m) => {
      if (model === null) note(`first scan done in ${m.durationSeconds.toFixed(1)} s: ready`);
      else if (failing !== null) note("scans succeed again");
      failing = null;
      model = m;
      metrics.update(m);
      metrics.countScan("success");
    },
    onFailure: (f) => {
      metrics.countScan("failure");
      // a failure of no one store (the doctor run, the worker) counts against every store
      for (const s of f.stores.length > 0 ? f.stores : (model?.stores ?? [])) metrics.countStoreError(s);
      if (f.line !== failing)
        note(
          `scan failed: ${f.line} (${model === null ? "" : "serving the last good scan; "}the same failure again is counted, not printed)`,
        );
      failing = f.line;
    },
  });
  note(
    `serving ${url}/metrics, /api/v1/{stores,images,snapshots,containers,du,doctor}, /healthz, /readyz, the web view ${url}/web/; a scan every ${str("interval") ?? DEFAULT_INTERVAL}${scheduler.isThreaded ? "" : " (in the server's thread: no worker module)"}`,
  );
  scheduler.start();

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  await scheduler.stop();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  note(`stopped (${signal})`);
}
