// test/integration/links.suite.ts — `crifs fs` and `crifs links` against the real bed: the merged root read
// from snapshot dirs must answer what the container itself answers (whiteouts, opaque dirs, symlinks resolved
// inside the image, never on the host), and the broken links crifs finds in the running container must be
// exactly the ones its own kernel cannot follow (busybox find + `[ -e ]` run inside it with ctr tasks exec).
// `find <mounted rootfs> -xtype l` is not the reference: on the host, absolute targets lead out of the root.
//
// The kernel comparison plants a few links in the running container (through the container, so its upper dir
// is written by the kernel) and removes them again afterwards.

import assert from "node:assert/strict";
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { contractErrors, crifs, isOneLineError, json } from "./cli.js";

interface FsEntry {
  path: string;
  kind: string;
  target: string | null;
  layer: { index: number; key: string; id: string; isUpper: boolean };
  hostPath: string;
}
interface BrokenLink {
  namespace: string;
  container: string;
  path: string;
  target: string;
  layer: { index: number; key: string; id: string; hostPath: string };
  reason: string;
  isHostOnly: boolean;
  isInLowerLayer: boolean;
}
interface LinkReport {
  containers: { namespace: string; id: string; layers: { id: string }[]; symlinks: number; broken: number }[];
  skipped: unknown[];
  brokenLinks: BrokenLink[];
  linksIntoMounts: unknown[];
  sharedFilesChecked: boolean;
  hardLinkGroups: { names: { path: string }[] }[];
  duplicates: {
    size: number;
    copies: number;
    savableBytes: number;
    names: { namespace: string; path: string }[];
  }[];
  savableBytes: number;
  errors: unknown[];
}

function storeFlags(bed: Bed): string[] {
  return ["--runtime", "containerd", "--root", bed.root, "--state", bed.state, "--config", bed.configPath];
}

/** The host dir of snapshot dir id `id`. */
function layerDir(bed: Bed, id: string): string {
  return join(bed.snapshotsDir, id, "fs");
}

/** Links planted in the running container for the kernel comparison: name → target. */
const planted: Record<string, string> = {
  "loop-a": "loop-b",
  "loop-b": "loop-a",
  notdir: "/etc/passwd/x",
  "dangling-rel": "../nothing-here",
  "into-opaque": "/data/keepdir/k.txt",
  "to-whiteout": "/data/todelete.txt",
  works: "/bin/busybox",
  "works-rel": "../../data/keepdir/new.txt",
};
const plantDir = "/tmp/crifs-links";

let execSeq = 0;
/** Runs a shell script inside the running container, as ctr tasks exec does. */
function inContainer(bed: Bed, script: string): string {
  const id = `crifs-links-${process.pid}-${++execSeq}`;
  return bed.ctr(
    ["tasks", "exec", "--exec-id", id, bed.facts.containers.running, "/bin/sh", "-c", script],
    "default",
  );
}

export function linksSuite(getBed: () => Bed) {
  describe("crifs fs: a container's root read from its snapshot dirs", () => {
    const fs = (container: string, ...args: string[]) =>
      crifs([...storeFlags(getBed()), "fs", container, ...args]);

    test("cat of /data/written.txt in the exited container prints what its task wrote", () => {
      const bed = getBed();
      const r = fs(bed.facts.containers.exited, "cat", "/data/written.txt");
      assert.equal(r.status, 0, r.stderr);
      // 30-populate.sh: echo written > /data/written.txt
      assert.equal(r.stdout, "written\n");
      assert.equal(
        r.stdout,
        readFileSync(join(layerDir(bed, bed.facts.snapshotDirs.exited), "data/written.txt"), "utf8"),
      );
    });

    test("cat of a whited-out file fails as in the container: one stderr line, no such file or directory, exit 66", () => {
      const bed = getBed();
      // todelete.txt: whiteout in layer 2; layer2.txt: removed by the exited container's task (its upper dir)
      for (const path of ["/data/todelete.txt", "/data/layer2.txt"]) {
        const r = fs(bed.facts.containers.exited, "cat", path);
        assert.equal(r.status, 66, `${path}: ${r.stderr}`);
        assert.equal(r.stdout, "");
        assert.ok(isOneLineError(r), r.stderr);
        assert.match(r.stderr, /: no such file or directory\n$/);
        assert.ok(r.stderr.includes(JSON.stringify(path)), r.stderr);
      }
      // the file is still on disk in layer 1: only the whiteout above hides it
      const layer1 = layerDir(bed, bed.facts.snapshotDirs.defaultLayers.at(-1) as string);
      assert.equal(readFileSync(join(layer1, "data/todelete.txt"), "utf8"), "to be deleted\n");
    });

    test("ls of the opaque dir /data/keepdir lists only the upper layer's new.txt, not k.txt below it", () => {
      const bed = getBed();
      const entries = json<FsEntry[]>(fs(bed.facts.containers.running, "ls", "/data/keepdir", "-o", "json"));
      assert.deepEqual(
        entries.map((e) => e.path),
        ["/data/keepdir/new.txt"],
      );
      assert.equal(
        entries[0]?.layer.id,
        bed.facts.snapshotDirs.defaultLayers[0],
        "layer 4 (the top image layer)",
      );
      // the dir the exited container's task replaced is opaque too, made by the kernel in its upper dir
      const replaced = json<FsEntry[]>(fs(bed.facts.containers.exited, "ls", "/data/replaced", "-o", "json"));
      assert.deepEqual(
        replaced.map((e) => [e.path, e.layer.isUpper]),
        [["/data/replaced/n.txt", true]],
      );
      const k = fs(bed.facts.containers.running, "cat", "/data/keepdir/k.txt");
      assert.equal(k.status, 66);
      assert.ok(isOneLineError(k), k.stderr);
    });

    test("abs-link and rel-link resolve inside the image to its /etc/passwd (layer 2's), never the host's", () => {
      const bed = getBed();
      const passwd = readFileSync(
        join(layerDir(bed, bed.facts.snapshotDirs.defaultLayers[2] as string), "etc/passwd"),
        "utf8",
      );
      assert.match(passwd, /nobody/, "layer 2 rewrote /etc/passwd");
      assert.notEqual(passwd, readFileSync("/etc/passwd", "utf8"));
      for (const container of [bed.facts.containers.running, bed.facts.containers.exited]) {
        assert.equal(fs(container, "cat", "/etc/passwd").stdout, passwd);
        for (const link of ["/data/abs-link", "/data/rel-link"]) {
          const r = fs(container, "cat", link);
          assert.equal(r.status, 0, r.stderr);
          assert.equal(r.stdout, passwd, link);
        }
      }
      // the host-only link's target exists on the host, yet not in the container
      const host = fs(bed.facts.containers.running, "cat", "/data/host-only-link");
      assert.equal(host.status, 66);
      assert.ok(isOneLineError(host), host.stderr);
      assert.ok(readFileSync(bed.hostOnlyTarget, "utf8").length > 0);
    });

    test("ls, find and stat -o json follow docs/json.md; stat names the layer and where a link resolves", () => {
      const bed = getBed();
      const c = bed.facts.containers.exited;
      for (const args of [["ls", "/"], ["ls", "/data"], ["find", "/data"], ["find"]]) {
        const data = json(fs(c, ...args, "-o", "json"));
        assert.equal(contractErrors("fsEntries", data), null, args.join(" "));
      }
      const link = json<Record<string, unknown>>(fs(c, "stat", "/data/host-only-link", "-o", "json"));
      assert.equal(contractErrors("fsStat", link), null);
      assert.equal(link.target, bed.hostOnlyTarget);
      assert.deepEqual(link.layer, {
        index: 3,
        key: bed.facts.snapshots.smallTopChainId,
        id: bed.facts.snapshotDirs.defaultLayers[2],
        isUpper: false,
      });
      assert.deepEqual((link.resolved as { ok: boolean; error: string }).error, "ENOENT");
      const abs = json<{ resolved: { ok: boolean; path: string; hops: string[] } }>(
        fs(c, "stat", "/data/abs-link", "-o", "json"),
      );
      assert.deepEqual(
        [abs.resolved.ok, abs.resolved.path, abs.resolved.hops],
        [true, "/etc/passwd", ["/data/abs-link"]],
      );
      const dir = json<{ mergedLayers: { id: string }[] }>(fs(c, "stat", "/data", "-o", "json"));
      assert.deepEqual(
        dir.mergedLayers.map((l) => l.id),
        [bed.facts.snapshotDirs.exited, ...bed.facts.snapshotDirs.defaultLayers],
      );
    });

    test("find / lists exactly the paths the running container's own find / -xdev lists", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const theirs = inContainer(bed, "find / -xdev").trim().split("\n").sort();
      const ours = fs(bed.facts.containers.running, "find", "/").stdout.trim().split("\n").sort();
      assert.ok(theirs.length > 20, theirs.join(","));
      assert.deepEqual(ours, theirs);
    });
  });

  describe("crifs links: broken symlinks judged inside each container, shared files across layers", () => {
    const links = (...args: string[]) => crifs([...storeFlags(getBed()), "links", ...args]);

    after(async () => {
      const bed = getBed();
      await bed.startContainerd();
      inContainer(bed, `rm -rf ${plantDir}`);
    });

    test("links finds /data/host-only-link in every container, host-only, in layer 2's snapshot, and no other", () => {
      const bed = getBed();
      const r = json<LinkReport>(links("-o", "json"));
      assert.equal(contractErrors("links", r), null);
      const { running, exited, created, k8sRunning } = bed.facts.containers;
      assert.deepEqual(r.containers.map((c) => c.id).sort(), [created, exited, k8sRunning, running].sort());
      assert.deepEqual(r.skipped, []);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(
        r.brokenLinks.map((b) => `${b.namespace} ${b.container} ${b.path}`),
        [
          `default ${created} /data/host-only-link`,
          `default ${exited} /data/host-only-link`,
          `default ${running} /data/host-only-link`,
          `k8s.io ${k8sRunning} /data/host-only-link`,
        ],
      );
      for (const b of r.brokenLinks) {
        const layer2 = (
          b.namespace === "k8s.io" ? bed.facts.snapshotDirs.k8sLayers : bed.facts.snapshotDirs.defaultLayers
        )[2];
        assert.equal(b.target, bed.hostOnlyTarget);
        assert.equal(b.reason, "ENOENT");
        assert.equal(b.isHostOnly, true);
        assert.equal(b.isInLowerLayer, true);
        assert.equal(b.layer.key, bed.facts.snapshots.smallTopChainId, "layer 2 is bb:small's top layer");
        assert.equal(b.layer.id, layer2);
        assert.equal(b.layer.hostPath, join(layerDir(bed, layer2 as string), "data/host-only-link"));
      }
      assert.deepEqual(r.linksIntoMounts, []);
    });

    test("--shared: the image's hard links stay in one layer; identical files of the two namespaces' layers are found", () => {
      const r = json<LinkReport>(links("--shared", "-o", "json"));
      assert.equal(r.sharedFilesChecked, true);
      // data/hl1 and hl2 share an inode inside layer 1 only: not a group that spans layers
      assert.deepEqual(r.hardLinkGroups, []);
      // default and k8s.io unpacked the same layers into separate dirs: busybox is there twice
      const busybox = r.duplicates.find((d) => d.names.some((n) => n.path === "/bin/busybox"));
      assert.ok(busybox !== undefined, "busybox is duplicated across namespaces");
      assert.deepEqual(
        busybox.names.map((n) => `${n.namespace} ${n.path}`),
        ["default /bin/busybox", "k8s.io /bin/busybox"],
      );
      assert.equal(busybox.copies, 2);
      assert.ok(busybox.savableBytes >= busybox.size, `${busybox.savableBytes} < ${busybox.size}`);
      assert.equal(
        r.savableBytes,
        r.duplicates.reduce((n, d) => n + d.savableBytes, 0),
      );
    });

    test("links <container> looks at that container alone and, without --shared, skips the shared-file walk", () => {
      const bed = getBed();
      const r = json<LinkReport>(links(bed.facts.containers.created, "-o", "json"));
      assert.equal(contractErrors("links", r), null);
      assert.deepEqual(
        r.containers.map((c) => [c.id, c.layers.map((l) => l.id)]),
        [
          [
            bed.facts.containers.created,
            [bed.facts.snapshotDirs.created, ...bed.facts.snapshotDirs.defaultLayers.slice(2)],
          ],
        ],
      );
      assert.equal(r.sharedFilesChecked, false);
      assert.deepEqual([r.hardLinkGroups, r.duplicates], [[], []]);
      assert.deepEqual(
        r.brokenLinks.map((b) => b.path),
        ["/data/host-only-link"],
      );
      const table = links(bed.facts.containers.created);
      assert.equal(table.status, 0, table.stderr);
      assert.match(table.stdout, /\/data\/host-only-link/);
    });

    test("the running container's broken links are exactly the ones its own kernel cannot follow", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const plant = Object.entries(planted)
        .map(([name, target]) => `ln -s ${target} ${plantDir}/${name}`)
        .join(" && ");
      inContainer(bed, `rm -rf ${plantDir} && mkdir -p ${plantDir} && ${plant}`);
      const kernel = inContainer(bed, 'for l in $(find / -xdev -type l); do [ -e "$l" ] || echo "$l"; done')
        .trim()
        .split("\n")
        .sort();
      const linkCount = Number(inContainer(bed, "find / -xdev -type l | wc -l").trim());

      // --broken-only: the old spelling of the default still runs
      const r = json<LinkReport>(links(bed.facts.containers.running, "--broken-only", "-o", "json"));
      const ours = r.brokenLinks.map((b) => b.path).sort();
      assert.deepEqual(ours, kernel);
      assert.equal(
        r.containers[0]?.symlinks,
        linkCount,
        "every link the container's find sees, no hidden one",
      );
      // and the sets are not trivial: the planted breakage of each kind is there
      const reasons = Object.fromEntries(r.brokenLinks.map((b) => [b.path, b.reason]));
      assert.deepEqual(reasons, {
        "/data/host-only-link": "ENOENT",
        [`${plantDir}/dangling-rel`]: "ENOENT",
        [`${plantDir}/into-opaque`]: "ENOENT",
        [`${plantDir}/loop-a`]: "ELOOP",
        [`${plantDir}/loop-b`]: "ELOOP",
        [`${plantDir}/notdir`]: "ENOTDIR",
        [`${plantDir}/to-whiteout`]: "ENOENT",
      });
      for (const b of r.brokenLinks.filter((x) => x.path.startsWith(plantDir))) {
        assert.deepEqual(
          [b.layer.index, b.layer.id, b.isInLowerLayer],
          [0, bed.facts.snapshotDirs.running, false],
        );
        assert.equal(b.target, planted[b.path.slice(plantDir.length + 1)]);
      }
    });
  });

  describe("hostile sizes: a 16 TiB sparse file in a real layer costs what it holds (issue 13, item 8)", () => {
    // ext4 (the bed's disk) holds at most 16 TiB less one 4 KiB block in one file
    const size = 16 * 2 ** 40 - 4096;
    const name = "crifs-sparse-16t.img";
    const planted = (bed: Bed) => [
      join(layerDir(bed, bed.facts.snapshotDirs.defaultLayers[0] as string), name),
      join(layerDir(bed, bed.facts.snapshotDirs.k8sLayers[0] as string), name),
    ];

    /** A sparse file of `size` bytes holding a few bytes in its middle and at its end. */
    function plant(path: string): void {
      writeFileSync(path, "");
      truncateSync(path, size);
      const fd = openSync(path, "r+");
      try {
        writeSync(fd, Buffer.from("in the middle"), 0, 13, 8 * 2 ** 40);
        writeSync(fd, Buffer.from("end"), 0, 3, size - 3);
      } finally {
        closeSync(fd);
      }
    }

    after(() => {
      for (const p of planted(getBed())) rmSync(p, { force: true });
    });

    /** crifs with the bed's flags, and how long it took. */
    function timed(args: string[]): { r: ReturnType<typeof crifs>; ms: number } {
      const t0 = Date.now();
      const r = crifs([...storeFlags(getBed()), ...args]);
      return { r, ms: Date.now() - t0 };
    }

    test("links --shared reads the two copies by their data and groups them as duplicates, in seconds", () => {
      for (const p of planted(getBed())) plant(p);
      const { r, ms } = timed(["links", "--shared", "-o", "json"]);
      const report = json<LinkReport>(r);
      // reading 2 × 16 TiB of holes would take hours; their data is a few 64 KiB chunks
      assert.ok(ms < 60_000, `links --shared took ${ms} ms`);
      const group = report.duplicates.find((d) => d.names.some((n) => n.path === `/${name}`));
      assert.ok(group !== undefined, "the two sparse copies are one duplicate group");
      assert.equal(group.size, size);
      assert.deepEqual(
        group.names.map((n) => `${n.namespace} ${n.path}`),
        [`default /${name}`, `k8s.io /${name}`],
      );
      assert.deepEqual(report.errors, []);
    });

    test("doctor --verify: the file the layer's tar lacks is a difference found without reading it, in seconds", () => {
      const bed = getBed();
      for (const p of planted(bed)) if (!existsSync(p)) plant(p);
      const { r, ms } = timed(["doctor", "--verify", "--check", "layer-content-mismatch", "-o", "json"]);
      assert.ok(ms < 60_000, `doctor --verify took ${ms} ms`);
      assert.equal(r.status, 2, r.stderr);
      const findings = (
        JSON.parse(r.stdout) as { findings: { check: string; path: string; message: string }[] }
      ).findings;
      const paths = findings.map((f) => f.path).sort();
      const dirs = [bed.facts.snapshotDirs.defaultLayers[0], bed.facts.snapshotDirs.k8sLayers[0]].map((id) =>
        layerDir(bed, id as string),
      );
      assert.deepEqual(paths, dirs.sort());
      for (const f of findings) {
        assert.equal(f.check, "layer-content-mismatch");
        assert.match(f.message, new RegExp(`/${name.replace(/\./g, "\\.")}: a file the layer does not have`));
      }
    });
  });
}
