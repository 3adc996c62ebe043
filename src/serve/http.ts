// serve/http.ts — serve's HTTP(S) server: read-only GET/HEAD routes over the last good scan.
//
//   /metrics                the Prometheus text format (serve/metrics.ts)
//   /api/v1/<name>          stores, images, snapshots, containers, du, doctor: the commands' -o json text
//   /healthz                the process answers
//   /readyz                 503 until the first scan is done
//
// With a token file, every route but /healthz needs `Authorization: Bearer <token>`. The token is compared
// as SHA-256 digests with timingSafeEqual (constant time, whatever the length sent), never logged, and the
// file is read again when its inode, size or mtime change (a rotated secret needs no restart); a file that
// turns unreadable or empty refuses every request until it is fixed.

import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { isIP } from "node:net";
import { CrifsError, errnoWords } from "../errors.js";
import { handleWebApi, isWebAsset, serveWebAsset, type WebContext } from "../web/routes.js";
import type { ServeMetrics } from "./metrics.js";
import { type ApiName, apiNames, type ScanModel } from "./scan.js";

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** --listen: "host:port", "[v6]:port" or ":port" (every interface). */
export function parseListen(v: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:[\]]*):(\d+)$/.exec(v);
  const port = Number(m?.[2]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new CrifsError("usage", `cannot listen on "${v}": not host:port`, {
      remedy: "pass --listen 127.0.0.1:9637, [::1]:9637 or 0.0.0.0:9637",
    });
  }
  return { host: m[1] === "" ? "0.0.0.0" : (m[1] as string), port };
}

/** Whether only this machine can reach `host`. */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/** A bearer token kept in a file (see the header). */
export class TokenFile {
  readonly #path: string;
  #stamp = "";
  #digest: Buffer | null = null;

  /** Reads the file; throws a one-line CrifsError when it cannot be read or holds no token. */
  constructor(path: string) {
    this.#path = path;
    this.#read();
  }

  #read(): void {
    let text: string;
    let stamp: string;
    try {
      const st = statSync(this.#path);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      text = readFileSync(this.#path, "utf8");
    } catch (err) {
      throw new CrifsError(
        "not-found",
        `cannot read the token file: ${errnoWords((err as NodeJS.ErrnoException).code)}`,
        {
          path: this.#path,
          remedy: "pass --token-file with a file holding the bearer token",
        },
      );
    }
    const token = text.trim();
    if (token === "" || /\s/.test(token)) {
      throw new CrifsError(
        "usage",
        `cannot use the token file: ${token === "" ? "it is empty" : "the token holds whitespace"}`,
        {
          path: this.#path,
          remedy: "write one token (e.g. `openssl rand -hex 32`) on one line",
        },
      );
    }
    this.#stamp = stamp;
    this.#digest = createHash("sha256").update(token).digest();
  }

  /** Whether `authorization` carries the token. Cost: a stat (and a read when the file changed). */
  accepts(authorization: string | undefined): boolean {
    try {
      const st = statSync(this.#path);
      if (`${st.ino}:${st.size}:${st.mtimeMs}` !== this.#stamp) this.#read();
    } catch (err) {
      if (this.#digest !== null) {
        const why = err instanceof CrifsError ? err.oneLine() : String(err);
        process.stderr.write(`crifs: ${why}; refusing every request until it is fixed\n`);
      }
      this.#digest = null;
      this.#stamp = "";
    }
    const m = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
    if (this.#digest === null || m === null) return false;
    return timingSafeEqual(
      createHash("sha256")
        .update(m[1] as string)
        .digest(),
      this.#digest,
    );
  }
}

export interface ServerOptions {
  readonly listen: ListenAddress;
  readonly metrics: ServeMetrics;
  /** The last good scan, null before the first. */
  readonly model: () => ScanModel | null;
  readonly token?: TokenFile;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** The web view's routes under /web/ (web/routes.ts); absent: none. */
  readonly web?: WebContext;
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, {
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
  });
  res.end(head ? undefined : body);
}

const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";

async function handle(o: ServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const head = req.method === "HEAD";
  if (req.method !== "GET" && !head) {
    res.setHeader("Allow", "GET, HEAD");
    send(res, 405, TEXT, "crifs serve is read-only: GET or HEAD\n", false);
    return;
  }
  const url = new URL(req.url ?? "/", "http://x");
  const path = url.pathname;
  if (path === "/healthz") {
    send(res, 200, TEXT, "ok\n", head);
    return;
  }
  // the web view's page and script hold no data: the browser loads them without the token
  if (o.web !== undefined && isWebAsset(path)) {
    serveWebAsset(path, res, head);
    return;
  }
  if (o.token !== undefined && !o.token.accepts(req.headers.authorization)) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="crifs"');
    send(res, 401, TEXT, "a bearer token is needed: Authorization: Bearer <token>\n", head);
    return;
  }
  const model = o.model();
  if (path === "/metrics") {
    send(res, 200, o.metrics.contentType, await o.metrics.text(), head);
  } else if (path === "/readyz") {
    if (model === null) send(res, 503, TEXT, "the first scan is not done yet\n", head);
    else send(res, 200, TEXT, "ready\n", head);
  } else if (path.startsWith("/api/v1/") && apiNames.includes(path.slice(8) as ApiName)) {
    if (model?.api == null)
      send(res, 503, JSON_TYPE, `${JSON.stringify({ error: "the first scan is not done yet" })}\n`, head);
    else send(res, 200, JSON_TYPE, model.api[path.slice(8) as ApiName], head);
  } else if (
    o.web !== undefined &&
    path.startsWith("/web/api/") &&
    (await handleWebApi(o.web, url, res, head))
  ) {
    return;
  } else {
    const routes = ["/metrics", ...apiNames.map((n) => `/api/v1/${n}`), "/healthz", "/readyz"];
    send(res, 404, TEXT, `no such path; crifs serve has ${routes.join(", ")}\n`, head);
  }
}

/** Starts the server; resolves once it listens. Throws a one-line CrifsError when it cannot (port in use, …). */
export function startServer(o: ServerOptions): Promise<Server> {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(o, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, TEXT, `internal error: ${(err as Error).message}\n`, false);
      else res.destroy();
    });
  };
  let server: Server;
  try {
    server = o.tls === undefined ? createHttpServer(onRequest) : createHttpsServer(o.tls, onRequest);
  } catch (err) {
    throw new CrifsError(
      "usage",
      `cannot use the TLS certificate and key: ${(err as Error).message.split("\n")[0]}`,
      {
        remedy: "pass --tls-cert and --tls-key with a PEM certificate and its private key",
      },
    );
  }
  // a scrape every second must not pile up idle sockets; Prometheus keeps one alive
  server.keepAliveTimeout = 65_000;
  const where = `${o.listen.host.includes(":") ? `[${o.listen.host}]` : o.listen.host}:${o.listen.port}`;
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const why =
        err.code === "EADDRINUSE"
          ? "the address is in use"
          : err.code === "EADDRNOTAVAIL"
            ? "no interface of this machine has that address"
            : err.code === "EACCES"
              ? "permission denied"
              : err.code === "ENOTFOUND" || err.code === "EAI_AGAIN"
                ? "the host name does not resolve"
                : err.message;
      reject(
        new CrifsError(
          err.code === "EADDRINUSE" ? "busy" : err.code === "EACCES" ? "permission" : "usage",
          `cannot listen on ${where}: ${why}`,
          {
            remedy: "pass --listen with another address or port (e.g. --listen 127.0.0.1:9638)",
          },
        ),
      );
    });
    server.listen(o.listen.port, o.listen.host, () => resolve(server));
  });
}
