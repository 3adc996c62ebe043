import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CrifsError } from "../../errors.js";
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
  assert.throws(
    () => readStorageConfig({ path: p }),
    (e: unknown) => e instanceof CrifsError && e.code === "corrupt",
  );
  assert.throws(
    () => readStorageConfig({ path: join(tmp, "nope.conf") }),
    (e: unknown) => e instanceof CrifsError && e.code === "not-found",
  );
});
