// test/integration/hostile-sockets.ts — unix socket servers that do not behave (issue 13, item 2), made by the
// tests in this process, and the check that crifs, run as a subprocess against one of them, is held no longer
// than --timeout: it returns within --timeout + 1 s (plus what the same command takes off the socket on this
// machine right now) with exactly one plain stderr line (no stack frames, no gRPC internals such as
// "14 UNAVAILABLE" or "No connection established").
//
//   silent       accepts and never answers
//   trickle      answers one byte per 200 ms, forever: for HTTP/1 a valid response (status line, headers,
//                body), for gRPC a valid HTTP/2 server preface then PING frames (a live connection that
//                never answers the call)
//   stall-body   HTTP/1: sends the headers at once, then one byte of a 100 kB body, then nothing
//   http         answers HTTP/1.1 400, as an HTTP daemon would on a socket where gRPC is expected
//   garbage      sends bytes that are no protocol at all, and keeps the connection open

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { type CliResult, crifsAsync } from "./cli.js";

export type HostileKind = "silent" | "trickle" | "stall-body" | "http" | "garbage";

/** One byte of `bytes` per 200 ms, looping over `loopFrom..` once the end is reached, until the peer goes. */
function trickle(s: Socket, bytes: Buffer, loopFrom = 0): void {
  let i = 0;
  const t = setInterval(() => {
    if (s.destroyed) return;
    if (i >= bytes.length) i = loopFrom;
    s.write(bytes.subarray(i, i + 1));
    i++;
  }, 200);
  s.on("close", () => clearInterval(t));
}

const http1 = Buffer.from(
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n${"[".repeat(100000)}`,
);
// an empty SETTINGS frame (the server preface), then PING frames: 9-byte header (length 8, type 6) + 8 bytes
const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
const ping = Buffer.from([0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
const garbage = Buffer.from("\u0000\u00ff\u0013not a protocol\u0001\u0002\u0003".repeat(40), "latin1");

function behave(kind: HostileKind, protocol: "http1" | "grpc", s: Socket): void {
  s.on("error", () => {}); // crifs hangs up on us: that is the point
  switch (kind) {
    case "silent":
      return;
    case "trickle":
      if (protocol === "grpc") trickle(s, Buffer.concat([settings, ping]), settings.length);
      else s.once("data", () => trickle(s, http1));
      return;
    case "stall-body":
      s.once("data", () => s.write(http1.subarray(0, http1.indexOf("\r\n\r\n") + 5)));
      return;
    case "http":
      s.once("data", () =>
        s.write(
          "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nBad Request",
        ),
      );
      return;
    case "garbage":
      s.write(garbage);
      return;
  }
}

/** Runs `fn` with a socket path served by a hostile server of `kind`; closes it afterwards. */
export async function withHostileSocket<T>(
  kind: HostileKind,
  protocol: "http1" | "grpc",
  fn: (socket: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync("/var/tmp/crifs-hostile-");
  const socket = join(dir, `${kind}.sock`);
  const open = new Set<Socket>();
  const server: Server = createServer((s) => {
    open.add(s);
    s.on("close", () => open.delete(s));
    behave(kind, protocol, s);
  });
  await new Promise<void>((ok) => server.listen(socket, ok));
  try {
    return await fn(socket);
  } finally {
    for (const s of open) s.destroy();
    await new Promise<void>((ok) => server.close(() => ok()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** grpc-js's and Node's own words, which must never reach the user. */
const internals =
  /UNAVAILABLE|DEADLINE_EXCEEDED|No connection established|Resolution note|\b\d+ [A-Z_]+: |HPE_|Error: /;

/**
 * Runs crifs with `args` (holding --timeout `timeoutMs`) and checks that it returned within timeoutMs + 1 s
 * with exit `status` and exactly one stderr line matching `line`, without stack frames or library internals.
 * The machine's own pace is added to the bound: what `baseline` (the same command kept off the socket:
 * --offline, or a socket path that does not exist) takes right now, so that a loaded test machine does not
 * read as crifs being held.
 */
export async function assertHeldNoLonger(
  args: readonly string[],
  timeoutMs: number,
  expect: { status: number; line: RegExp; baseline: readonly string[] },
): Promise<CliResult> {
  const b0 = Date.now();
  await crifsAsync(expect.baseline);
  const pace = Date.now() - b0;
  const t0 = Date.now();
  const r = await crifsAsync(args);
  const ms = Date.now() - t0;
  const what = `crifs ${args.join(" ")}`;
  assert.ok(
    ms <= timeoutMs + 1000 + pace,
    `${what} took ${ms} ms with --timeout ${timeoutMs} ms (the same command off the socket: ${pace} ms)`,
  );
  assert.equal(r.status, expect.status, `${what}: ${r.stderr}`);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `${what}: not one stderr line: ${JSON.stringify(r.stderr)}`);
  const only = lines[0] ?? "";
  assert.ok(only.startsWith("crifs: "), only);
  assert.ok(!/^\s+at /m.test(r.stderr), `a stack frame: ${r.stderr}`);
  assert.ok(!internals.test(only), `library internals: ${only}`);
  assert.match(only, expect.line);
  return r;
}
