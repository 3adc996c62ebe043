import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CrifsError } from "../../errors.js";
import { chainIds } from "../../formats/oci/image.js";
import { loadDocker } from "./load.js";

const tmp = mkdtempSync(join(tmpdir(), "crifs-docker-load-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
/** An empty daemon.json, so the host's /etc/docker/daemon.json plays no part. */
const DAEMON_JSON = join(tmp, "daemon.json");
writeFileSync(DAEMON_JSON, "{}");

const hex = (s: string) => createHash("sha256").update(s).digest("hex");
const write = (path: string, text: string) => {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
};

/** A data-root as dockerd 20.10 leaves it: image bb:latest (2 layers), one running-looking and one created
 * container, written by hand in the layout of docs/on-disk.md §4. */
function makeRoot(name: string) {
  const root = join(tmp, name);
  const img = join(root, "image", "overlay2");
  const diffs = [`sha256:${hex("d1")}`, `sha256:${hex("d2")}`];
  const chains = chainIds(diffs);
  const caches = [hex("c1"), hex("c2")];
  chains.forEach((c, i) => {
    const d = join(img, "layerdb", "sha256", c.slice(7));
    write(join(d, "cache-id"), caches[i] as string);
    write(join(d, "diff"), diffs[i] as string);
    write(join(d, "size"), "100");
    if (i > 0) write(join(d, "parent"), chains[i - 1] as string);
    write(join(root, "overlay2", caches[i] as string, "link"), `SHORT${i}`);
    mkdirSync(join(root, "overlay2", caches[i] as string, "diff"), { recursive: true });
  });
  const config = JSON.stringify({
    created: "2026-01-01T00:00:00Z",
    rootfs: { type: "layers", diff_ids: diffs },
  });
  const id = hex(config);
  write(join(img, "imagedb", "content", "sha256", id), config);
  write(
    join(img, "repositories.json"),
    JSON.stringify({ Repositories: { bb: { "bb:latest": `sha256:${id}` } } }),
  );
  const ctr = hex("ctr");
  const mount = hex("mount");
  write(join(img, "layerdb", "mounts", ctr, "mount-id"), mount);
  write(join(img, "layerdb", "mounts", ctr, "init-id"), `${mount}-init`);
  write(join(img, "layerdb", "mounts", ctr, "parent"), chains[1] as string);
  write(
    join(root, "containers", ctr, "config.v2.json"),
    JSON.stringify({
      ID: ctr,
      Name: "/dc1",
      Image: `sha256:${id}`,
      Created: "2026-01-01T00:00:01Z",
      Config: { Image: "bb:latest", Labels: { app: "demo" } },
      State: { Running: false, Pid: 0, StartedAt: "0001-01-01T00:00:00Z" },
    }),
  );
  return { root, img, chains, caches, id, ctr, mount };
}

test('chain ids follow the OCI rule: chain1 = diff1, chainN = sha256 of "chainN-1 diffN"', () => {
  const [a, b] = chainIds(["sha256:aa", "sha256:bb"]);
  assert.equal(a, "sha256:aa");
  assert.equal(b, `sha256:${hex("sha256:aa sha256:bb")}`);
});

test("layerdb layers, the image's chain, and the container's init and rw layers fill the model", () => {
  const r = makeRoot("healthy");
  write(join(r.root, "containers", r.ctr, `${r.ctr}-json.log`), '{"log":"hi\\n"}\n');
  write(join(r.root, "containers", r.ctr, `${r.ctr}-json.log.1`), "");
  const s = loadDocker({ root: r.root, state: join(r.root, "exec"), config: DAEMON_JSON });
  assert.deepEqual(s.anomalies, []);
  assert.equal(s.location.runtime, "docker");
  assert.deepEqual(
    s.images.map((i) => [i.name, i.configDigest, i.snapshotKeys]),
    [["bb:latest", `sha256:${r.id}`, r.chains]],
  );
  const byKey = new Map(s.snapshots.map((x) => [x.key, x]));
  const top = byKey.get(r.chains[1] as string);
  assert.equal(top?.parent, r.chains[0]);
  assert.equal(top?.id, r.caches[1]);
  assert.equal(top?.dir, join(r.root, "overlay2", r.caches[1] as string));
  assert.equal(top?.path, join(r.root, "overlay2", r.caches[1] as string, "diff"));
  assert.equal(top?.lowerPath, join(r.root, "overlay2", "l", "SHORT1"));
  assert.equal(byKey.get(r.chains[0] as string)?.parent, null);
  assert.equal(byKey.get(`${r.mount}-init`)?.parent, r.chains[1]);
  assert.equal(byKey.get(r.mount)?.parent, `${r.mount}-init`);
  assert.equal(byKey.get(r.mount)?.kind, "active");
  const c = s.containers[0];
  assert.ok(
    ((c?.spec ?? { mounts: [] }) as { mounts: { destination: string }[] }).mounts.some(
      (m) => m.destination === "/proc",
    ),
    "dockerd's own mounts (links into /proc are not broken)",
  );
  assert.deepEqual(
    [c?.id, c?.names, c?.image, c?.snapshotKey, c?.task, c?.labels],
    [r.ctr, ["dc1"], "bb:latest", r.mount, null, { app: "demo" }],
  );
  assert.deepEqual(
    s.areas.map((a) => `${a.role} ${a.path.slice(r.root.length)}`),
    [
      "snapshot-home /overlay2",
      "metadata /image",
      `logs /containers/${r.ctr}/${r.ctr}-json.log`,
      `logs /containers/${r.ctr}/${r.ctr}-json.log.1`,
      `container-data /containers/${r.ctr}/config.v2.json`,
    ],
  );
});

test("a record that says running whose process is gone is a stopped task, not a running one", () => {
  const r = makeRoot("stale-running");
  const cfg = join(r.root, "containers", r.ctr, "config.v2.json");
  write(
    cfg,
    JSON.stringify({
      ID: r.ctr,
      Name: "/dc1",
      Config: { Image: "bb:latest" },
      State: { Running: true, Pid: 2 ** 22 + 7, StartedAt: "2026-01-01T00:00:02Z" },
    }),
  );
  const s = loadDocker({ root: r.root, config: DAEMON_JSON });
  assert.equal(s.containers[0]?.task?.status, "stopped");
});

test("undecodable files become anomalies with the byte offset; the rest still loads", () => {
  const r = makeRoot("corrupt");
  write(join(r.root, "containers", r.ctr, "config.v2.json"), '{"ID":"x",');
  write(join(r.img, "layerdb", "sha256", r.chains[1]?.slice(7) as string, "cache-id"), "../../etc");
  const s = loadDocker({ root: r.root, config: DAEMON_JSON });
  assert.deepEqual(
    s.anomalies.map((a) => `${a.subject}: ${a.message}`),
    [
      `layer ${r.chains[1]}: cache-id "../../etc" is not 64 hex digits`,
      `container ${r.ctr}: cannot parse JSON at byte 10: expected a property name, found end of input`,
    ],
  );
  assert.equal(s.containers.length, 0);
  assert.equal(s.snapshots.filter((x) => x.kind === "committed").length, 1);
});

test("a repositories.json that does not parse stops the load with one corrupt error naming the offset", () => {
  const r = makeRoot("bad-repos");
  write(join(r.img, "repositories.json"), '{"Repositories":{"bb":{"bb:latest":"sha256:ab');
  assert.throws(
    () => loadDocker({ root: r.root, config: DAEMON_JSON }),
    (e: unknown) =>
      e instanceof CrifsError &&
      e.code === "corrupt" &&
      e.path === join(r.img, "repositories.json") &&
      e.message === "cannot parse JSON at byte 45: unterminated string",
  );
});

test("a dir without layerdb is not a docker data-root", () => {
  mkdirSync(join(tmp, "empty"));
  assert.throws(
    () => loadDocker({ root: join(tmp, "empty"), config: DAEMON_JSON }),
    (e: unknown) => e instanceof CrifsError && e.code === "not-found",
  );
});
