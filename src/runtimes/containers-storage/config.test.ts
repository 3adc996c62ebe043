import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CrifsError, type ErrorCode } from "../../errors.js";
import { plantTree, tempDir } from "../../fs/testing-tree.js";
import { readStorageConfig } from "./config.js";

const tmp = mkdtempSync(join(tmpdir(), "crifs-csconf-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("storage.conf: driver, graphroot, runroot and overlay options; flags win", () => {
  const p = join(tmp, "storage.conf");
  writeFileSync(
    p,
    '[storage]\ndriver = "overlay"\ngraphroot = "/g"\nrunroot = "/r"\n[storage.options.overlay]\nmountopt = "nodev"\nmount_program = "/usr/bin/fuse-overlayfs"\n',
  );
  const c = readStorageConfig({ path: p });
  assert.deepEqual(
    [c.path, c.graphroot, c.runroot, c.driver, c.mountopt, c.mountProgram],
    [p, "/g", "/r", "overlay", "nodev", "/usr/bin/fuse-overlayfs"],
  );
  const f = readStorageConfig({ path: p, root: "/other", runroot: "/run/other" });
  assert.deepEqual([f.graphroot, f.runroot], ["/other", "/run/other"]);
});

test("crio.conf and its drop-ins, in name order, override storage.conf's root, runroot and driver", () => {
  const p = join(tmp, "crio.conf");
  writeFileSync(p, '[crio]\nroot = "/crio/root"\nrunroot = "/crio/run"\n');
  mkdirSync(`${p}.d`);
  writeFileSync(join(`${p}.d`, "10-a.conf"), '[crio]\nroot = "/crio/a"\n');
  writeFileSync(join(`${p}.d`, "20-b.conf"), '[crio]\nstorage_driver = "overlay"\nroot = "/crio/b"\n');
  const c = readStorageConfig({ path: p, crio: true });
  assert.deepEqual([c.graphroot, c.runroot, c.driver], ["/crio/b", "/crio/run", "overlay"]);
  assert.equal(c.crioPaths.length, 3);
});

test("a malformed storage.conf is one corrupt error; a missing --config is not-found", () => {
  const p = join(tmp, "bad.conf");
  writeFileSync(p, "[storage\n");
  const cases: [path: string, code: ErrorCode][] = [
    [p, "corrupt"],
    [join(tmp, "nope.conf"), "not-found"],
  ];
  for (const [path, code] of cases)
    assert.throws(
      () => readStorageConfig({ path }),
      (e: unknown) => e instanceof CrifsError && e.code === code,
      path,
    );
});

test("under a host root storage.conf, crio.conf's drop-ins (absolute symlinks too) and the graphroot resolve inside it", () => {
  const outside = tempDir("crifs-outside-");
  const host = tempDir("crifs-host-");
  plantTree(outside, ['f 10-root.conf [crio]\nroot = "/outside"\n']);
  plantTree(host, [
    'f etc/containers/storage.conf [storage]\ndriver = "overlay"\ngraphroot = "/var/lib/containers/storage"\n',
    'f etc/crio/crio.conf [crio]\nrunroot = "/run/crio-store"\n',
    `f ${outside}/10-root.conf [crio]\nroot = "/var/lib/crio-link"\n`,
    `l etc/crio/crio.conf.d/10-root.conf ${outside}/10-root.conf`,
    "d data/crio",
    "l var/lib/crio-link /data/crio",
  ]);
  const pm = readStorageConfig({ hostRoot: host });
  assert.deepEqual(
    [pm.path, pm.graphroot, pm.rootLink],
    [join(host, "etc/containers/storage.conf"), join(host, "var/lib/containers/storage"), null],
  );
  const crio = readStorageConfig({ hostRoot: host, crio: true });
  assert.deepEqual(crio.crioPaths, [join(host, "etc/crio/crio.conf"), join(host, outside, "10-root.conf")]);
  assert.equal(crio.graphroot, join(host, "data/crio"));
  assert.deepEqual(crio.rootLink, { path: "/var/lib/crio-link", target: "/data/crio" });
  assert.equal(crio.runroot, join(host, "run/crio-store"));
});
