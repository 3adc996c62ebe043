// live/unix-http.ts — one HTTP call over a unix socket (node:http's socketPath), for the two daemons that
// speak HTTP there: Docker's Engine API and CRI-O's info API. A GET, or the DELETE of `crifs repair --apply`
// (Docker's image removal). Bounded: one deadline for the whole request (deadline.ts) and a largest body.

import type * as http from "node:http";
import { createRequire } from "node:module";
import { CrifsError } from "../errors.js";
import { type Call, transportError, withDeadline } from "./deadline.js";

/** Largest response body read (docker's /system/df on a big host is a few MB). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface UnixHttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** How a GET goes: --timeout for the whole request (default 5 s), and who should answer (for the words). */
export interface UnixHttpOptions {
  /** The whole request, connect to last body byte (deadline.ts). Default 5000. */
  readonly timeoutMs?: number;
  /** "Docker", "CRI-O": what the socket should be. Default "HTTP". */
  readonly speaker?: string;
  /** Default "GET"; "DELETE" only for a repair the plan names. */
  readonly method?: "GET" | "DELETE";
}

/**
 * GET (or options.method) `path` from the HTTP server on `socket`, bounded whole by the deadline: a server
 * that accepts and says nothing, trickles, or stalls its body is cut off then. Rejects with a one-line
 * CrifsError (not-found/permission/busy/unsupported/corrupt).
 */
export function getUnix(
  socket: string,
  path: string,
  options: UnixHttpOptions = {},
): Promise<UnixHttpResponse> {
  const call: Call = { socket, timeoutMs: options.timeoutMs ?? 5000, speaker: options.speaker ?? "HTTP" };
  const what = options.method === undefined ? `read ${path}` : `${options.method} ${path}`;
  return withDeadline(
    call,
    what,
    (signal) =>
      new Promise<UnixHttpResponse>((done, fail) => {
        // node:http loads on first use: only live calls need it (start-up, issue 15)
        const { request } = createRequire(import.meta.url)("node:http") as typeof http;
        const req = request(
          { socketPath: socket, path, method: options.method ?? "GET", headers: { host: "localhost" } },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on("data", (c: Buffer) => {
              size += c.length;
              if (size > MAX_BODY_BYTES) {
                req.destroy();
                fail(
                  new CrifsError(
                    "corrupt",
                    `cannot ${what}: the answer is larger than ${MAX_BODY_BYTES} bytes`,
                    {
                      path: socket,
                      remedy: "is this socket the daemon it claims to be?",
                    },
                  ),
                );
                return;
              }
              chunks.push(c);
            });
            res.on("end", () =>
              done({
                status: res.statusCode ?? 0,
                contentType: String(res.headers["content-type"] ?? ""),
                body: Buffer.concat(chunks).toString("utf8"),
              }),
            );
            res.on("error", (err) => fail(wrap(err, call, what)));
          },
        );
        // the deadline drops the connection whatever phase it is in (connect, headers, body)
        signal.addEventListener("abort", () => req.destroy(), { once: true });
        req.on("error", (err) => fail(wrap(err, call, what)));
        req.end();
      }),
  );
}

function wrap(err: unknown, call: Call, what: string): CrifsError {
  if (err instanceof CrifsError) return err;
  const e = err as NodeJS.ErrnoException;
  return transportError(call, what, `${e.code ?? ""} ${e.message ?? ""}`, err);
}

/** GET and parse a JSON answer; a non-2xx status or a body that is not JSON is a CrifsError. */
export async function getUnixJson(
  socket: string,
  path: string,
  options: UnixHttpOptions = {},
): Promise<unknown> {
  const r = await getUnix(socket, path, options);
  if (r.status < 200 || r.status > 299) {
    throw new CrifsError(
      r.status === 404 ? "not-found" : "unsupported",
      `cannot read ${path}: HTTP ${r.status}: ${r.body.trim().slice(0, 200)}`,
      {
        path: socket,
        remedy: "check that the socket is the daemon crifs expects",
      },
    );
  }
  try {
    return JSON.parse(r.body) as unknown;
  } catch (err) {
    throw new CrifsError("corrupt", `cannot read ${path}: the answer is not JSON`, {
      path: socket,
      remedy: "check that the socket is the daemon crifs expects",
      cause: err,
    });
  }
}
