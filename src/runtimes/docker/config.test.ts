import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CrifsError } from "../../errors.js";
import { plantTree, tempDir } from "../../fs/testing-tree.js";
import { readDockerConfig } from "./config.js";

const tmp = mkdtempSync(join(tmpdir(), "crifs-docker-config-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("no daemon.json means dockerd's defaults", () => {
  const c = readDockerConfig({ path: undefined, root: undefined });
  assert.equal(c.execRoot, "/var/run/docker");
  const absent = join(tmp, "absent.json");
  assert.throws(
    () => readDockerConfig({ path: absent }),
    (e: unknown) => e instanceof CrifsError,
  );
});

test("data-root, exec-root and storage-driver are read; --root and --state win over the file", () => {
  const p = join(tmp, "daemon.json");
  writeFileSync(
    p,
    JSON.stringify({
      "data-root": "/srv/docker",
      "exec-root": "/run/d",
      "storage-driver": "overlay2",
      "live-restore": true,
    }),
  );
  const c = readDockerConfig({ path: p });
  assert.deepEqual(
    [c.path, c.root, c.execRoot, c.storageDriver, c.liveRestore],
    [p, "/srv/docker", "/run/d", "overlay2", true],
  );
  assert.equal(readDockerConfig({ path: p, root: "/x", state: "/y" }).root, "/x");
  writeFileSync(p, JSON.stringify({ graph: "/old" }));
  assert.equal(readDockerConfig({ path: p }).root, "/old");
});

test("a malformed daemon.json is one corrupt error with the byte offset", () => {
  const p = join(tmp, "bad.json");
  writeFileSync(p, '{"data-root": "/srv",,}');
  assert.throws(
    () => readDockerConfig({ path: p }),
    (e: unknown) =>
      e instanceof CrifsError && e.code === "corrupt" && e.path === p && /at byte 21/.test(e.message),
  );
});

test("under a host root daemon.json and a data-root that is an absolute symlink resolve inside it", () => {
  const host = tempDir("crifs-host-");
  // /var/lib exists on this machine: a prefix would follow the link out of the host root to it
  plantTree(host, [
    'f etc/docker/daemon.json {"data-root": "/docker-link", "exec-root": "/run/dk"}',
    "l docker-link /var/lib",
    "d var/lib",
  ]);
  const c = readDockerConfig({ hostRoot: host });
  assert.deepEqual(
    [c.path, c.root, c.rootLink, c.execRoot],
    [
      join(host, "etc/docker/daemon.json"),
      join(host, "var/lib"),
      { path: "/docker-link", target: "/var/lib" },
      join(host, "run/dk"),
    ],
  );
});
