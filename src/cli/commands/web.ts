// cli/commands/web.ts — `crifs web [--listen 127.0.0.1:0] [--open]`: one scan of the stores the global flags
// name (as `crifs serve` makes it: du and doctor), then the web view of it (web/routes.ts) on a free loopback
// port, its URL on stdout, until SIGTERM or SIGINT. For a single look; `crifs serve` serves the same view of a
// scan it keeps fresh. Read-only.

import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { CrifsError } from "../../errors.js";
import { parseListen, startServer } from "../../serve/http.js";
import { ServeMetrics } from "../../serve/metrics.js";
import { ScanFailure, type ScanModel, scanStores } from "../../serve/scan.js";
import { packageVersion } from "../package-version.js";
import type { GlobalOptions } from "../stores.js";
import { parseGrace } from "./doctor.js";

/** Default of --listen: loopback, a port the kernel picks. */
export const DEFAULT_WEB_LISTEN = "127.0.0.1:0";

/** `crifs web` as the command line runs it; resolves when a signal has stopped it. */
export async function webAction(g: GlobalOptions, o: Record<string, unknown>): Promise<void> {
  const listen = parseListen(typeof o.listen === "string" ? o.listen : DEFAULT_WEB_LISTEN);
  const graceSeconds = parseGrace(typeof o.grace === "string" ? o.grace : "60");
  // the scan before the port: a store that cannot be read is one line and an exit code, not an empty page
  let model: ScanModel;
  try {
    model = await scanStores(g, { doctor: { mode: "default", graceSeconds } });
  } catch (err) {
    // serve keeps a failed scan's stores for its metrics; here the store's own one-line error is the answer
    if (err instanceof ScanFailure && err.cause instanceof CrifsError) throw err.cause;
    throw err;
  }
  const server = await startServer({
    listen,
    metrics: new ServeMetrics({ version: packageVersion(), topImages: 0 }),
    model: () => model,
    web: { model: () => model, g, graceSeconds },
  });
  const port = (server.address() as AddressInfo).port;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${port}/web/`;
  process.stdout.write(`${url}\n`);
  process.stderr.write("crifs: serving the web view until Ctrl-C (SIGINT) or SIGTERM\n");
  if (o.open === true) {
    // the desktop's browser, if there is one; a node without one still has the URL above
    const child = spawn("xdg-open", [url], { stdio: "ignore", detached: true });
    child.on("error", () => process.stderr.write(`crifs: cannot run xdg-open: open ${url} in a browser\n`));
    child.unref();
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  process.stderr.write(`crifs: stopped (${signal})\n`);
}
