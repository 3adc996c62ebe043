// live/unix-http.ts — one HTTP GET over a unix socket (node:http's socketPath), for the two daemons that
// speak HTTP there: Docker's Engine API and CRI-O's info API. Bounded: a timeout and a largest body.

import { request } from "node:http";
import { CrifsError, errnoWords } from "../errors.js";

/** Largest response body read (docker's /system/df on a big host is a few MB). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface UnixHttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** GET `path` from the HTTP server on `socket`. Rejects with a CrifsError (not-found/permission/busy/corrupt). */
export function getUnix(
  socket: string,
  path: string,
  options: { timeoutMs?: number } = {},
): Promise<UnixHttpResponse> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((done, fail) => {
    const req = request(
      { socketPath: socket, path, method: "GET", headers: { host: "localhost" } },
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
                `cannot read ${path}: the answer is larger than ${MAX_BODY_BYTES} bytes`,
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
        res.on("error", (err) => fail(wrap(err, socket, path)));
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      fail(
        new CrifsError("busy", `cannot read ${path}: no answer within ${timeoutMs} ms`, {
          path: socket,
          remedy: "the daemon is stuck or busy; crifs reads its files without it",
        }),
      );
    });
    req.on("error", (err) => fail(wrap(err, socket, path)));
    req.end();
  });
}

function wrap(err: unknown, socket: string, path: string): CrifsError {
  if (err instanceof CrifsError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const kind =
    code === "EACCES" || code === "EPERM"
      ? "permission"
      : code === "ENOENT" || code === "ECONNREFUSED"
        ? "not-found"
        : "busy";
  return new CrifsError(kind, `cannot ask ${path}: ${errnoWords(code)}`, {
    path: socket,
    remedy: "is the daemon running? crifs reads its files without it",
    cause: err,
  });
}

/** GET and parse a JSON answer; a non-2xx status or a body that is not JSON is a CrifsError. */
export async function getUnixJson(
  socket: string,
  path: string,
  options: { timeoutMs?: number } = {},
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
