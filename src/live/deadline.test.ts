// One deadline per call (issue 13, item 2): the HTTP client and gRPC calls are cut off at --timeout whatever
// the server does after accepting, and transport failures read as plain words.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CriClient } from "./cri.js";
import { type Call, formatDuration, transportError } from "./deadline.js";
import { getUnix } from "./unix-http.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-deadline-"));
const servers: Server[] = [];
const open = new Set<Socket>();

function serve(name: string, onConnect: (s: Socket) => void): Promise<string> {
  const socket = join(dir, name);
  const s = createServer((c) => {
    open.add(c);
    c.on("error", () => {});
    c.on("close", () => open.delete(c));
    onConnect(c);
  });
  servers.push(s);
  return new Promise((ok) => s.listen(socket, () => ok(socket)));
}

let silent = "";
let trickle = "";
let stall = "";
before(async () => {
  silent = await serve("silent.sock", () => {});
  trickle = await serve("trickle.sock", (c) => {
    const reply = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 50000\r\n\r\n${"x".repeat(50000)}`);
    let i = 0;
    const t = setInterval(() => c.write(reply.subarray(i, ++i)), 50);
    c.on("close", () => clearInterval(t));
  });
  stall = await serve("stall.sock", (c) =>
    c.once("data", () => c.write("HTTP/1.1 200 OK\r\nContent-Length: 50000\r\n\r\n{")),
  );
});
after(() => {
  for (const c of open) c.destroy();
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

test("durations read as people write them", () => {
  assert.equal(formatDuration(5000), "5s");
  assert.equal(formatDuration(2500), "2.5s");
  assert.equal(formatDuration(500), "500ms");
  assert.equal(formatDuration(1234), "1234ms");
});

test("an HTTP GET is cut off at the deadline: no answer, a trickle, headers then a stalled body", async () => {
  for (const socket of [silent, trickle, stall]) {
    const t0 = Date.now();
    await assert.rejects(getUnix(socket, "/info", { timeoutMs: 400, speaker: "Docker" }), (err: Error) => {
      assert.equal((err as { code?: string }).code, "busy");
      assert.equal(err.message, "cannot read /info: did not answer within 400ms");
      return true;
    });
    const took = Date.now() - t0;
    assert.ok(took < 400 + 300, `${socket}: ${took} ms`);
  }
});

test("a gRPC call is cut off at the deadline, in plain words", async () => {
  const c = new CriClient(silent, 400);
  try {
    const t0 = Date.now();
    await assert.rejects(c.version(), {
      code: "busy",
      message: "cannot call CRI Version: did not answer within 400ms",
    });
    assert.ok(Date.now() - t0 < 400 + 300);
  } finally {
    c.close();
  }
});

test("transport failures read as words, never as the libraries' internals", () => {
  const call: Call = { socket: "/run/x.sock", timeoutMs: 5000, speaker: "containerd" };
  const cases: [string, string, string][] = [
    [
      "No connection established. Last error: Error: Protocol error (2026-12-06T19:39:28.689Z). Resolution note: ",
      "unsupported",
      "not a containerd socket (protocol error)",
    ],
    ["No connection established. Last error: connect ENOENT /run/x.sock", "not-found", "no such socket"],
    ["connect EACCES /run/x.sock", "permission", "permission denied"],
    ["ECONNREFUSED connect ECONNREFUSED /run/x.sock", "not-found", "connection refused (nothing listens)"],
    [
      "HPE_INVALID_CONSTANT Parse Error: Expected HTTP/",
      "unsupported",
      "not a containerd socket (protocol error)",
    ],
    [
      "ECONNRESET socket hang up",
      "busy",
      "closed the connection without an answer (is it a containerd socket?)",
    ],
  ];
  for (const [text, code, state] of cases) {
    const e = transportError(call, "list containerd namespaces", text);
    assert.equal(e.code, code, text);
    assert.equal(e.message, `cannot list containerd namespaces: ${state}`, text);
    assert.equal(e.path, "/run/x.sock");
  }
});
