// crifs info's daemon view, against unix-socket servers of our own serving docker's and CRI-O's documented
// answers (CRI-O: by shape only, no CRI-O package here): shown only when the daemon names the store's root.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Store } from "../../model/store.js";
import { emptyStore } from "../../model/testing.js";
import { dockerTestPaths } from "../../runtimes/testing.js";
import { daemonView } from "./info.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-daemon-"));
const servers: Server[] = [];

function serve(socket: string, answers: Record<string, unknown>): Promise<void> {
  const s = createServer((req, res) => {
    const a = answers[req.url ?? ""];
    res.statusCode = a === undefined ? 404 : 200;
    res.end(a === undefined ? "page not found" : JSON.stringify(a));
  });
  servers.push(s);
  return new Promise((ok) => s.listen(socket, ok));
}

function store(runtime: Store["location"]["runtime"], root: string): Store {
  return emptyStore({ runtime, root });
}

before(async () => {
  await serve(join(dir, "crio.sock"), {
    "/info": {
      storage_driver: "overlay",
      storage_root: "/var/lib/containers/storage",
      cgroup_driver: "systemd",
    },
  });
  await serve(join(dir, "docker.sock"), {
    "/info": {
      ServerVersion: "20.10.24",
      Driver: dockerTestPaths("/var/lib/docker").driver,
      DockerRootDir: "/var/lib/docker",
      Images: 1,
      Containers: 0,
    },
    "/images/json": [{ Id: "sha256:a", RepoTags: ["bb:latest"], Size: 1 }],
    "/containers/json?all=1": [],
    "/system/df": { LayersSize: 1 },
  });
});
after(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

test("CRI-O's /info joins the crio store at its storage_root, and no other", async () => {
  const crioSocket = join(dir, "crio.sock");
  assert.deepEqual(await daemonView(store("crio", "/var/lib/containers/storage"), { crioSocket }), {
    source: "crio-info",
    socket: crioSocket,
    storageDriver: "overlay",
    storageRoot: "/var/lib/containers/storage",
    storageImage: "",
    cgroupDriver: "systemd",
  });
  assert.equal(await daemonView(store("crio", "/elsewhere"), { crioSocket }), undefined);
  assert.equal(
    await daemonView(store("crio", "/var/lib/containers/storage"), { crioSocket: join(dir, "no.sock") }),
    undefined,
  );
});

test("docker's Engine API joins the docker store at its DockerRootDir; other runtimes get none", async () => {
  const dockerHost = `unix://${join(dir, "docker.sock")}`;
  const v = await daemonView(store("docker", "/var/lib/docker"), { dockerHost });
  assert.equal(v?.source, "docker-api");
  assert.equal(await daemonView(store("docker", "/other/docker"), { dockerHost }), undefined);
  assert.equal(await daemonView(store("podman", "/var/lib/docker"), { dockerHost }), undefined);
});
