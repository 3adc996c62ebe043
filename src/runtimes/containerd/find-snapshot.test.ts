// find-snapshot.test.ts — findContainerdRef on the bundled sample (a real containerd root): for every snapshot
// key and container id the loaded store holds once, the snapshot it finds by lookups is the loaded store's
// own, field for field; a ref only the loaded store can settle (a prefix, an image, a name in two namespaces)
// gives null.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { resolveRef } from "../../cli/resolve-ref.js";
import { CrifsError } from "../../errors.js";
import type { Store } from "../../model/store.js";
import { findContainerdRef } from "./find-snapshot.js";
import { loadContainerd } from "./load.js";
import { type UnpackedSample, unpackSample } from "./testing-sample.js";

let sample: UnpackedSample;
let store: Store;
const options = () => ({ root: sample.root, state: sample.state, config: sample.config });

before(() => {
  sample = unpackSample();
  store = loadContainerd(options());
});
after(() => sample.remove());

test("every snapshot key named once is found by lookups as the loaded store has it", () => {
  const counts = new Map<string, number>();
  for (const s of store.snapshots) counts.set(s.key, (counts.get(s.key) ?? 0) + 1);
  const ids = new Set(store.containers.map((c) => c.id));
  let found = 0;
  for (const s of store.snapshots) {
    if (counts.get(s.key) !== 1 || ids.has(s.key)) continue;
    const r = findContainerdRef(options(), s.key, undefined);
    assert.ok(r !== null && r.type === "snapshot", s.key);
    assert.deepEqual(r.snapshot, s);
    // and with -n: its namespace finds it, another does not
    assert.deepEqual(findContainerdRef(options(), s.key, s.namespace)?.snapshot, s);
    assert.equal(findContainerdRef(options(), s.key, "no-such-namespace"), null);
    found++;
  }
  assert.ok(found >= 2, `${found} snapshots checked`);
});

test("a container id finds its writable snapshot, as resolveRef on the loaded store does", () => {
  assert.ok(store.containers.length > 0, "the sample has containers");
  for (const c of store.containers) {
    const r = findContainerdRef(options(), c.id, undefined);
    const t = resolveRef([store], c.id, ["container", "snapshot", "image"]);
    assert.equal(t.type, "container");
    assert.ok(r !== null && r.type === "container", c.id);
    assert.deepEqual([r.namespace, r.id], [c.namespace, c.id]);
    const s = store.snapshots.find(
      (x) => x.namespace === c.namespace && x.snapshotter === c.snapshotter && x.key === c.snapshotKey,
    );
    assert.deepEqual(r.snapshot, s);
  }
});

test("a prefix, an image name and an unknown name are left to the loaded store", () => {
  const s = store.snapshots[0];
  assert.ok(s);
  assert.equal(findContainerdRef(options(), s.key.slice(0, s.key.length - 3), undefined), null);
  const image = store.images[0];
  assert.ok(image);
  assert.equal(findContainerdRef(options(), image.name, undefined), null);
  assert.equal(findContainerdRef(options(), "no-such-ref", undefined), null);
  assert.equal(findContainerdRef(options(), "", undefined), null);
});

test("damage to either bolt file: the same answer, null, or one CrifsError naming that file; never another snapshot", () => {
  const files = [
    join(sample.root, "io.containerd.metadata.v1.bolt", "meta.db"),
    join(sample.root, "io.containerd.snapshotter.v1.overlayfs", "metadata.db"),
  ];
  const healthy = new Map(store.containers.map((c) => [c.id, findContainerdRef(options(), c.id, undefined)]));
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31; // the same damage every run
    return seed / 2 ** 31;
  };
  const outcomes = { same: 0, none: 0, refused: 0 };
  for (const file of files) {
    const good = readFileSync(file);
    const pages = good.length / 4096;
    const damages: [string, Buffer][] = [["truncated to half", good.subarray(0, good.length / 2)]];
    const bothMetas = Buffer.from(good);
    bothMetas.fill(0xff, 16, 64).fill(0xff, 4096 + 16, 4096 + 64);
    damages.push(["both meta pages", bothMetas]);
    for (let page = 2; page < pages; page++) {
      const d = Buffer.from(good);
      for (let k = 0; k < 4; k++) d[page * 4096 + Math.floor(random() * 64)] = Math.floor(random() * 256);
      damages.push([`page ${page}'s header and first elements`, d]);
    }
    try {
      for (const [what, bytes] of damages) {
        writeFileSync(file, bytes);
        for (const [id, answer] of healthy) {
          let r: ReturnType<typeof findContainerdRef>;
          try {
            r = findContainerdRef(options(), id, undefined);
          } catch (err) {
            assert.ok(err instanceof CrifsError, `${what}: ${String(err)}`);
            assert.equal(err.path, file, `${what}: ${err.oneLine()}`);
            assert.doesNotMatch(err.oneLine(), /\n/);
            outcomes.refused++;
            continue;
          }
          if (r === null) outcomes.none++;
          else {
            assert.deepEqual(r, answer, `${what}: ${id}`);
            outcomes.same++;
          }
        }
      }
    } finally {
      writeFileSync(file, good);
    }
  }
  // the damage reached the lookups: some were refused, and pages off their path left the answer as it was
  assert.ok(outcomes.refused > 0 && outcomes.same > 0, JSON.stringify(outcomes));
});
