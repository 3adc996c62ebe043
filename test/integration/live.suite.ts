// test/integration/live.suite.ts — one deadline per call to a runtime (issue 13, item 2): crifs pointed with
// --address at a socket that does not behave (hostile-sockets.ts: silent, trickling, HTTP, garbage) falls back
// to the bed's files within --timeout + 1 s, with one stderr line in plain words, for every command that goes
// live through gRPC: info, images, version, pods. (Docker's and CRI-O's HTTP sockets: docker.suite.ts and
// podman.suite.ts, where their stores are.)

import { describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { bedFlags } from "./cli.js";
import { assertHeldNoLonger, type HostileKind, withHostileSocket } from "./hostile-sockets.js";

const timeoutMs = 2000;

/** The stderr line each kind of socket gives: what the call was, then why, then the fallback. */
const why: Record<Exclude<HostileKind, "stall-body">, string> = {
  silent: "did not answer within 2s",
  trickle: "did not answer within 2s",
  http: "not a (containerd|CRI) socket \\(protocol error\\)",
  garbage: "not a (containerd|CRI) socket \\(protocol error\\)",
};

/** command → the call it makes first. */
const commands: [string[], string][] = [
  [["info", "-o", "json"], "list containerd namespaces"],
  [["images", "-o", "json"], "list containerd namespaces"],
  [["version", "-o", "json"], "call CRI Version"],
  [["pods", "-o", "json"], "call CRI Version"],
];

export function liveSuite(getBed: () => Bed) {
  describe("a runtime socket that does not behave holds crifs no longer than --timeout", () => {
    for (const kind of Object.keys(why) as (keyof typeof why)[]) {
      test(`--address on a socket that is ${kind}: info, images, version and pods read the files, one line each`, async () => {
        await withHostileSocket(kind, "grpc", async (socket) => {
          for (const [cmd, call] of commands) {
            const args = [...bedFlags(getBed()), "--address", socket, "--timeout", "2s", ...cmd];
            const r = await assertHeldNoLonger(args, timeoutMs, {
              baseline: [...bedFlags(getBed()), "--offline", ...cmd],
              status: 0,
              line: new RegExp(`^crifs: ${socket}: cannot ${call}: ${why[kind]}; reading the files instead$`),
            });
            JSON.parse(r.stdout); // the files answered
          }
        });
      });
    }
  });
}
