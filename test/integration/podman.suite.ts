// test/integration/podman.suite.ts — crifs against a real podman store (containers/storage, overlay driver) on
// a private root, once per podman version (4.3: Debian 12's; 5: trixie's, chrooted, with its libpod state in
// SQLite), built from the containerd bed's OCI archive (test/bed/podman.ts): images, layers, containers
// and mounts agree with podman's own answers, du equals du -s -x -B1 of the graphroot, doctor is silent on the
// healthy store, then each fault is injected for real and reported by exactly its check (cumulatively, the
// missing l/ link LAST: any podman command that resolves the layer would recreate it). The podman bed is
// this suite's own; it is torn down in after().

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import {
  PODMAN_VERSIONS,
  type PodmanBed,
  type PodmanVersion,
  podmanFlags,
  startPodmanBed,
} from "../bed/podman.js";
import { type CliResult, contractErrors, crifs, json } from "./cli.js";
import { exportPodmanTests } from "./export.suite.js";
import { assertHeldNoLonger, withHostileSocket } from "./hostile-sockets.js";
import { manifest } from "./manifest.js";
import { webPodmanTests } from "./web.suite.js";

/** The checks this suite speaks for; others (e.g. broken-symlink, for the host-only link the image plants on
 * purpose) are left out of the comparisons. */
const MINE = new Set([
  "metadata-corrupt",
  "dangling-parent",
  "missing-layer-dir",
  "incomplete-layer",
  "missing-short-link",
  "broken-lower",
  "dangling-short-link",
  "orphan-layer-dir",
  "image-missing-layer",
  "container-missing-layer",
]);

interface Finding {
  check: string;
  severity: string;
  subject: string;
  path: string;
  bytes: number | null;
  message: string;
}
interface Report {
  findings: Finding[];
  summary: { checksRun: string[]; checksSkipped: { id: string }[] };
}
interface ImageRow {
  name: string;
  digest: string;
  configDigest: string;
  size: number;
  mediaType: string;
  snapshotKeys: string[];
}
interface SnapshotRow {
  key: string;
  parent: string | null;
  kind: string;
  path: string;
}
interface ContainerRow {
  id: string;
  names?: string[];
  image: string;
  snapshotKey: string;
  task: { status: string; pid: number } | null;
}

function gnuDu(args: string[], path: string): number {
  return Number(execFileSync("du", [...args, path], { encoding: "utf8" }).split("\t")[0]);
}

function doctor(args: string[]): Report {
  const r: CliResult = crifs([...args, "doctor", "--grace", "0", "-o", "json"]);
  assert.ok([0, 1, 2].includes(r.status), `doctor exited ${r.status}: ${r.stderr}`);
  assert.equal(r.stderr, "", "doctor wrote to stderr");
  const data = JSON.parse(r.stdout) as Report;
  assert.equal(contractErrors("doctor", data), null);
  return data;
}

/** "check path subject" of the findings of MINE, sorted. */
function mine(r: Report): string[] {
  return r.findings
    .filter((f) => MINE.has(f.check))
    .map((f) => `${f.check} ${f.path} ${f.subject}`)
    .sort();
}

/** The versions to run: all of them, or CRIFS_PODMAN_VERSIONS=5 (a developer's loop). */
export function podmanVersions(): PodmanVersion[] {
  const only = process.env.CRIFS_PODMAN_VERSIONS?.split(",").filter((v) => v !== "");
  return PODMAN_VERSIONS.filter((v) => only === undefined || only.includes(v));
}

export function podmanSuite(getBed: () => Bed) {
  for (const version of podmanVersions()) podmanVersionSuite(getBed, version);
}

function podmanVersionSuite(getBed: () => Bed, version: PodmanVersion) {
  describe(`podman ${version} (containers/storage) against a real podman store`, () => {
    let pb: PodmanBed | undefined;
    const bed = (): PodmanBed => {
      if (pb === undefined) throw new Error("the podman bed is not running (did before() fail?)");
      return pb;
    };
    const flags = () => podmanFlags(bed());
    const home = () => join(bed().root, "overlay");
    const layersJson = () => join(bed().root, "overlay-layers", "layers.json");
    const layers = () =>
      JSON.parse(readFileSync(layersJson(), "utf8")) as { id: string; parent?: string; names?: string[] }[];

    before(async () => {
      const t0 = Date.now();
      pb = await startPodmanBed(getBed().ociArchive, version);
      console.log(`podman bed ${version} (${pb.facts.version}): ${pb.work} up in ${Date.now() - t0} ms`);
    });
    after(async () => {
      await pb?.teardown();
    });

    test("info --crio-socket on a socket that does not behave shows the files within --timeout, one line (issue 13, item 2)", async () => {
      // the same containers/storage store, read as CRI-O's: info then asks CRI-O's info API for its view
      const crio = ["--runtime", "crio", "--root", bed().root, "--state", bed().runroot];
      for (const kind of ["silent", "trickle", "stall-body", "garbage"] as const) {
        await withHostileSocket(kind, "http1", async (socket) => {
          const args = [...crio, "--timeout", "2s", "info", "-o", "json", "--crio-socket", socket];
          const r = await assertHeldNoLonger(args, 2000, {
            baseline: [...crio, "info", "-o", "json", "--crio-socket", `${socket}.absent`],
            status: 0,
            line: new RegExp(
              `^crifs: ${socket}: cannot read /info: (did not answer within 2s|not a CRI-O socket \\(protocol error\\)); showing what is on disk$`,
            ),
          });
          const data = JSON.parse(r.stdout) as { runtime: string; daemon?: unknown }[];
          assert.deepEqual(
            data.map((d) => [d.runtime, d.daemon]),
            [["crio", undefined]],
          );
        });
      }
    });

    test("images -o json equals podman images: names, manifest digest, image id, size; the manifest's media type", () => {
      const ours = json<ImageRow[]>(crifs([...flags(), "images", "-o", "json"]));
      assert.equal(contractErrors("images", ours), null);
      const theirs = JSON.parse(bed().pm(["images", "--format", "json"])) as {
        Id: string;
        Names: string[];
        Digest: string;
        Size: number;
      }[];
      const t = theirs.flatMap((i) => i.Names.map((n) => `${n} ${i.Digest} sha256:${i.Id} ${i.Size}`)).sort();
      assert.deepEqual(ours.map((i) => `${i.name} ${i.digest} ${i.configDigest} ${i.size}`).sort(), t);
      for (const i of ours) {
        const type = bed().pm(["image", "inspect", i.name, "--format", "{{.ManifestType}}"]).trim();
        assert.equal(i.mediaType, type, i.name);
      }
      assert.deepEqual(
        t.map((x) => x.split(" ")[0]),
        ["localhost/bb:latest", "localhost/bb:small"],
      );
    });

    test("images' layers and containers' layer chains equal what podman inspect reports (GraphDriver)", () => {
      const snaps = json<SnapshotRow[]>(crifs([...flags(), "snapshots", "-o", "json"]));
      assert.equal(contractErrors("snapshots", snaps), null);
      const byKey = new Map(snaps.map((s) => [s.key, s]));
      const chainPaths = (key: string): string[] => {
        const out: string[] = [];
        for (let k: string | null = key; k !== null; k = byKey.get(k)?.parent ?? null)
          out.push(byKey.get(k)?.path ?? `missing ${k}`);
        return out;
      };
      type Gd = { GraphDriver: { Data: { LowerDir?: string; UpperDir: string } } };
      const gd = (kind: "image" | "container", ref: string) => {
        const d = (JSON.parse(bed().pm([kind, "inspect", ref, "--format", "json"])) as Gd[])[0]?.GraphDriver
          .Data;
        assert.ok(d);
        return [d.UpperDir, ...(d.LowerDir === undefined || d.LowerDir === "" ? [] : d.LowerDir.split(":"))];
      };
      const images = json<ImageRow[]>(crifs([...flags(), "images", "-o", "json"]));
      for (const img of images) {
        const top = img.snapshotKeys.at(-1);
        assert.ok(top !== undefined, `${img.name} has no layers`);
        assert.deepEqual(chainPaths(top), gd("image", img.name), img.name);
        assert.equal(img.snapshotKeys.length, chainPaths(top).length);
      }
      const containers = json<ContainerRow[]>(crifs([...flags(), "containers", "-o", "json"]));
      for (const c of containers) {
        assert.equal(byKey.get(c.snapshotKey)?.kind, "active", c.id);
        assert.deepEqual(chainPaths(c.snapshotKey), gd("container", c.id), c.id);
      }
      // container layers are the active ones, image layers committed
      assert.equal(snaps.filter((s) => s.kind === "active").length, containers.length);
    });

    test("containers -o json equals podman ps -a: ids, names, image, state and pid", () => {
      const ours = json<ContainerRow[]>(crifs([...flags(), "containers", "-o", "json"]));
      assert.equal(contractErrors("containers", ours), null);
      const theirs = JSON.parse(bed().pm(["ps", "-a", "--format", "json"])) as {
        Id: string;
        Names: string[];
        Image: string;
        State: string;
        Pid: number;
      }[];
      const status = (s: string) => (s === "exited" ? "stopped" : s);
      assert.deepEqual(
        ours.map((c) => `${c.id} ${(c.names ?? []).join(",")} ${c.image} ${c.task?.status}`).sort(),
        theirs.map((c) => `${c.Id} ${c.Names.join(",")} ${c.Image} ${status(c.State)}`).sort(),
      );
      const running = ours.find((c) => c.id === bed().facts.containers.running);
      assert.equal(running?.task?.pid, theirs.find((c) => c.Id === bed().facts.containers.running)?.Pid);
    });

    test("mounts of the running container rebuild its live overlay mount exactly (l/ links, nearest first)", () => {
      const m = json<{ options: string[]; mounted: { options: string[] } | null }>(
        crifs([...flags(), "mounts", bed().facts.containers.running, "-o", "json"]),
      );
      assert.equal(contractErrors("mounts", m), null);
      assert.ok(m.mounted, "the running container's merged dir is not mounted");
      const live = m.mounted.options.filter((o) => /^(lowerdir|upperdir|workdir)=/.test(o));
      assert.deepEqual(m.options, live);
      assert.match(m.options[0] ?? "", new RegExp(`^lowerdir=${home()}/l/[A-Z0-9]{26}(:|$)`));
    });

    // export and diff against podman's own (export.suite.ts): adds an exited container to the store
    exportPodmanTests(bed, flags);
    // the web view in headless chromium (web.suite.ts), on Debian's podman only: the page is the same
    if (version === "4.3") webPodmanTests(bed, flags);

    test("du's total equals du -s -x -B1 of the graphroot (the merged mounts are other file systems)", async () => {
      const r = json<{ total: { allocatedBytes: number; inodes: number } }>(
        crifs([...flags(), "du", "-o", "json"]),
      );
      assert.equal(r.total.allocatedBytes, gnuDu(["-s", "-x", "-B1"], bed().root));
      assert.equal(r.total.inodes, gnuDu(["-s", "-x", "--inodes"], bed().root));
    });

    test("detection by layout: --root alone finds the store as podman", () => {
      const info = json<{ runtime: string; root: string }[]>(
        crifs(["--root", bed().root, "--state", bed().runroot, "info", "-o", "json"]),
      );
      assert.deepEqual(
        info.map((i) => `${i.runtime} ${i.root}`),
        [`podman ${bed().root}`],
      );
    });

    test("info names what the store says of its podman: libpod state in SQLite (5) or bolt (4.3)", () => {
      const [info] = json<{ settings: Record<string, string>; runtimeVersion: unknown }[]>(
        crifs([...flags(), "info", "-o", "json"]),
      );
      assert.equal(
        info?.settings.versionMarker,
        version === "5"
          ? "podman >= 4.8: libpod state in SQLite (db.sql, schema 1)"
          : "podman < 5: libpod state in bolt (libpod/bolt_state.db)",
      );
      // this machine's podman (Debian 12's 4.3) is the store's own on 4.3; a SQLite state proves 4.8 or later,
      // which 4.3 on PATH contradicts, so the marker is all crifs can say of the trixie root's podman 5
      const onPath = execFileSync("podman", ["--version"], { encoding: "utf8" }).trim().split(" ").at(-1);
      assert.deepEqual(
        info?.runtimeVersion,
        version === "5" ? { version: "4.8+", source: "store" } : { version: onPath, source: "binary" },
      );
    });

    test("podman 5's db.sql is read read-only (unchanged, no journal left); when it does not open, doctor says so naming it and the containers keep c/storage's names", {
      skip: version === "5" ? false : "podman 4.3 keeps its state in bolt",
    }, () => {
      const db = join(bed().root, "db.sql");
      const before = readFileSync(db);
      const mtime = statSync(db).mtimeMs;
      const names = (r: CliResult) =>
        json<ContainerRow[]>(r)
          .map((c) => (c.names ?? []).join(","))
          .sort();
      const theirs = (JSON.parse(bed().pm(["ps", "-a", "--format", "json"])) as { Names: string[] }[])
        .map((c) => c.Names.join(","))
        .sort();
      assert.deepEqual(names(crifs([...flags(), "containers", "-o", "json"])), theirs);
      assert.ok(before.equals(readFileSync(db)) && statSync(db).mtimeMs === mtime, "db.sql changed");
      assert.deepEqual(
        readdirSync(bed().root).filter((n) => n.startsWith("db.sql-")),
        [],
        "a journal or shm file was left",
      );
      try {
        writeFileSync(db, before.subarray(0, 4096));
        const r = crifs([...flags(), "containers", "-o", "json"]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(names(r), theirs, "c/storage's names");
        const found = doctor(flags()).findings.filter((f) => f.path === db);
        assert.deepEqual(
          found.map((f) => f.check),
          ["metadata-corrupt"],
        );
        assert.match(found[0]?.message ?? "", /^cannot read podman's state database: /);
      } finally {
        writeFileSync(db, before);
      }
    });

    test("doctor: a healthy store gives no findings", () => {
      const r = doctor(flags());
      assert.deepEqual(mine(r), []);
      // the only other finding allowed: the host-only link the image plants, once per container
      const others = r.findings.filter((f) => !MINE.has(f.check));
      const planted = (f: { check: string; subject: string }) =>
        f.check === "broken-symlink" && f.subject.endsWith(": /data/host-only-link");
      assert.ok(
        others.every(planted),
        `unexpected: ${others
          .filter((f) => !planted(f))
          .map((f) => `${f.check} ${f.subject}`)
          .join(", ")}`,
      );
      assert.ok(others.length > 0, "the planted host-only link was not found");
      for (const c of MINE) assert.ok(r.summary.checksRun.includes(c), `${c} did not run`);
    });

    // issue 17: an orphan layer dir of containers/storage, moved aside and put back
    test("repair moves an orphan layer dir into the quarantine, podman lists the same, doctor is clean, and --undo puts it back equal", () => {
      const orphan = join(home(), `${"e".repeat(56)}${bed().facts.tag}`);
      mkdirSync(join(orphan, "diff", "etc"), { recursive: true });
      mkdirSync(join(orphan, "work"));
      writeFileSync(join(orphan, "diff", "etc", "junk"), "x".repeat(10_000));
      execFileSync("ln", [join(orphan, "diff", "etc", "junk"), join(orphan, "diff", "hard")]);
      execFileSync("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", join(orphan, "diff", "etc")]);
      try {
        const before = manifest([orphan]);
        // as sets: images created in the same second come in any order
        const listing = () => [
          bed().pm(["images", "-q", "--no-trunc"]).split("\n").sort(),
          bed().pm(["ps", "-a", "-q", "--no-trunc"]).split("\n").sort(),
        ];
        const listed = listing();
        const repair = [...flags(), "repair", "--grace", "0", "--check", "orphan-layer-dir"];
        const plan = json<{ plans: { actions: { kind: string; path: string }[] }[] }>(
          crifs([...repair, "-o", "json"]),
        );
        assert.equal(contractErrors("repairPlan", plan), null);
        assert.deepEqual(
          plan.plans[0]?.actions.map((a) => `${a.kind} ${a.path}`),
          [`quarantine ${orphan}`],
        );
        const r = crifs([...repair, "--apply", "--yes"]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(manifest([orphan])[0]?.type, "absent");
        assert.deepEqual(mine(doctor(flags())), []);
        assert.deepEqual(listing(), listed);
        const u = crifs([...repair, "--undo"]);
        assert.equal(u.status, 0, u.stderr);
        assert.deepEqual(manifest([orphan]), before);
      } finally {
        rmSync(orphan, { recursive: true, force: true });
        rmSync(join(bed().root, ".crifs-quarantine"), { recursive: true, force: true });
      }
    });

    test("doctor: each injected fault is reported by exactly its check, the missing l/ link last", () => {
      const expected: string[] = [];
      const step = (what: string, add: string[]) => {
        expected.push(...add);
        assert.deepEqual(mine(doctor(flags())), [...expected].sort(), `after: ${what}`);
      };
      const all = layers();
      const byId = new Map(all.map((l) => [l.id, l]));
      const ctrLayer = (name: string) => all.find((l) => l.names?.includes(`${name}-layer`))?.id ?? "";
      const tag = bed().facts.tag;

      // 1 orphan layer dir: on disk, not in layers.json, with a fake link
      const orphan = "f".repeat(56) + tag;
      mkdirSync(join(home(), orphan, "diff"), { recursive: true });
      mkdirSync(join(home(), orphan, "work"));
      writeFileSync(join(home(), orphan, "diff", "junk"), "x".repeat(10_000));
      writeFileSync(join(home(), orphan, "link"), "Z".repeat(26));
      step("orphan dir", [`orphan-layer-dir ${join(home(), orphan)} overlay dir ${orphan}`]);
      const o = doctor(flags()).findings.find((f) => f.check === "orphan-layer-dir");
      assert.equal(o?.bytes, gnuDu(["-s", "-B1"], join(home(), orphan)));

      // 2 a layers.json entry whose dir is deleted: the created container's layer (never mounted)
      const created = ctrLayer(`pc-${tag}`);
      assert.ok(created !== "");
      rmSync(join(home(), created), { recursive: true });
      step("layer dir deleted", [`missing-layer-dir ${join(home(), created)} layer ${created}`]);

      // 3 a parent removed from layers.json: bb:latest's layer 3 (its child, layer 4, keeps naming it)
      const top = ctrLayer(`pr-${tag}`);
      const layer4 = byId.get(top)?.parent ?? "";
      const layer3 = byId.get(layer4)?.parent ?? "";
      assert.ok(layer3 !== "" && byId.get(layer3)?.parent !== undefined, "layer 3 not found");
      writeFileSync(layersJson(), JSON.stringify(layers().filter((l) => l.id !== layer3)));
      step("parent record removed", [
        `dangling-parent ${join(home(), layer4, "diff")} snapshot overlay/${layer4}`,
      ]);

      // 4 an l/ link left dangling: it names a layer dir that does not exist
      const stray = `D${tag.toUpperCase()}${"Q".repeat(17)}`;
      symlinkSync(`../${"0".repeat(64)}/diff`, join(home(), "l", stray));
      step("dangling l/ link", [`dangling-short-link ${join(home(), "l", stray)} short link ${stray}`]);

      // 5 a truncated images.json hides everything else: metadata-corrupt alone, with the byte offset
      const ij = join(bed().root, "overlay-images", "images.json");
      const saved = `${ij}.crifs-saved`;
      copyFileSync(ij, saved);
      const size = readFileSync(ij).length;
      writeFileSync(ij, readFileSync(saved).subarray(0, 300));
      const corrupt = doctor(flags());
      assert.deepEqual(mine(corrupt), [`metadata-corrupt ${ij} file ${ij}`]);
      assert.match(corrupt.findings[0]?.message ?? "", /byte offset 300 of 300/);
      assert.ok(corrupt.summary.checksSkipped.some((c) => c.id === "orphan-layer-dir"));
      assert.ok(size > 300);
      copyFileSync(saved, ij);
      rmSync(saved);
      step("images.json restored", []);

      // 6 LAST: the base layer's l/ link deleted (podman would recreate it on its next use of the layer)
      const base = all.find((l) => l.parent === undefined)?.id ?? "";
      const short = readFileSync(join(home(), base, "link"), "utf8").trim();
      rmSync(join(home(), "l", short));
      step("l/ link deleted", [`missing-short-link ${join(home(), "l", short)} layer ${base}`]);
      const f = doctor(flags()).findings.find((x) => x.check === "missing-short-link");
      assert.match(f?.message ?? "", new RegExp(`l/${short} of committed layer ${base} is missing`));
    });
  });
}
