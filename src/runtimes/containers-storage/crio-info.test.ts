// CRI-O's info API is tested by shape only: no CRI-O package exists here, so a unix-socket server of our own
// serves the answers cri-o documents (internal/server types ContainerInfo and CrioInfo; `crio status`).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readCrioConfig, readCrioContainer, readCrioInfo } from "./crio-info.js";

const dir = mkdtempSync(join(tmpdir(), "crifs-crio-"));
const socket = join(dir, "crio.sock");
const ID = "c".repeat(64);
let server: Server;

const INFO = {
  storage_driver: "overlay",
  storage_image: "",
  storage_root: "/var/lib/containers/storage",
  cgroup_driver: "systemd",
  default_id_mappings: { uids: [{ container_id: 0, host_id: 0, size: 4294967295 }], gids: [] },
};
const CONTAINER = {
  name: "k8s_app_web-0_default_u1_0",
  pid: 4242,
  image: "docker.io/library/busybox:latest",
  image_ref: "docker.io/library/busybox@sha256:abc",
  created_time: 1795334218,
  labels: { "io.kubernetes.pod.uid": "u1", "io.kubernetes.container.name": "app" },
  annotations: { "io.kubernetes.container.restartCount": "0" },
  crio_annotations: { "io.kubernetes.cri-o.LogPath": "/var/log/pods/default_web-0_u1/app/0.log" },
  log_path: "/var/log/pods/default_web-0_u1/app/0.log",
  root: "/var/lib/containers/storage/overlay/l1/merged",
  sandbox: "s".repeat(64),
  ip_addresses: ["10.88.0.4"],
};

before(async () => {
  server = createServer((req, res) => {
    if (req.url === "/info") res.end(JSON.stringify(INFO));
    else if (req.url === "/config") res.end('[crio]\nroot = "/var/lib/containers/storage"\n');
    else if (req.url === `/containers/${ID}`) res.end(JSON.stringify(CONTAINER));
    else {
      res.statusCode = 404;
      res.end("can't find the container with id x");
    }
  });
  await new Promise<void>((ok) => server.listen(socket, ok));
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("GET /info gives the storage driver and root", async () => {
  assert.deepEqual(await readCrioInfo(socket), {
    storageDriver: "overlay",
    storageRoot: "/var/lib/containers/storage",
    storageImage: "",
    cgroupDriver: "systemd",
  });
});

test("GET /containers/<id> gives the rootfs mount point and the log path", async () => {
  const c = await readCrioContainer(socket, ID);
  assert.equal(c.root, CONTAINER.root);
  assert.equal(c.logPath, CONTAINER.log_path);
  assert.equal(c.pid, 4242);
  assert.deepEqual(c.ipAddresses, ["10.88.0.4"]);
  assert.equal(c.crioAnnotations["io.kubernetes.cri-o.LogPath"], CONTAINER.log_path);
});

test("GET /config gives the TOML text; an unknown container is not-found; a dead socket one error", async () => {
  assert.match(await readCrioConfig(socket), /^\[crio\]/);
  await assert.rejects(readCrioContainer(socket, "d".repeat(64)), { name: "CrifsError", code: "not-found" });
  await assert.rejects(readCrioInfo(join(dir, "none.sock")), { name: "CrifsError", code: "not-found" });
  await assert.rejects(readCrioContainer(socket, "../info"), { code: "usage" });
});
