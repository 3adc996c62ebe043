// test/integration/clone.suite.ts — `crifs clone` on real stores of the three runtimes (issue 18): every mode's
// clone has its source's manifest; a hardlink clone's in-place write and chmod reach the source while a copy's
// and a reflink's do not; reflink on a loop-mounted xfs (mkfs.xfs -m reflink=1) made and removed here; a
// whiteout, a fifo, a sparse file, a setuid file, xattrs and a hard-link pair planted in a snapshot survive;
// a writable source is refused for hardlink without --force; a killed clone leaves no tree under DEST's name.
//
// containerd: layers made through ctr in a namespace of this suite's own (removed afterwards), beside the bed's
// busybox layers. podman and docker: the exited container's writable layer and an image layer of a podman
// bed and a dockerd bed started here side by side (test/bed/podman.ts, docker-bed.ts) and removed after.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { copyTree } from "../../src/copy/copy-tree.js";
import { compareManifests, readManifest } from "../../src/copy/manifest.js";
import type { Bed } from "../bed/bed.js";
import { type DockerBed, startDockerBed } from "../bed/docker-bed.js";
import { type PodmanBed, podmanFlags, startPodmanBed } from "../bed/podman.js";
import { bedFlags, CRIFS, contractErrors, crifs, isOneLineError, json } from "./cli.js";
import { manifest } from "./manifest.js";

const NS = "crifs-clone";

interface CloneJson {
  subject: string;
  source: string;
  dest: string;
  mode: string;
  notes: string[];
  copied: { files: number; hardlinks: number; specials: number; sockets: number; reflinkedBytes: number };
  verify: { isEqual: boolean; entries: number; differences: unknown[] } | null;
}

/** The manifest of a tree with the root's own path left out, to compare a clone with its source. */
function treeOf(root: string) {
  return manifest([root]).map((e) => ({ ...e, path: e.path.slice(root.length) }));
}

/** Opens without O_TRUNC and writes in place, as an editor that rewrites a file does not, but a database does. */
function writeInPlace(path: string, text: string): void {
  const fd = openSync(path, "r+"); // O_RDWR, no O_TRUNC, no O_CREAT
  try {
    writeSync(fd, text, 0);
  } finally {
    closeSync(fd);
  }
}

/** The dir of a snapshot `ctr snapshots prepare --mounts` made: a bind mount's source, or overlay's upperdir. */
function preparedDir(ctrJson: string): string {
  const m = (JSON.parse(ctrJson || "[]") as Record<string, unknown>[])[0] ?? {};
  const options = (m.Options ?? m.options ?? []) as string[];
  const upper = options.find((o) => o.startsWith("upperdir="))?.slice("upperdir=".length);
  return upper ?? String(m.Source ?? m.source ?? "");
}

/** A new dir for clones of `source` under the mount the source lies in (link() and FICLONE work within one
 * mount: the podman bed's overlay home may be a mount of its own). */
function besideMount(source: string, name: string): string {
  const mount = execFileSync("findmnt", ["-n", "-o", "TARGET", "-T", source], { encoding: "utf8" }).trim();
  const dir = mount === "/" ? "/var/tmp" : mount;
  return realpathSync(mkdtempSync(join(dir, `.crifs-clone-${name}.`)));
}

/** Plants one of each kind the copier must keep into a snapshot's fs dir. */
function plant(fs: string): void {
  mkdirSync(join(fs, "usr", "bin"), { recursive: true });
  writeFileSync(join(fs, "usr", "bin", "su"), "#!/bin/sh\necho su\n");
  chmodSync(join(fs, "usr", "bin", "su"), 0o4755);
  execFileSync("ln", [join(fs, "usr", "bin", "su"), join(fs, "usr", "bin", "su-link")]);
  execFileSync("mknod", [join(fs, "usr", "removed"), "c", "0", "0"]);
  execFileSync("mkfifo", [join(fs, "fifo")]);
  mkdirSync(join(fs, "opaque"));
  execFileSync("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", join(fs, "opaque")]);
  execFileSync("setfattr", [
    "-n",
    "security.capability",
    "-v",
    "0x0100000200200000000000000000000000000000",
    join(fs, "usr", "bin", "su"),
  ]);
  writeFileSync(join(fs, "sparse"), "head");
  truncateSync(join(fs, "sparse"), 32 << 20);
  writeFileSync(join(fs, "data"), "original contents\n");
  execFileSync("chown", ["-h", "1234:5678", join(fs, "data")]);
}

export function cloneSuite(getBed: () => Bed) {
  describe("crifs clone: faithful copies of real snapshots (containerd)", () => {
    let work = "";
    let layerFs = "";
    const flags = () => [...bedFlags(getBed()), "-n", NS];
    const clone = (ref: string, dest: string, ...more: string[]) =>
      crifs([...flags(), "clone", ref, dest, "-o", "json", ...more]);

    before(() => {
      const bed = getBed();
      work = realpathSync(mkdtempSync("/var/tmp/crifs-clone."));
      const upper = preparedDir(bed.ctr(["snapshots", "prepare", "--mounts", "clone-base"], NS));
      assert.ok(existsSync(upper), `the prepared snapshot's dir: ${upper}`);
      plant(upper);
      bed.ctr(["snapshots", "commit", "clone-layer", "clone-base"], NS);
      bed.ctr(["snapshots", "prepare", "clone-upper", "clone-layer"], NS);
      const snaps = json<{ key: string; path: string }[]>(crifs([...flags(), "snapshots", "-o", "json"]));
      layerFs = snaps.find((s) => s.key === "clone-layer")?.path ?? "";
      assert.ok(existsSync(join(layerFs, "fifo")), "the planted layer is listed");
    });
    after(() => {
      const bed = getBed();
      for (const k of ["clone-upper", "clone-many", "clone-layer"]) {
        try {
          bed.ctr(["snapshots", "rm", k], NS);
        } catch {
          // not made (a failed before())
        }
      }
      bed.ctr(["namespaces", "rm", NS]);
      if (work !== "") rmSync(work, { recursive: true, force: true });
    });

    test("every mode's clone of a layer has its manifest: whiteout, fifo, holes, setuid, xattrs, links kept", () => {
      const before = treeOf(layerFs);
      for (const mode of ["copy", "auto", "hardlink"]) {
        const dest = join(work, `layer-${mode}`);
        const r = clone("clone-layer", dest, "--mode", mode, "--verify");
        const out = json<CloneJson>(r);
        assert.equal(contractErrors("clone", out), null);
        assert.equal(out.verify?.isEqual, true, JSON.stringify(out.verify?.differences));
        const tree = treeOf(dest);
        assert.deepEqual(tree, before, mode);
        assert.equal(out.copied.specials, 2, "the whiteout and the fifo");
        const at = (p: string) => tree.find((e) => e.path === p);
        assert.equal(at("/usr/removed")?.rdev, "0:0");
        assert.equal(at("/fifo")?.type, "fifo");
        assert.equal(at("/usr/bin/su")?.mode, 0o4755);
        assert.ok(at("/usr/bin/su")?.xattrs.some(([n]) => n === "security.capability"));
        assert.deepEqual(at("/opaque")?.xattrs, [["trusted.overlay.opaque", "79"]]);
        assert.equal(at("/usr/bin/su")?.linkGroup, at("/usr/bin/su-link")?.linkGroup);
        assert.notEqual(at("/usr/bin/su")?.linkGroup, null);
        assert.equal(at("/data")?.uid, 1234);
        // du of the copy: the 32 MiB file holds one block of data
        const du = Number(
          execFileSync("du", ["-B1", join(dest, "sparse")], { encoding: "utf8" }).split("\t")[0],
        );
        assert.ok(du < 1 << 20, `${mode}: the sparse file's copy allocates ${du} bytes`);
        if (mode === "hardlink") assert.ok(out.notes.some((n) => /changes the source too/.test(n)));
      }
      assert.deepEqual(treeOf(layerFs), before, "the source is unchanged");
    });

    test("the bed's own image layers clone with equal manifests (copy and hardlink)", () => {
      const bed = getBed();
      for (const [i, id] of bed.facts.snapshotDirs.defaultLayers.entries()) {
        const src = join(bed.snapshotsDir, id, "fs");
        const snaps = json<{ key: string; path: string }[]>(
          crifs([...bedFlags(bed), "-n", "default", "snapshots", "-o", "json"]),
        );
        const key = snaps.find((s) => s.path === src)?.key ?? "";
        for (const mode of ["copy", "hardlink"]) {
          const dest = join(work, `bed-${i}-${mode}`);
          const r = crifs([...bedFlags(bed), "-n", "default", "clone", key, dest, "--mode", mode]);
          assert.equal(r.status, 0, r.stderr);
          assert.deepEqual(treeOf(dest), treeOf(src), `${key} ${mode}`);
        }
      }
    });

    test("an in-place write and a chmod in a hardlink clone reach the source; in a copy they do not", () => {
      const hard = join(work, "layer-hardlink");
      const copy = join(work, "layer-copy");
      writeInPlace(join(copy, "data"), "COPY");
      chmodSync(join(copy, "data"), 0o600);
      assert.equal(readFileSync(join(layerFs, "data"), "utf8"), "original contents\n");
      assert.equal(lstatSync(join(layerFs, "data")).mode & 0o7777, 0o644);
      writeInPlace(join(hard, "data"), "HARD");
      chmodSync(join(hard, "data"), 0o600);
      assert.equal(readFileSync(join(layerFs, "data"), "utf8"), "HARDinal contents\n");
      assert.equal(lstatSync(join(layerFs, "data")).mode & 0o7777, 0o600);
      writeInPlace(join(hard, "data"), "orig");
      chmodSync(join(hard, "data"), 0o644);
    });

    test("reflink on a loop-mounted xfs (reflink=1): equal manifest, shared extents, writes stay in the clone", () => {
      const img = join(work, "xfs.img");
      const mnt = join(work, "xfs");
      mkdirSync(mnt);
      writeFileSync(img, "");
      truncateSync(img, 512 << 20);
      execFileSync("mkfs.xfs", ["-q", "-m", "reflink=1", img]);
      execFileSync("mount", ["-o", "loop", img, mnt]);
      try {
        // the store itself on xfs: the bed's root copied there (crifs reads it offline), then cloned by ref
        const root = join(mnt, "root");
        execFileSync("cp", ["-a", getBed().root, root]);
        const store = [
          "--runtime",
          "containerd",
          "--root",
          root,
          "--state",
          join(work, "no-state"),
          "-n",
          NS,
        ];
        const dest = join(mnt, "clone");
        const r = crifs([
          ...store,
          "--offline",
          "clone",
          "clone-layer",
          dest,
          "--mode",
          "reflink",
          "--verify",
          "-o",
          "json",
        ]);
        const out = json<CloneJson>(r);
        assert.equal(out.verify?.isEqual, true, JSON.stringify(out.verify?.differences));
        assert.equal(out.mode, "reflink");
        assert.ok(out.copied.reflinkedBytes > 0);
        const src = out.source;
        assert.ok(src.startsWith(root), src);
        writeInPlace(join(dest, "data"), "REFL");
        chmodSync(join(dest, "data"), 0o600);
        assert.equal(readFileSync(join(src, "data"), "utf8"), "original contents\n");
        assert.equal(lstatSync(join(src, "data")).mode & 0o7777, 0o644);
        // auto on xfs reflinks too
        const auto = json<CloneJson>(
          crifs([...store, "--offline", "clone", "clone-layer", join(mnt, "auto"), "-o", "json"]),
        );
        assert.equal(auto.mode, "reflink");
        // reflink across filesystems: one line naming DEST's filesystem
        const cross = crifs([...flags(), "clone", "clone-layer", join(mnt, "cross"), "--mode", "reflink"]);
        assert.equal(cross.status, 69, cross.stderr);
        assert.ok(isOneLineError(cross), cross.stderr);
        assert.match(cross.stderr, /DEST's filesystem \(xfs on .*\) is not the source's/);
        assert.equal(existsSync(join(mnt, "cross")), false);
      } finally {
        execFileSync("umount", [mnt]);
        rmSync(img);
      }
    });

    test("reflink where the filesystem has none fails in one line naming it, and leaves nothing", () => {
      const dest = join(work, "no-reflink");
      const fsName = execFileSync("stat", ["-f", "-c", "%T", work], { encoding: "utf8" }).trim();
      const r = crifs([...flags(), "clone", "clone-layer", dest, "--mode", "reflink"]);
      if (fsName === "xfs" || fsName === "btrfs") return; // this host's /var/tmp has reflinks: nothing to refuse
      assert.equal(r.status, 69, r.stderr);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, /cannot reflink: DEST's filesystem \(\w+\) has no reflinks/);
      assert.equal(existsSync(dest), false);
      assert.deepEqual(
        readdirSync(work).filter((n) => n.includes("crifs-clone-tmp")),
        [],
      );
    });

    test("hardlink of an active snapshot is refused without --force, and says what it shares with it", () => {
      const dest = join(work, "upper-hardlink");
      const r = clone("clone-upper", dest, "--mode", "hardlink");
      assert.equal(r.status, 73, r.stderr);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, /refusing a hardlink clone of the active snapshot .*--force/);
      assert.equal(existsSync(dest), false);
      const forced = crifs([...flags(), "clone", "clone-upper", dest, "--mode", "hardlink", "--force"]);
      assert.equal(forced.status, 0, forced.stderr);
      assert.match(forced.stdout, /^note: hardlink clone: .*in-place write, chmod, chown/m);
    });

    test("a clone found by bolt lookups names what the loaded store names, with --runtime or without", () => {
      // an exact key or id is looked up (with --runtime containerd, or without it when containerd's is the only
      // store found); a prefix of it cannot be, and loads the store: both must name the same snapshot and dir
      const detected = flags().filter((f, i, all) => f !== "--runtime" && all[i - 1] !== "--runtime");
      for (const [ref, mode] of [
        ["clone-layer", "copy"],
        ["clone-upper", "copy"],
        ["clone-layer", "hardlink"],
      ] as const) {
        const slow = json<CloneJson>(
          crifs([
            ...flags(),
            "clone",
            ref.slice(0, -1),
            join(work, `loaded-${ref}-${mode}`),
            "--mode",
            mode,
            "-o",
            "json",
          ]),
        );
        for (const [how, f] of [
          ["--runtime", flags()],
          ["detected", detected],
        ] as const) {
          const fast = json<CloneJson>(
            crifs([
              ...f,
              "clone",
              ref,
              join(work, `found-${ref}-${mode}-${how}`),
              "--mode",
              mode,
              "-o",
              "json",
            ]),
          );
          assert.deepEqual(
            [fast.subject, fast.source, fast.mode, fast.notes],
            [slow.subject, slow.source, slow.mode, slow.notes],
            `${ref} ${mode} ${how}`,
          );
        }
        assert.match(slow.subject, new RegExp(`^snapshot ${NS}/overlayfs/${ref}$`));
      }
      const loaded = flags();
      const refused = crifs([
        ...flags(),
        "clone",
        "clone-upper",
        join(work, "found-hl"),
        "--mode",
        "hardlink",
      ]);
      assert.equal(refused.status, 73, refused.stderr);
      assert.match(refused.stderr, /refusing a hardlink clone of the active snapshot /);
      const missing = crifs([...flags(), "clone", "no-such-layer", join(work, "found-none")]);
      assert.equal(
        missing.status,
        crifs([...loaded, "clone", "no-such-layer", join(work, "loaded-none")]).status,
      );
      assert.ok(isOneLineError(missing), missing.stderr);
    });

    test("DEST that holds something, or lies inside the source, is refused in one line", () => {
      const full = join(work, "full");
      mkdirSync(full);
      writeFileSync(join(full, "x"), "x");
      for (const [dest, what] of [
        [full, /exists and is not an empty dir/],
        [join(layerFs, "inner"), /lies inside the source/],
      ] as const) {
        const r = crifs([...flags(), "clone", "clone-layer", dest]);
        assert.equal(r.status, 64, r.stderr);
        assert.ok(isOneLineError(r), r.stderr);
        assert.match(r.stderr, what);
      }
      const empty = join(work, "empty");
      mkdirSync(empty);
      assert.equal(crifs([...flags(), "clone", "clone-layer", empty]).status, 0);
    });

    test("a clone killed half-way leaves its temp dir and no tree under DEST's name", async () => {
      const bed = getBed();
      const upper = preparedDir(bed.ctr(["snapshots", "prepare", "--mounts", "clone-many"], NS));
      for (let d = 0; d < 10; d++) {
        mkdirSync(join(upper, `d${d}`));
        for (let f = 0; f < 1000; f++) writeFileSync(join(upper, `d${d}`, `f${f}`), "x");
      }
      const dest = join(work, "killed");
      const p = spawn(process.execPath, [CRIFS, ...flags(), "clone", "clone-many", dest, "--mode", "copy"]);
      const gone = new Promise((done) => p.on("exit", done));
      const staging = `.killed.crifs-clone-tmp-${p.pid}`;
      const t0 = Date.now();
      while (!existsSync(join(work, staging)) && Date.now() - t0 < 30_000)
        await new Promise((r) => setTimeout(r, 2));
      p.kill("SIGKILL");
      await gone;
      assert.ok(existsSync(join(work, staging)), "the temp dir was seen while the clone ran");
      assert.equal(existsSync(dest), false, "no half tree under DEST's name");
      rmSync(join(work, staging), { recursive: true, force: true });
      assert.equal(crifs([...flags(), "clone", "clone-many", dest, "--mode", "copy"]).status, 0);
      assert.equal(readdirSync(dest).length, 10);
    });

    test("the copier's API copies a tree given by path (what relocate uses)", async () => {
      const dest = join(work, "api");
      const r = await copyTree(layerFs, dest, { mode: "copy" });
      assert.equal(r.hardlinks, 1);
      assert.deepEqual(compareManifests(readManifest(layerFs), readManifest(dest)), []);
    });
  });

  describe("crifs clone: podman and docker layers and containers", () => {
    let pb: PodmanBed | undefined;
    let db: DockerBed | undefined;
    let work = "";
    const cleanups: string[] = [];
    before(async () => {
      work = realpathSync(mkdtempSync("/var/tmp/crifs-clone-pd."));
      [pb, db] = await Promise.all([
        startPodmanBed(getBed().ociArchive, "4.3"),
        startDockerBed(getBed().ociArchive, "20.10"),
      ]);
    });
    after(async () => {
      for (const c of cleanups) rmSync(c, { recursive: true, force: true });
      await Promise.all([pb?.teardown(), db?.teardown()]);
      if (work !== "") rmSync(work, { recursive: true, force: true });
    });

    const runtimes = () =>
      [
        ["podman", podmanFlags(pb as PodmanBed), (pb as PodmanBed).facts.containers.exited],
        [
          "docker",
          ["--runtime", "docker", "--root", (db as DockerBed).root, "--state", (db as DockerBed).execRoot],
          (db as DockerBed).facts.containerIds.exited,
        ],
      ] as const;

    test("an image layer clones in copy and hardlink modes with its manifest", () => {
      for (const [name, flags] of runtimes()) {
        const images = json<{ snapshotKeys: string[] }[]>(crifs([...flags, "images", "-o", "json"]));
        const top = images.flatMap((i) => i.snapshotKeys.slice(-1))[0] ?? "";
        const layers = json<{ key: string; path: string }[]>(crifs([...flags, "snapshots", "-o", "json"]));
        const beside = besideMount(layers.find((l) => l.key === top)?.path ?? "/", name);
        cleanups.push(beside);
        for (const mode of ["copy", "hardlink"]) {
          const dest = join(beside, `layer-${mode}`);
          const out = json<CloneJson>(
            crifs([...flags, "clone", top, dest, "--mode", mode, "--verify", "-o", "json"]),
          );
          assert.equal(
            out.verify?.isEqual,
            true,
            `${name} ${mode}: ${JSON.stringify(out.verify?.differences)}`,
          );
          assert.deepEqual(treeOf(dest), treeOf(out.source), `${name} ${mode}`);
          assert.ok(out.copied.files > 0, `${name}: the layer holds files`);
        }
      }
    });

    test("a container's writable layer clones by copy; hardlink is refused without --force", () => {
      for (const [name, flags, exited] of runtimes()) {
        const dest = join(work, `${name}-container`);
        const out = json<CloneJson>(
          crifs([...flags, "clone", exited, dest, "--mode", "copy", "--verify", "-o", "json"]),
        );
        assert.equal(out.verify?.isEqual, true, `${name}: ${JSON.stringify(out.verify?.differences)}`);
        assert.match(out.subject, /^container /);
        const refused = crifs([...flags, "clone", exited, join(work, `${name}-hl`), "--mode", "hardlink"]);
        assert.equal(refused.status, 73, `${name}: ${refused.stderr}`);
        assert.ok(isOneLineError(refused), refused.stderr);
      }
    });
  });
}
