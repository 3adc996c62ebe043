import assert from "node:assert/strict";
import { test } from "node:test";
import { metadataCorrupt } from "./metadata-corrupt.js";
import { brief, PATHS, scenario } from "./testing.js";
import { PATHS as DOCKER, docker } from "./testing-docker.js";

test("an unreadable bolt file is one error finding, even without a store", () => {
  const input = scenario().corruptMetadata(PATHS.metaDb, "cannot read meta page: bad magic").input();
  assert.equal(input.store, null);
  const found = metadataCorrupt.run(input);
  assert.deepEqual(found.map(brief), [`metadata-corrupt ${PATHS.metaDb} 0 file ${PATHS.metaDb}`]);
  assert.equal(found[0]?.severity, "error");
});

test("undecodable records are reported; anomalies other checks explain are left to them", () => {
  const input = scenario()
    .anomaly(PATHS.metaDb, "container default/c1", "cannot decode container default/c1: truncated varint")
    .anomaly("/r/b/x", "image default/bb", "cannot read sha256:x of image default/bb: blob not found")
    .anomaly(
      "/r/sn.db",
      "snapshot default/overlayfs/x",
      'snapshot "x" in namespace "default" has no record "default/3/x" in the overlayfs snapshotter',
    )
    .input();
  assert.deepEqual(metadataCorrupt.run(input).map(brief), [
    `metadata-corrupt ${PATHS.metaDb} 0 container default/c1`,
  ]);
});

test("docker: an unparsable repositories.json and undecodable config.v2.json / layer entry files, with docker's remedy", () => {
  const repos = DOCKER.repositories;
  const bad = docker({
    corrupt: { path: repos, message: "cannot parse JSON at byte 45: unterminated string" },
  });
  const f = metadataCorrupt.run(bad);
  assert.deepEqual(f.map(brief), [`metadata-corrupt ${repos} 0 file ${repos}`]);
  assert.match(f[0]?.remedy ?? "", /dockerd does not start/);
  const cfg = "/d/containers/abc/config.v2.json";
  const cacheId = `${DOCKER.layerEntry("c2")}/cache-id`;
  const found = metadataCorrupt.run(
    docker({
      anomalies: [
        {
          path: cfg,
          subject: "container abc",
          message: "cannot parse JSON at byte 10: unexpected end of input",
        },
        { path: cacheId, subject: "layer sha256:c2", message: 'cache-id "../x" is not 64 hex digits' },
      ],
    }),
  );
  assert.deepEqual(found.map(brief), [
    `metadata-corrupt ${cfg} 0 container abc`,
    `metadata-corrupt ${cacheId} 0 layer sha256:c2`,
  ]);
  assert.match(found[0]?.message ?? "", /at byte 10/);
  assert.ok(found.every((x) => x.remedy.includes("docker rm -f")));
});

test("podman: a record that does not decode gets podman's remedy, not containerd's or ctr's", async () => {
  const { overlayScenario, PATHS: CS } = await import("./testing-overlay.js");
  const base = overlayScenario().layer("a").input();
  const store = base.store;
  assert.ok(store !== null);
  const input = {
    ...base,
    store: {
      ...store,
      anomalies: [
        {
          path: CS.layersJson,
          subject: "layer a",
          message: 'layers.json lists layer "a" 2 times',
        },
      ],
    },
  };
  const found = metadataCorrupt.run(input);
  assert.equal(found.length, 1);
  assert.match(found[0]?.remedy ?? "", /podman image rm -f, podman rm -f/);
  assert.doesNotMatch(found[0]?.remedy ?? "", /containerd|ctr /);
});
