import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CrifsError } from "../errors.js";
import { isLoopback, parseListen, TokenFile } from "./http.js";

test("--listen takes host:port, [v6]:port and :port (every interface); anything else is a usage error", () => {
  assert.deepEqual(parseListen("127.0.0.1:9637"), { host: "127.0.0.1", port: 9637 });
  assert.deepEqual(parseListen("[::1]:9637"), { host: "::1", port: 9637 });
  assert.deepEqual(parseListen(":9637"), { host: "0.0.0.0", port: 9637 });
  assert.deepEqual(parseListen("localhost:0"), { host: "localhost", port: 0 });
  for (const bad of ["9637", "127.0.0.1", "127.0.0.1:99999", "::1:9637", "a:b"]) {
    assert.throws(
      () => parseListen(bad),
      (e: unknown) => e instanceof CrifsError && e.code === "usage",
      bad,
    );
  }
});

test("loopback: 127.0.0.0/8, ::1 and localhost; every other address is reachable from elsewhere", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert.equal(isLoopback(h), true, h);
  for (const h of ["0.0.0.0", "::", "10.0.0.1", "node-1"]) assert.equal(isLoopback(h), false, h);
});

test("a token file: the bearer token is accepted, anything else refused; a rotated file is read again; an emptied one refuses all", () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-token-"));
  try {
    const path = join(dir, "token");
    writeFileSync(path, "abc123\n");
    const t = new TokenFile(path);
    assert.equal(t.accepts("Bearer abc123"), true);
    assert.equal(t.accepts("bearer abc123"), true);
    assert.equal(t.accepts("Bearer abc1234"), false);
    assert.equal(t.accepts("Bearer "), false);
    assert.equal(t.accepts(undefined), false);
    assert.equal(t.accepts("Basic abc123"), false);
    writeFileSync(path, "rotated-token-xyz\n");
    assert.equal(t.accepts("Bearer abc123"), false);
    assert.equal(t.accepts("Bearer rotated-token-xyz"), true);
    writeFileSync(path, "\n");
    assert.equal(t.accepts("Bearer rotated-token-xyz"), false);
    assert.throws(() => new TokenFile(path), /the token file: it is empty/);
    assert.throws(
      () => new TokenFile(join(dir, "absent")),
      (e: unknown) => e instanceof CrifsError && e.code === "not-found" && /no such file/.test(e.oneLine()),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
