import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readCrictlEndpoint, socketPath } from "./address.js";

test("socketPath takes unix:// URLs and absolute paths, and refuses tcp and npipe endpoints", () => {
  assert.equal(socketPath("unix:///run/containerd/containerd.sock"), "/run/containerd/containerd.sock");
  assert.equal(socketPath("/run/crio/crio.sock"), "/run/crio/crio.sock");
  assert.equal(socketPath("tcp://127.0.0.1:1234"), null);
  assert.equal(socketPath("npipe:////./pipe/containerd"), null);
});

test("readCrictlEndpoint reads runtime-endpoint, and null for an absent, empty or garbled file", () => {
  const dir = mkdtempSync(join(tmpdir(), "crifs-crictl-"));
  const f = join(dir, "crictl.yaml");
  writeFileSync(f, "runtime-endpoint: unix:///run/k3s/containerd/containerd.sock\ntimeout: 2\n");
  assert.equal(readCrictlEndpoint(f), "unix:///run/k3s/containerd/containerd.sock");
  writeFileSync(f, "timeout: 2\n");
  assert.equal(readCrictlEndpoint(f), null);
  writeFileSync(f, "runtime-endpoint: [unclosed\n");
  assert.equal(readCrictlEndpoint(f), null);
  assert.equal(readCrictlEndpoint(join(dir, "absent.yaml")), null);
});
