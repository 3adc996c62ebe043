// live/deadline.ts — the one deadline of a call to a runtime, and the words its failures read as. --timeout
// bounds the whole request, whatever the transport: connect, headers and body of the HTTP clients
// (unix-http.ts: Docker's Engine API, CRI-O's info API) and the whole of a gRPC call (grpc.ts: CRI,
// containerd), unary or streaming. A server that accepts and then says nothing, trickles a byte at a time,
// or sends headers and stalls the body is cut off at the deadline like one that never accepts.
//
//   withDeadline(call, run) ──► run(signal) ──► answer
//                      └─ timeoutMs ─► signal aborts (the transport drops the connection) ──► busy:
//                                      "<socket>: cannot <what>: did not answer within 5s"
//
// Transport failures become one plain line (transportError): no library internals ("14 UNAVAILABLE: …",
// "No connection established", timestamps), no stack.

import { CrifsError, type ErrorCode } from "../errors.js";

/** One call to a runtime: its socket, its deadline, and what the socket should be (for the words). */
export interface Call {
  /** The unix socket path (without unix://). */
  readonly socket: string;
  /** --timeout in milliseconds: the whole call, connect to last byte. */
  readonly timeoutMs: number;
  /** What should answer there: "containerd", "CRI", "Docker", "CRI-O" ("not a CRI socket"). */
  readonly speaker: string;
}

/** 5000 → "5s", 2500 → "2.5s", 500 → "500ms". */
export function formatDuration(ms: number): string {
  return ms >= 1000 && ms % 100 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const remedy = "is the runtime running? pass --address for another socket, or --offline to read its files";

/** The error of a call that ran out of time. */
export function timedOut(call: Call, what: string): CrifsError {
  return new CrifsError("busy", `cannot ${what}: did not answer within ${formatDuration(call.timeoutMs)}`, {
    path: call.socket,
    remedy: "the daemon is stuck or busy; pass a longer --timeout, or --offline to read its files",
  });
}

/**
 * Runs `run` with an AbortSignal that fires at the call's deadline; the transport drops its connection on
 * it. Rejects with timedOut at the deadline whatever `run` is doing; otherwise settles as `run` does.
 */
export async function withDeadline<T>(
  call: Call,
  what: string,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    // setTimeout fires at once past 2^31-1 ms (~24 days): a longer --timeout waits that long instead
    timer = setTimeout(
      () => {
        reject(timedOut(call, what));
        ctl.abort();
      },
      Math.min(call.timeoutMs, 2 ** 31 - 1),
    );
  });
  try {
    // race() handles the loser's later rejection (the aborted transport's error): nothing is left unhandled
    return await Promise.race([run(ctl.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

const errnos: [RegExp, ErrorCode, string][] = [
  [/\bENOENT\b/, "not-found", "no such socket"],
  [/\bE(ACCES|PERM)\b/, "permission", "permission denied"],
  [/\bECONNREFUSED\b/, "not-found", "connection refused (nothing listens)"],
  [/\bENOTSOCK\b/, "not-found", "not a socket"],
];
/** Libraries' words for a peer that does not speak the protocol (grpc-js, HTTP/2, llhttp's HPE_ codes). */
const protocol =
  /Protocol error|\bHPE_|Parse Error|HTTP status code|content-type|RST_STREAM|Bad Request|malformed|Failed to parse|parsing error/i;
/** …and for a peer that hung up. */
const hangUp = /ECONNRESET|EPIPE|hang up|Connection dropped|Connection closed|GOAWAY|socket closed/i;

/** Whether a library's error text is about the transport (not an error the daemon sent). */
export function isTransportText(text: string): boolean {
  return protocol.test(text) || hangUp.test(text) || errnos.some(([re]) => re.test(text));
}

/** A transport failure in words: the error code and the state found (no library internals). */
function words(text: string, call: Call): { code: ErrorCode; state: string } {
  for (const [re, code, state] of errnos) if (re.test(text)) return { code, state };
  if (protocol.test(text))
    return { code: "unsupported", state: `not a ${call.speaker} socket (protocol error)` };
  if (hangUp.test(text))
    return {
      code: "busy",
      state: `closed the connection without an answer (is it a ${call.speaker} socket?)`,
    };
  return { code: "busy", state: "cannot connect" };
}

/** The cause gRPC's "No connection established. Last error: Error: X (2026-…)" wraps, else the text. */
function innerCause(text: string): string {
  const m = /Last error: (?:Error: )?(.*?)(?: \(\d{4}-\d\d-\d\dT[^)]*\))?(?:\. Resolution note:.*)?$/s.exec(
    text,
  );
  return (m?.[1] ?? text).split("\n")[0] ?? "";
}

/**
 * A failure of the transport (connect, protocol, reset) as one CrifsError line naming the socket:
 * "cannot <what>: not a containerd socket (protocol error)". `text` is the library's message or errno code.
 */
export function transportError(call: Call, what: string, text: string, cause?: unknown): CrifsError {
  const w = words(innerCause(text), call);
  return new CrifsError(w.code, `cannot ${what}: ${w.state}`, {
    path: call.socket,
    remedy,
    ...(cause === undefined ? {} : { cause }),
  });
}
