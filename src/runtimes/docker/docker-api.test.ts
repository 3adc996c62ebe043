import assert from "node:assert/strict";
import { test } from "node:test";
import { dockerSocket, parseDockerApi } from "./docker-api.js";

test("the Engine API's answers shape into counts, ids, tags and names", () => {
  const v = parseDockerApi("/s", {
    info: {
      ServerVersion: "20.10.24",
      Driver: "overlay2",
      DockerRootDir: "/d",
      Images: 3,
      Containers: 2,
      ContainersRunning: 1,
    },
    images: [
      { Id: "sha256:a", RepoTags: ["bb:latest"], Size: 10 },
      { Id: "sha256:b", RepoTags: ["<none>:<none>"], Size: 5 },
    ],
    containers: [{ Id: "c1", Names: ["/dc1"], Image: "bb:latest", State: "running" }],
    version: { Version: "20.10.24", ApiVersion: "1.41" },
    df: { LayersSize: 1234 },
  });
  assert.equal(v.apiVersion, "1.41");
  assert.deepEqual(v.counts, { images: 3, containers: 2, containersRunning: 1 });
  assert.deepEqual(
    v.images.map((i) => [i.id, i.tags]),
    [
      ["sha256:a", ["bb:latest"]],
      ["sha256:b", []],
    ],
  );
  assert.deepEqual(v.containers[0]?.names, ["dc1"]);
  assert.equal(v.layersSize, 1234);
  assert.equal(parseDockerApi("/s", { info: null, images: {}, containers: 1, df: [] }).images.length, 0);
});

test("the socket: the flag, else DOCKER_HOST, else /var/run/docker.sock; tcp is not ours", () => {
  assert.equal(dockerSocket("unix:///x.sock", {}), "/x.sock");
  assert.equal(dockerSocket(undefined, { DOCKER_HOST: "unix:///y.sock" }), "/y.sock");
  assert.equal(dockerSocket(undefined, {}), "/var/run/docker.sock");
  assert.equal(dockerSocket(undefined, { DOCKER_HOST: "tcp://h:2375" }), null);
});
