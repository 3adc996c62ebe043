// test/integration/corrupt.suite.ts — corrupt metadata is a finding, not a crash (issue 13, items 5 and 9).
// Each fault is injected for real into a real store and undone before the next: in its own podman store
// (layers.json, containers.json edited: a duplicate id, a parent cycle, a self-parent, a container naming a
// missing image or layer, a truncated file, a lost parent record), its own dockerd data-root (dockerd stopped:
// layerdb `parent` files, an imagedb config removed or truncated), and the main containerd bed (a manifest
// blob removed, a config blob truncated; with containerd stopped, meta.db rewritten by test/tools/boltput so a
// snapshot is its own parent or on a cycle, then restored and containerd started again).
//
// For each: every read command (images, snapshots, snapshots tree, containers, du, info, why, links) exits 0
// within its time limit, shows `?` (table) or `error` (JSON, valid against docs/json.md) for what it could not
// read, and writes exactly one stderr line naming the file and the next step; doctor reports the exact check
// with the runtime's own remedy (no containerd words for podman or docker, no empty namespace) and exits 2;
// a record file that does not parse at all stops the read commands with one line and exit 65.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bed } from "../bed/bed.js";
import { type DockerBed, startDockerBed } from "../bed/docker-bed.js";
import { type PodmanBed, podmanFlags, startPodmanBed } from "../bed/podman.js";
import { bedFlags, type CliResult, contractErrors, crifs, isOneLineError, REPO } from "./cli.js";
import { dockerVersions } from "./docker.suite.js";
import { podmanVersions } from "./podman.suite.js";

interface Row {
  /** Absent for runtimes without namespaces. */
  namespace?: string;
  name?: string;
  key?: string;
  id?: string;
  parent?: string | null;
  kind?: string;
  snapshotter?: string;
  digest?: string;
  error?: { path: string; message: string };
}
interface Finding {
  check: string;
  subject: string;
  path: string;
  message: string;
  remedy: string;
}

/** The stderr lines of a run. */
function lines(r: CliResult): string[] {
  return r.stderr.split("\n").filter((l) => l !== "");
}

/** Runs a read command: exit 0, exactly one stderr line, and it names `file` and says what to do next. */
function read(flags: readonly string[], args: readonly string[], file: string): CliResult {
  const t0 = Date.now();
  const r = crifs([...flags, ...args]);
  assert.equal(r.status, 0, `${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  assert.ok(Date.now() - t0 < 60_000, `${args.join(" ")} took ${Date.now() - t0} ms`);
  const l = lines(r);
  assert.equal(l.length, 1, `${args.join(" ")}: expected one stderr line, got:\n${r.stderr}`);
  assert.ok(l[0]?.startsWith(`crifs: ${file}: `), `${args.join(" ")}: ${l[0]} does not name ${file}`);
  assert.match(l[0] ?? "", /\(hint: crifs doctor says what to do\)$/);
  return r;
}

function jsonRead<T>(flags: readonly string[], args: readonly string[], file: string, schema: string): T {
  const data = JSON.parse(read(flags, [...args, "-o", "json"], file).stdout) as T;
  assert.equal(contractErrors(schema, data), null, `${args.join(" ")}: ${schema} schema`);
  return data;
}

/** Every read command marks what it could not read: the image's size and layers, the snapshot's parent, the
 * container's image are `?` in tables and `error` in JSON; the rest still read. */
function assertMarked(
  flags: readonly string[],
  file: string,
  o: { image: string; snapshot: string; container?: string; why: string; namespace?: string },
): void {
  const ns = o.namespace ?? "";
  const images = jsonRead<Row[]>(flags, ["images"], file, "images");
  const bad = images.filter((i) => i.name === o.image && (i.namespace ?? "") === ns);
  assert.ok(bad.length > 0, `no image ${o.image}`);
  for (const i of bad) assert.equal(i.error?.path, file, `image ${o.image} is not marked`);
  const table = read(flags, ["images"], file).stdout.split("\n");
  const row =
    table.find((l) => l.split(/\s+/).includes(o.image) && (ns === "" || l.startsWith(`${ns} `))) ?? "";
  assert.match(row, / \?\s+\?/, `images table: ${row}`);
  assert.doesNotMatch(row, / 0 B /);

  const snaps = jsonRead<Row[]>(flags, ["snapshots"], file, "snapshots");
  const snap = snaps.find((s) => s.key === o.snapshot && (s.namespace ?? "") === ns);
  assert.equal(snap?.error?.path, file, `snapshot ${o.snapshot}`);
  // the tree has one section per namespace/snapshotter, headed "<runtime> [<ns>/]<snapshotter>"
  const tree = read(flags, ["snapshots", "tree"], file).stdout.split("\n");
  const head = tree.findIndex((l) => ns === "" || l.startsWith(`containerd ${ns}/`));
  const next = tree.findIndex((l, i) => i > head && /^\S/.test(l) && !/^[├└│]/.test(l));
  const section = tree.slice(head, next === -1 ? undefined : next);
  const node = section.find((l) => l.includes(`${o.snapshot} [`)) ?? "";
  assert.match(node, / \?$/, `snapshots tree: ${node}`);
  if (o.container !== undefined) {
    const cs = jsonRead<Row[]>(flags, ["containers"], file, "containers");
    assert.ok(cs.find((c) => c.id === o.container)?.error !== undefined, `container ${o.container}`);
    const ct = read(flags, ["containers"], file).stdout.split("\n");
    assert.match(ct.find((l) => l.split(/\s+/).includes(o.container ?? "")) ?? "", / \? /);
  }
  jsonRead(flags, ["info"], file, "info");
  const du = JSON.parse(read(flags, ["du", "--no-cache", "-o", "json"], file).stdout) as {
    images: { names: string[]; error?: unknown }[];
  };
  assert.ok(
    du.images.some((i) => i.names.includes(o.image) && i.error !== undefined),
    "du image",
  );
  read(flags, [...(ns === "" ? [] : ["-n", ns]), "why", o.why], file);
  read(flags, ["links"], file);
}

function doctor(flags: readonly string[]): { status: number; findings: Finding[] } {
  const r = crifs([...flags, "doctor", "--grace", "0", "-o", "json"]);
  assert.equal(r.stderr, "", "doctor wrote to stderr");
  const data = JSON.parse(r.stdout) as { findings: Finding[] };
  assert.equal(contractErrors("doctor", data), null);
  return { status: r.status, findings: data.findings.filter((f) => f.check !== "broken-symlink") };
}

/** The podman and docker remedies speak of their own runtime. */
function assertOwnWords(fs: readonly Finding[], own: RegExp): void {
  for (const f of fs) {
    assert.doesNotMatch(`${f.message} ${f.remedy}`, /containerd|meta\.db|\bctr\b/, `${f.check}: ${f.remedy}`);
    assert.doesNotMatch(`${f.subject} ${f.message}`, /namespace ""|(snapshot|container|image) \//, f.subject);
    assert.match(f.remedy, own, `${f.check}: ${f.remedy}`);
  }
}

/** Rewrites a file for the length of `fn`, then puts back the original bytes. */
function withFile(path: string, change: (text: string) => string | null, fn: () => void): void {
  const saved = readFileSync(path);
  try {
    const next = change(saved.toString("utf8"));
    if (next === null) rmSync(path);
    else writeFileSync(path, next);
    fn();
  } finally {
    writeFileSync(path, saved);
  }
}

export function corruptSuite(getBed: () => Bed) {
  describe("corrupt metadata is a finding, not a crash (issue 13)", () => {
    // on each podman version, and each docker version with overlay2 (containerd's store has no layerdb)
    for (const version of podmanVersions())
      describe(`podman ${version}: layers.json and containers.json edited`, () => {
        let pb: PodmanBed | undefined;
        const bed = (): PodmanBed => {
          if (pb === undefined) throw new Error("the podman bed is not running (did before() fail?)");
          return pb;
        };
        const flags = () => podmanFlags(bed());
        const layersJson = () => join(bed().root, "overlay-layers", "layers.json");
        const containersJson = () => join(bed().root, "overlay-containers", "containers.json");
        type Layer = { id: string; parent?: string; names?: string[] };
        type Ctr = { id: string; image: string; layer: string; names?: string[] };
        const layers = () => JSON.parse(readFileSync(layersJson(), "utf8")) as Layer[];
        /** bb:latest's chain, base first, and the created container (from bb:small). */
        const facts = () => {
          const all = layers();
          const base = all.find((l) => l.parent === undefined)?.id ?? "";
          const l2 = all.find((l) => l.parent === base && !(l.names ?? []).some((n) => n.endsWith("-layer")));
          const l3 = all.find(
            (l) => l.parent === l2?.id && !(l.names ?? []).some((n) => n.endsWith("-layer")),
          );
          assert.ok(base !== "" && l2 !== undefined && l3 !== undefined, "bb's layers not found");
          return { base, l2: l2.id, l3: l3.id, created: bed().facts.containers.created };
        };

        before(async () => {
          pb = await startPodmanBed(getBed().ociArchive, version);
        });
        after(async () => {
          await pb?.teardown();
        });

        test("the healthy store: no stderr line, no error field", () => {
          const r = crifs([...flags(), "images", "-o", "json"]);
          assert.equal(r.status, 0);
          assert.equal(r.stderr, "");
          assert.ok((JSON.parse(r.stdout) as Row[]).every((i) => i.error === undefined));
          for (const args of [["images"], ["snapshots"], ["containers"], ["du"]])
            assert.doesNotMatch(
              crifs([...flags(), ...args]).stdout,
              /NAMESPACE/,
              `${args[0]}: no empty namespace column`,
            );
          for (const args of [["images"], ["snapshots"], ["containers"]]) {
            const rows = JSON.parse(crifs([...flags(), ...args, "-o", "json"]).stdout) as Row[];
            assert.ok(
              rows.length > 0 && rows.every((x) => !("namespace" in x)),
              `${args[0]}: no namespace field`,
            );
          }
          const one = JSON.parse(
            crifs([...flags(), "inspect", bed().facts.containers.created, "-o", "json"]).stdout,
          );
          assert.ok(!("namespace" in one), "inspect: no namespace field");
        });

        test("a parent cycle A -> B -> A: marked everywhere, no hang; doctor: dangling-parent with podman's remedy", () => {
          const f = facts();
          withFile(
            layersJson(),
            (t) =>
              JSON.stringify(
                (JSON.parse(t) as Layer[]).map((l) => (l.id === f.base ? { ...l, parent: f.l2 } : l)),
              ),
            () => {
              assertMarked(flags(), layersJson(), {
                image: "localhost/bb:latest",
                snapshot: f.l3,
                container: f.created,
                why: f.l3,
              });
              const m = crifs([...flags(), "mounts", f.created]);
              assert.equal(m.status, 65);
              assert.ok(isOneLineError(m), m.stderr);
              assert.ok(m.stderr.startsWith(`crifs: ${layersJson()}: `), m.stderr);
              const d = doctor(flags());
              assert.equal(d.status, 2);
              const dp = d.findings.filter((x) => x.check === "dangling-parent");
              assert.deepEqual(
                dp.map((x) => x.subject).sort(),
                [`snapshot overlay/${f.base}`, `snapshot overlay/${f.l2}`].sort(),
              );
              assert.match(dp[0]?.message ?? "", /is on a parent cycle/);
              assertOwnWords(dp, /podman image rm -f/);
            },
          );
        });

        test("a layer that is its own parent: dangling-parent says so", () => {
          const f = facts();
          withFile(
            layersJson(),
            (t) =>
              JSON.stringify(
                (JSON.parse(t) as Layer[]).map((l) => (l.id === f.base ? { ...l, parent: f.base } : l)),
              ),
            () => {
              assertMarked(flags(), layersJson(), {
                image: "localhost/bb:small",
                snapshot: f.base,
                container: f.created,
                why: f.base,
              });
              const dp = doctor(flags()).findings.filter((x) => x.check === "dangling-parent");
              assert.deepEqual(
                dp.map((x) => x.subject),
                [`snapshot overlay/${f.base}`],
              );
              assert.match(dp[0]?.message ?? "", /names itself as its parent/);
              assertOwnWords(dp, /podman/);
            },
          );
        });

        test("a duplicate layer id: the record is marked, doctor reports metadata-corrupt with podman's remedy", () => {
          const f = facts();
          withFile(
            layersJson(),
            (t) => {
              const all = JSON.parse(t) as Layer[];
              return JSON.stringify([...all, all.find((l) => l.id === f.base)]);
            },
            () => {
              assertMarked(flags(), layersJson(), {
                image: "localhost/bb:small",
                snapshot: f.base,
                container: f.created,
                why: f.l2,
              });
              const snaps = JSON.parse(crifs([...flags(), "snapshots", "-o", "json"]).stdout) as Row[];
              assert.equal(snaps.filter((s) => s.key === f.base).length, 1, "listed once");
              const d = doctor(flags());
              assert.equal(d.status, 2);
              const mc = d.findings.filter((x) => x.check === "metadata-corrupt");
              assert.deepEqual(
                mc.map((x) => `${x.subject} ${x.path}`),
                [`layer ${f.base} ${layersJson()}`],
              );
              assert.match(mc[0]?.message ?? "", /lists layer "[0-9a-f]+" 2 times/);
              assertOwnWords(mc, /podman image rm -f, podman rm -f/);
            },
          );
        });

        test("a container naming a missing image, and one naming a missing layer", () => {
          const f = facts();
          const gone = "0".repeat(64);
          withFile(
            containersJson(),
            (t) =>
              JSON.stringify(
                (JSON.parse(t) as Ctr[]).map((c) => (c.id === f.created ? { ...c, image: gone } : c)),
              ),
            () => {
              const cs = jsonRead<Row[]>(flags(), ["containers"], containersJson(), "containers");
              assert.match(cs.find((c) => c.id === f.created)?.error?.message ?? "", /names image "0{64}"/);
              read(flags(), ["images"], containersJson());
              const mc = doctor(flags()).findings.filter((x) => x.check === "metadata-corrupt");
              assert.deepEqual(
                mc.map((x) => x.subject),
                [`container ${f.created}`],
              );
              assertOwnWords(mc, /podman rm -f/);
            },
          );
          withFile(
            containersJson(),
            (t) =>
              JSON.stringify(
                (JSON.parse(t) as Ctr[]).map((c) => (c.id === f.created ? { ...c, layer: gone } : c)),
              ),
            () => {
              const cs = jsonRead<Row[]>(flags(), ["containers"], containersJson(), "containers");
              assert.match(cs.find((c) => c.id === f.created)?.error?.message ?? "", /names layer "0{64}"/);
              const ml = doctor(flags()).findings.filter((x) => x.check === "container-missing-layer");
              assert.deepEqual(
                ml.map((x) => x.subject),
                [`container ${f.created}`],
              );
              assertOwnWords(ml, /podman rm -f/);
            },
          );
        });

        test("a lost parent record: dangling-parent tells a podman user podman's tools, not containerd's", () => {
          const f = facts();
          withFile(
            layersJson(),
            (t) => JSON.stringify((JSON.parse(t) as Layer[]).filter((l) => l.id !== f.l2)),
            () => {
              const d = doctor(flags());
              const dp = d.findings.filter((x) => x.check === "dangling-parent");
              // its children: bb:latest's layer 3 and the created container's layer
              assert.ok(
                dp.some((x) => x.subject === `snapshot overlay/${f.l3}`),
                JSON.stringify(dp),
              );
              assert.equal(dp.length, 2);
              assert.ok(dp.every((x) => /which is not in layers\.json/.test(x.message)));
              assertOwnWords(dp, /podman image rm -f/);
            },
          );
        });

        test("a truncated containers.json stops every read command with one line and 65; doctor: metadata-corrupt, exit 2", () => {
          withFile(
            containersJson(),
            (t) => t.slice(0, 200),
            () => {
              for (const args of [["images"], ["snapshots"], ["containers"], ["du"], ["info"], ["links"]]) {
                const r = crifs([...flags(), ...args]);
                assert.equal(r.status, 65, `${args.join(" ")}: ${r.stderr}`);
                assert.ok(isOneLineError(r), r.stderr);
                assert.ok(r.stderr.startsWith(`crifs: ${containersJson()}: `), r.stderr);
                assert.match(r.stderr, /byte offset 200 of 200/);
              }
              const d = doctor(flags());
              assert.equal(d.status, 2);
              assert.deepEqual(
                d.findings.map((x) => `${x.check} ${x.path}`),
                [`metadata-corrupt ${containersJson()}`],
              );
              assertOwnWords(d.findings, /restore it from a backup before podman writes over it/);
            },
          );
        });
      });

    for (const version of dockerVersions().filter((v) => v !== "26-containerd"))
      describe(`docker ${version}: layerdb and imagedb edited with dockerd stopped`, () => {
        let dbed: DockerBed | undefined;
        const d = (): DockerBed => {
          if (dbed === undefined) throw new Error("the docker bed is not running (did before() fail?)");
          return dbed;
        };
        const flags = () => ["--runtime", "docker", "--root", d().root, "--state", d().execRoot];
        const layerdb = (chainId: string) =>
          join(d().root, "image", "overlay2", "layerdb", "sha256", chainId.replace(/^sha256:/, ""));
        const config = (id: string) =>
          join(d().root, "image", "overlay2", "imagedb", "content", "sha256", id.replace(/^sha256:/, ""));
        const facts = () => {
          const snaps = JSON.parse(crifs([...flags(), "snapshots", "-o", "json"]).stdout) as Row[];
          const images = JSON.parse(crifs([...flags(), "images", "-o", "json"]).stdout) as Row[];
          const base = snaps.find((s) => s.kind === "committed" && s.parent === null)?.key ?? "";
          const l2 = snaps.find((s) => s.kind === "committed" && s.parent === base)?.key ?? "";
          const small = images.find((i) => i.name === d().facts.images.small)?.digest ?? "";
          assert.ok(base !== "" && l2 !== "" && small !== "");
          return { base, l2, small, created: d().facts.containerIds.created };
        };

        before(async () => {
          dbed = await startDockerBed(getBed().ociArchive, version);
          await dbed.stopDockerd();
        });
        after(async () => {
          await dbed?.teardown();
        });

        test("a layer whose parent names no layer: marked everywhere; doctor: dangling-parent with docker's remedy", () => {
          const f = facts();
          const file = join(layerdb(f.base), "parent");
          writeFileSync(file, `sha256:${"0".repeat(64)}`);
          try {
            assertMarked(flags(), file, {
              image: d().facts.images.small,
              snapshot: f.l2,
              container: f.created,
              why: f.l2,
            });
            const dp = doctor(flags()).findings.filter((x) => x.check === "dangling-parent");
            assert.deepEqual(
              dp.map((x) => x.subject),
              [`snapshot overlay2/${f.base}`],
            );
            assertOwnWords(dp, /docker image rm -f/);
          } finally {
            rmSync(file);
          }
        });

        test("a parent cycle: no hang, one stderr line naming a layerdb parent file; doctor: dangling-parent", () => {
          const f = facts();
          const file = join(layerdb(f.base), "parent");
          writeFileSync(file, f.l2);
          try {
            const r = crifs([...flags(), "images"]);
            assert.equal(r.status, 0);
            const owner = /^crifs: (\S+): /.exec(lines(r)[0] ?? "")?.[1] ?? "";
            assert.ok(owner.endsWith("/parent") && owner.includes("/layerdb/sha256/"), r.stderr);
            assertMarked(flags(), owner, {
              image: d().facts.images.small,
              snapshot: f.l2,
              container: f.created,
              why: f.l2,
            });
            const dp = doctor(flags()).findings.filter((x) => x.check === "dangling-parent");
            assert.deepEqual(
              dp.map((x) => x.subject).sort(),
              [`snapshot overlay2/${f.base}`, `snapshot overlay2/${f.l2}`].sort(),
            );
            assertOwnWords(dp, /docker image rm -f/);
          } finally {
            rmSync(file);
          }
        });

        test("an image config truncated, then removed: ? for its size and layers, metadata-corrupt in doctor", () => {
          const f = facts();
          const file = config(f.small);
          withFile(
            file,
            (t) => t.slice(0, 100),
            () => {
              const images = jsonRead<Row[]>(flags(), ["images"], file, "images");
              assert.match(images.find((i) => i.digest === f.small)?.error?.message ?? "", /at byte 100/);
              const row = read(flags(), ["images"], file)
                .stdout.split("\n")
                .find((l) => l.startsWith(d().facts.images.small));
              assert.match(row ?? "", / \?\s+\?/);
              const mc = doctor(flags()).findings.filter((x) => x.check === "metadata-corrupt");
              assert.deepEqual(
                mc.map((x) => x.path),
                [file],
              );
              assertOwnWords(mc, /docker image rm -f/);
            },
          );
          withFile(
            file,
            () => null,
            () => {
              const images = jsonRead<Row[]>(flags(), ["images"], file, "images");
              assert.ok(images.find((i) => i.digest === f.small)?.error !== undefined);
              const cs = jsonRead<Row[]>(flags(), ["containers"], file, "containers");
              assert.match(cs.find((c) => c.id === f.created)?.error?.message ?? "", /imagedb does not hold/);
              const mc = doctor(flags()).findings.filter((x) => x.check === "metadata-corrupt");
              assert.deepEqual(
                mc.map((x) => x.subject).sort(),
                [`container ${f.created}`, `image ${f.small}`].sort(),
              );
              assertOwnWords(mc, /docker/);
            },
          );
        });
      });

    describe("containerd: content blobs and meta.db", () => {
      const flags = () => bedFlags(getBed());
      const blob = (digest: string) =>
        join(
          getBed().root,
          "io.containerd.content.v1.content",
          "blobs",
          "sha256",
          digest.replace(/^sha256:/, ""),
        );
      const small = () => {
        const images = JSON.parse(crifs([...flags(), "images", "-o", "json"]).stdout) as (Row & {
          configDigest: string;
        })[];
        const i = images.find((x) => x.namespace === "default" && x.name === getBed().facts.images.small);
        assert.ok(i?.digest !== undefined);
        return { manifest: i.digest, config: i.configDigest };
      };

      test("an image's manifest blob removed: ? for its size and layers; doctor: missing-blob, not metadata-corrupt", () => {
        const s = small();
        const file = blob(s.manifest);
        const aside = `${file}.crifs-aside`;
        renameSync(file, aside);
        try {
          const images = jsonRead<Row[]>(flags(), ["images"], file, "images");
          assert.ok(images.filter((i) => i.digest === s.manifest).every((i) => i.error?.path === file));
          const table = read(flags(), ["images"], file).stdout;
          const row = table.split("\n").find((l) => l.includes(` ${getBed().facts.images.small} `)) ?? "";
          assert.match(row, / \?\s+\?/);
          const found = doctor(flags()).findings.filter(
            (x) => x.path === file || x.subject.includes(s.manifest),
          );
          assert.ok(
            found.some((x) => x.check === "missing-blob"),
            JSON.stringify(found),
          );
          assert.ok(!found.some((x) => x.check === "metadata-corrupt"));
        } finally {
          renameSync(aside, file);
        }
      });

      test("an image's config blob truncated: ? in images and du; doctor: metadata-corrupt", () => {
        const s = small();
        const file = blob(s.config);
        const saved = readFileSync(file);
        writeFileSync(file, saved.subarray(0, 50));
        try {
          const images = jsonRead<Row[]>(flags(), ["images"], file, "images");
          assert.ok(images.some((i) => i.error?.path === file));
          const du = JSON.parse(read(flags(), ["du", "--no-cache", "-o", "json"], file).stdout) as {
            images: { error?: { path: string } }[];
          };
          assert.ok(du.images.some((i) => i.error?.path === file));
          const mc = doctor(flags()).findings.filter((x) => x.check === "metadata-corrupt");
          assert.ok(mc.length > 0 && mc.every((x) => x.path === file), JSON.stringify(mc));
        } finally {
          writeFileSync(file, saved);
        }
      });

      test("with containerd stopped, meta.db made to hold a self-parent, then a cycle: marked, no hang, dangling-parent", async () => {
        const bed = getBed();
        const f = bed.facts;
        const tmp = mkdtempSync("/tmp/crifs-boltput.");
        const tool = join(tmp, "boltput");
        execFileSync("go", ["build", "-o", tool, "./test/tools/boltput"], {
          cwd: REPO,
          env: {
            ...process.env,
            GO111MODULE: "off",
            GOPATH: `${tmp}:/usr/share/gocode`,
            GOCACHE: join(tmp, "cache"),
          },
        });
        const meta = join(bed.root, "io.containerd.metadata.v1.bolt", "meta.db");
        const snaps = JSON.parse(
          crifs([...flags(), "-n", "default", "snapshots", "-o", "json"]).stdout,
        ) as Row[];
        const base = snaps.find((s) => s.parent === null && s.kind === "committed")?.key ?? "";
        assert.ok(base !== "");
        const saved = `${meta}.crifs-saved`;
        await bed.stopContainerd();
        copyFileSync(meta, saved);
        const put = (value: string) =>
          execFileSync(tool, [meta, "v1", "default", "snapshots", "overlayfs", base, "parent", value]);
        try {
          put(base);
          assertMarked(flags(), meta, {
            image: f.images.small,
            snapshot: f.snapshots.smallTopChainId,
            container: f.containers.created,
            why: f.snapshots.smallTopChainId,
            namespace: "default",
          });
          let dp = doctor(flags()).findings.filter((x) => x.check === "dangling-parent");
          assert.deepEqual(
            dp.map((x) => x.subject),
            [`snapshot default/overlayfs/${base}`],
          );
          assert.match(dp[0]?.message ?? "", /names itself as its parent/);
          assert.match(dp[0]?.remedy ?? "", /with containerd stopped/);

          put(f.snapshots.topChainId);
          assertMarked(flags(), meta, {
            image: f.images.latest,
            snapshot: f.snapshots.topChainId,
            container: f.containers.exited,
            why: f.snapshots.topChainId,
            namespace: "default",
          });
          dp = doctor(flags()).findings.filter((x) => x.check === "dangling-parent");
          assert.equal(dp.length, 4, JSON.stringify(dp.map((x) => x.subject)));
          assert.ok(dp.every((x) => x.subject.startsWith("snapshot default/overlayfs/")));
        } finally {
          copyFileSync(saved, meta);
          rmSync(saved);
          rmSync(tmp, { recursive: true, force: true });
          await bed.startContainerd();
        }
        const r = crifs([...flags(), "images"]);
        assert.equal(r.stderr, "", "restored: no note");
      });
    });
  });
}
