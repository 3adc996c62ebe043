// test/integration/repair-api.suite.ts — the repairs only containerd may make, made through its own API on
// the live bed: doctor finds the record, the action kind plans the call, the adapter re-proves it and makes
// it, and `ctr` shows that exactly that record went while every image and container stayed. The re-check
// must refuse a snapshot that a child, a container or a lease names, a blob an image names, and an ingest
// written to within the grace period. Everything happens in a namespace of its own, removed afterwards: the
// bed is left as it was found.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import type * as grpc from "@grpc/grpc-js";
import type * as protoLoader from "@grpc/proto-loader";
import type { Finding } from "../../src/checks/check.js";
import type { ActionKind, ApiRequest, PlannedAction } from "../../src/repair/action.js";
import { apiContentAbort } from "../../src/repair/actions/api-content-abort.js";
import { apiContentDelete } from "../../src/repair/actions/api-content-delete.js";
import { apiPodmanOpenStore } from "../../src/repair/actions/api-podman-open-store.js";
import { apiSnapshotRemove } from "../../src/repair/actions/api-snapshot-remove.js";
import { shortLink } from "../../src/repair/actions/short-link.js";
import { type Adapter, containerdAdapter, dockerAdapter, podmanAdapter } from "../../src/runtimes/index.js";
import type { Bed } from "../bed/bed.js";
import { type DockerBed, dockerBedUnavailable, startDockerBed } from "../bed/docker-bed.js";
import { type PodmanBed, podmanFlags, startPodmanBed } from "../bed/podman.js";
import { crifs, isOneLineError, REPO } from "./cli.js";

const NS = "crifs-repair-api";
const TIMEOUT = 10_000;

function storeFlags(bed: Bed): string[] {
  return ["--runtime", "containerd", "--root", bed.root, "--state", bed.state, "--config", bed.configPath];
}

/** doctor's findings of `check` (grace 0: the records were made a moment ago). */
function findings(bed: Bed, check: string): Finding[] {
  const r = crifs([...storeFlags(bed), "doctor", "--grace", "0", "--check", check, "-o", "json"]);
  assert.ok([0, 1, 2].includes(r.status), `doctor exited ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
}

/** doctor's findings on any store (`flags` pick it), without the host-only link the bed's image plants. */
function doctorOn(flags: readonly string[], check?: string): Finding[] {
  const only = check === undefined ? [] : ["--check", check];
  const r = crifs([...flags, "doctor", "--grace", "0", ...only, "-o", "json"]);
  assert.ok([0, 1, 2].includes(r.status), `doctor exited ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter(
    (f) => !(f.check === "broken-symlink" && f.path.endsWith("/data/host-only-link")),
  );
}

/** The one action the short-link kind plans for doctor's finding at `path`, on the store `adapter` reads. */
function planLink(
  flags: readonly string[],
  adapter: Adapter,
  load: Parameters<Adapter["load"]>[0],
  check: string,
  path: string,
): Omit<PlannedAction, "seq"> {
  const f = doctorOn(flags, check).find((x) => x.path === path);
  assert.ok(f !== undefined, `doctor does not report ${check} at ${path}`);
  const a = shortLink.plan(f, { store: adapter.load(load), daemonUp: false, now: Date.now(), graceMs: 0 });
  assert.ok(!("unmended" in a), `short-link does not mend ${path}: ${"unmended" in a ? a.unmended : ""}`);
  return a;
}

/** The applier's part, as small as it gets: a quarantine is a rename into a dir beside the driver's l/
 * (c/storage bind-mounts its overlay home onto itself: the home is a file system of its own), purged at
 * once, so doctor does not see it; a symlink is made. */
function applyFileSteps(a: Omit<PlannedAction, "seq">): void {
  a.steps.forEach((s) => {
    if (s.op === "quarantine") {
      const aside = mkdtempSync(join(dirname(dirname(s.path)), ".crifs-test-aside-"));
      renameSync(s.path, join(aside, "item"));
      rmSync(aside, { recursive: true });
    } else if (s.op === "symlink") symlinkSync(s.target, s.path);
    else assert.fail(`an API step in a file action: ${s.call}`);
  });
}

/** The one action `kind` plans for the finding with `subject`, on the store as read from disk now. */
function planFor(bed: Bed, kind: ActionKind, check: string, subject: string): Omit<PlannedAction, "seq"> {
  const all = findings(bed, check);
  const f = all.find((x) => x.subject === subject);
  assert.ok(
    f !== undefined,
    `doctor does not report ${check} ${subject}; it reports: ${all.map((x) => x.subject).join(", ")}; ctr: ${bed.ctr(["snapshots", "ls"], NS)}`,
  );
  const store = containerdAdapter.load({ root: bed.root, state: bed.state, config: bed.configPath });
  const a = kind.plan(f, { store, daemonUp: true, now: Date.now(), graceMs: 0 });
  assert.ok(!("unmended" in a), `${kind.id} does not mend ${subject}: ${"unmended" in a ? a.unmended : ""}`);
  assert.equal(a.daemon, "up");
  return a;
}

function requestOf(a: Omit<PlannedAction, "seq">): ApiRequest {
  const s = a.steps[0];
  assert.ok(s !== undefined && s.op === "api", "the action's step is an API call");
  return s.request;
}

function check(bed: Bed, r: ApiRequest, graceMs = 0): Promise<string | null> {
  const fn = containerdAdapter.checkApiRequest;
  assert.ok(fn !== undefined);
  return fn(r, bed.socket, TIMEOUT, { graceMs });
}

function run(bed: Bed, r: ApiRequest): Promise<void> {
  const fn = containerdAdapter.runApiRequest;
  assert.ok(fn !== undefined);
  return fn(r, bed.socket, TIMEOUT);
}

/** `ctr … ls -q`-style listing, sorted. */
function lines(s: string): string[] {
  return s
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .sort();
}

/** Every image and container of the bed's namespaces (what a repair must never change). */
function inventory(bed: Bed): string[] {
  return ["default", "k8s.io"].flatMap((ns) => [
    ...lines(bed.ctr(["images", "ls", "-q"], ns)).map((x) => `image ${ns}/${x}`),
    ...lines(bed.ctr(["containers", "ls", "-q"], ns)).map((x) => `container ${ns}/${x}`),
  ]);
}

/** Snapshot keys in NS. */
function snapshotKeys(bed: Bed): string[] {
  return lines(bed.ctr(["snapshots", "ls"], NS))
    .map((l) => l.split(/\s+/)[0] ?? "")
    .filter((k) => k !== "KEY");
}

/** Adds a snapshot to a lease through the Leases service (ctr has no command for it): a test-only subset. */
async function leaseSnapshot(bed: Bed, lease: string, key: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "crifs-repair-api-proto-"));
  try {
    const file = join(dir, "leases-add.proto");
    writeFileSync(
      file,
      `syntax = "proto3";
package containerd.services.leases.v1;
import "google/protobuf/empty.proto";
service Leases { rpc AddResource(AddResourceRequest) returns (google.protobuf.Empty); }
message Resource { string id = 1; string type = 2; }
message AddResourceRequest { string id = 1; Resource resource = 2; }
`,
    );
    const require = createRequire(import.meta.url);
    const loader = require("@grpc/proto-loader") as typeof protoLoader;
    const lib = require("@grpc/grpc-js") as typeof grpc;
    const pkg = lib.loadPackageDefinition(loader.loadSync(file)) as unknown as {
      containerd: { services: { leases: { v1: { Leases: grpc.ServiceClientConstructor } } } };
    };
    const client = new pkg.containerd.services.leases.v1.Leases(
      `unix://${bed.socket}`,
      lib.credentials.createInsecure(),
    );
    const md = new lib.Metadata();
    md.set("containerd-namespace", NS);
    try {
      await new Promise<void>((resolve, reject) =>
        (
          client as unknown as Record<
            string,
            (r: unknown, m: grpc.Metadata, cb: (e: Error | null) => void) => void
          >
        ).AddResource?.({ id: lease, resource: { id: key, type: "snapshots/overlayfs" } }, md, (e) =>
          e ? reject(e) : resolve(),
        ),
      );
    } finally {
      client.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lets containerd finish the GC pass earlier removals scheduled (a synchronous one, through a lease
 * deletion), so that none is pending when a test takes a label off and reads the record as garbage. */
function settleGc(bed: Bed): void {
  bed.ctr(["leases", "create", "--id", "crifs-repair-api-settle"], NS);
  bed.ctr(["leases", "rm", "--sync", "crifs-repair-api-settle"], NS);
}

/** Removes whatever the suite left in NS, and NS itself. */
function cleanNamespace(bed: Bed): void {
  const tryCtr = (args: string[]) => {
    try {
      bed.ctr(args, NS);
    } catch {
      // gone already
    }
  };
  for (const l of lines(bed.ctr(["leases", "ls", "-q"], NS))) tryCtr(["leases", "rm", l]);
  // children first: keep removing until a pass removes nothing
  for (let pass = 0; pass < 5; pass++) {
    const keys = snapshotKeys(bed);
    if (keys.length === 0) break;
    for (const k of keys) tryCtr(["snapshots", "rm", k]);
  }
  for (const d of lines(bed.ctr(["content", "ls", "-q"], NS))) tryCtr(["content", "rm", d]);
  tryCtr(["leases", "create", "--id", "crifs-repair-api-gc"]);
  tryCtr(["leases", "rm", "--sync", "crifs-repair-api-gc"]);
  bed.ctr(["namespaces", "rm", NS]);
}

export function repairApiSuite(getBed: () => Bed) {
  describe("repairs through containerd's own API", () => {
    after(async () => {
      const bed = getBed();
      await bed.startContainerd();
      cleanNamespace(bed);
    });

    test("an unreferenced blob record is deleted through Content.Delete, and nothing else goes", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const before = inventory(bed);
      settleGc(bed); // no GC pass pending that would take the unreferenced blob first
      const data = `crifs repair-api blob ${Date.now()}\n`;
      const digest = `sha256:${execFileSync("sha256sum", { input: data, encoding: "utf8" }).split(" ")[0]}`;
      execFileSync(
        "ctr",
        [
          "-a",
          bed.socket,
          "-n",
          NS,
          "content",
          "ingest",
          "--expected-digest",
          digest,
          "crifs-repair-api-blob",
        ],
        { input: data },
      );
      const keep = `crifs repair-api kept ${Date.now()}\n`;
      const kept = `sha256:${execFileSync("sha256sum", { input: keep, encoding: "utf8" }).split(" ")[0]}`;
      execFileSync(
        "ctr",
        ["-a", bed.socket, "-n", NS, "content", "ingest", "--expected-digest", kept, "crifs-repair-api-kept"],
        { input: keep },
      );
      bed.ctr(["content", "label", kept, "containerd.io/gc.root=crifs-test"], NS);
      assert.ok(lines(bed.ctr(["content", "ls", "-q"], NS)).includes(digest));

      const a = planFor(bed, apiContentDelete, "unreferenced-blob", `blob ${NS}/${digest}`);
      assert.equal(a.steps[0]?.op === "api" && a.steps[0].call, `ctr -n ${NS} content rm ${digest}`);
      const r = requestOf(a);
      assert.deepEqual(r, { api: "containerd.content.delete", namespace: NS, digest });
      assert.equal(await check(bed, r), null);
      // the re-check refuses what an image names and what a gc.root label pins
      const idx = bed
        .ctr(["images", "ls"], "default")
        .split("\n")
        .find((l) => l.split(/\s+/)[0] === bed.facts.images.latest);
      const target = idx?.split(/\s+/)[2] ?? "";
      assert.match(target, /^sha256:/);
      assert.match(
        (await check(bed, { api: "containerd.content.delete", namespace: "default", digest: target })) ?? "",
        new RegExp(`^image "${bed.facts.images.latest}" names blob default/sha256:`),
      );
      assert.match(
        (await check(bed, { api: "containerd.content.delete", namespace: NS, digest: kept })) ?? "",
        /is labelled containerd\.io\/gc\.root: someone pinned it$/,
      );
      await run(bed, r);
      assert.deepEqual(lines(bed.ctr(["content", "ls", "-q"], NS)), [kept], "exactly the planned blob went");
      assert.equal(await check(bed, r), `blob ${NS}/${digest} is gone already`);
      assert.deepEqual(inventory(bed), before);
    });

    test("an abandoned ingest is aborted through Content.Abort, after the re-check saw it idle for the grace period", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const before = inventory(bed);
      const ref = "crifs-repair-api-partial";
      const whole = Buffer.alloc(5000, 7);
      const digest = `sha256:${execFileSync("sha256sum", { input: whole, encoding: "utf8" }).split(" ")[0]}`;
      try {
        execFileSync(
          "ctr",
          [
            ...["-a", bed.socket, "-n", NS, "content", "ingest"],
            ...["--expected-size", "5000", "--expected-digest", digest, ref],
          ],
          { input: whole.subarray(0, 3000), stdio: ["pipe", "ignore", "ignore"] },
        );
      } catch {
        // ctr fails on the short write, and leaves the ingest behind: the fault
      }
      assert.match(bed.ctr(["content", "active"], NS), new RegExp(ref));

      const a = planFor(bed, apiContentAbort, "stale-ingest", `ingest ${NS}/${ref}`);
      const r = requestOf(a);
      assert.deepEqual(r, { api: "containerd.content.abort", namespace: NS, ref });
      assert.match(
        (await check(bed, r, 60_000)) ?? "",
        /^ingest crifs-repair-api\/crifs-repair-api-partial was written to \d+ s ago$/,
      );
      assert.equal(await check(bed, r), null);
      await run(bed, r);
      assert.doesNotMatch(bed.ctr(["content", "active"], NS), new RegExp(ref));
      assert.equal(findings(bed, "stale-ingest").filter((f) => f.subject.includes(NS)).length, 0);
      assert.equal(await check(bed, r), `ingest ${NS}/${ref} is gone already`);
      assert.deepEqual(inventory(bed), before);
    });

    test("an unreferenced snapshot is removed through Snapshots.Remove, child first; the re-check refuses one a child, container or lease names", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const before = inventory(bed);
      bed.ctr(["snapshots", "prepare", "ra-base-active"], NS);
      bed.ctr(["snapshots", "commit", "ra-base", "ra-base-active"], NS);
      bed.ctr(["snapshots", "prepare", "ra-top-active", "ra-base"], NS);
      bed.ctr(["snapshots", "commit", "ra-top", "ra-top-active"], NS);
      bed.ctr(["snapshots", "prepare", "ra-leased-active"], NS);
      bed.ctr(["snapshots", "commit", "ra-leased", "ra-leased-active"], NS);
      // ctr pins what it commits (containerd.io/gc.root); an empty value takes the label off
      settleGc(bed);
      for (const k of ["ra-base", "ra-top", "ra-leased"])
        bed.ctr(["snapshots", "label", k, "containerd.io/gc.root="], NS);
      assert.deepEqual(snapshotKeys(bed), ["ra-base", "ra-leased", "ra-top"]);

      const base = planFor(
        bed,
        apiSnapshotRemove,
        "unreferenced-snapshot",
        `snapshot ${NS}/overlayfs/ra-base`,
      );
      const top = planFor(bed, apiSnapshotRemove, "unreferenced-snapshot", `snapshot ${NS}/overlayfs/ra-top`);
      assert.ok((top.depth ?? 0) > (base.depth ?? 0), "the child is planned before its parent");
      assert.equal(
        top.steps[0]?.op === "api" && top.steps[0].call,
        `ctr -n ${NS} snapshots --snapshotter overlayfs rm ra-top`,
      );
      // a child stands on ra-base until ra-top goes
      assert.equal(
        await check(bed, requestOf(base)),
        `snapshot "ra-top" stands on snapshot ${NS}/overlayfs/ra-base`,
      );
      // a container's snapshot (the bed's exited container) and a running one's
      for (const id of [bed.facts.containers.exited, bed.facts.containers.running])
        assert.equal(
          await check(bed, {
            api: "containerd.snapshots.remove",
            namespace: "default",
            snapshotter: "overlayfs",
            key: id,
          }),
          `container "${id}" uses snapshot default/overlayfs/${id}`,
        );
      // a lease made after the plan holds ra-leased
      const leased = planFor(
        bed,
        apiSnapshotRemove,
        "unreferenced-snapshot",
        `snapshot ${NS}/overlayfs/ra-leased`,
      );
      bed.ctr(["leases", "create", "--id", "ra-lease"], NS);
      await leaseSnapshot(bed, "ra-lease", "ra-leased");
      assert.equal(
        await check(bed, requestOf(leased)),
        `lease "ra-lease" holds snapshot ${NS}/overlayfs/ra-leased`,
      );
      // in plan order: child, then parent. Removing the child may make containerd's own GC take the parent
      // before crifs asks: the re-check then says so, and the call itself is idempotent
      assert.equal(await check(bed, requestOf(top)), null);
      await run(bed, requestOf(top));
      const baseWhy = await check(bed, requestOf(base));
      assert.ok(
        baseWhy === null || baseWhy === `snapshot ${NS}/overlayfs/ra-base is gone already`,
        String(baseWhy),
      );
      await run(bed, requestOf(base));
      await run(bed, requestOf(base)); // again: gone, which is what it asks for
      assert.deepEqual(snapshotKeys(bed), ["ra-leased"], "exactly the two planned snapshots went");
      assert.equal(await check(bed, requestOf(base)), `snapshot ${NS}/overlayfs/ra-base is gone already`);
      assert.deepEqual(inventory(bed), before);
      bed.ctr(["leases", "rm", "ra-lease"], NS);
    });

    test("a record whose dir is gone is removed through Snapshots.Remove, and its finding with it", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const before = inventory(bed);
      bed.ctr(["snapshots", "prepare", "ra-nodir-active"], NS);
      bed.ctr(["snapshots", "commit", "ra-nodir", "ra-nodir-active"], NS);
      const r = crifs([...storeFlags(bed), "snapshots", "-n", NS, "-o", "json"]);
      assert.equal(r.status, 0, r.stderr);
      const row = (JSON.parse(r.stdout) as { key: string; path: string }[]).find((x) => x.key === "ra-nodir");
      assert.ok(row !== undefined);
      rmSync(dirname(row.path), { recursive: true });
      settleGc(bed);
      bed.ctr(["snapshots", "label", "ra-nodir", "containerd.io/gc.root="], NS);
      const a = planFor(bed, apiSnapshotRemove, "missing-snapshot-dir", `snapshot ${NS}/overlayfs/ra-nodir`);
      assert.equal(await check(bed, requestOf(a)), null);
      await run(bed, requestOf(a));
      assert.ok(!snapshotKeys(bed).includes("ra-nodir"));
      assert.deepEqual(
        findings(bed, "missing-snapshot-dir").filter((f) => f.subject.includes(NS)),
        [],
      );
      assert.deepEqual(inventory(bed), before);
    });

    test("the re-check refuses a snapshot ctr pinned, and containerd's own refusal comes back as one line: a parent with a child left", async () => {
      const bed = getBed();
      await bed.startContainerd();
      bed.ctr(["snapshots", "prepare", "ra-p-active"], NS);
      bed.ctr(["snapshots", "commit", "ra-p", "ra-p-active"], NS);
      bed.ctr(["snapshots", "prepare", "ra-c", "ra-p"], NS);
      const rp = {
        api: "containerd.snapshots.remove",
        namespace: NS,
        snapshotter: "overlayfs",
        key: "ra-p",
      } as const;
      assert.equal(
        await check(bed, rp),
        `snapshot ${NS}/overlayfs/ra-p is labelled containerd.io/gc.root: someone pinned it`,
      );
      await assert.rejects(
        run(bed, {
          api: "containerd.snapshots.remove",
          namespace: NS,
          snapshotter: "overlayfs",
          key: "ra-p",
        }),
        (e: Error) => {
          assert.match(e.message, /^cannot remove snapshot crifs-repair-api\/overlayfs\/ra-p: .*child/);
          assert.doesNotMatch(e.message, /\n/);
          return true;
        },
      );
      assert.ok(snapshotKeys(bed).includes("ra-p"));
    });

    test("an API call is refused, with one line naming both roots, when the socket's containerd serves another root (--address of the bed's daemon, --root of the sample)", async () => {
      const bed = getBed();
      await bed.startContainerd();
      const read = containerdAdapter.readServedRoot;
      assert.ok(read !== undefined);
      assert.equal(await read(bed.socket, TIMEOUT), bed.root, "containerd's Introspection names its root");
      const dir = mkdtempSync(join(bed.work, "repair-other-root-"));
      try {
        execFileSync("tar", [
          "--numeric-owner",
          "-xpzf",
          join(REPO, "sample", "containerd-root.tar.gz"),
          "-C",
          dir,
        ]);
        const config = join(dir, "config.toml");
        writeFileSync(config, readFileSync(config, "utf8").replaceAll("@SAMPLE@", dir));
        const root = join(dir, "root");
        const ingests = join(root, "io.containerd.content.v1.content", "ingest");
        const before = execFileSync("ls", [ingests], { encoding: "utf8" });
        // the sample's stale ingest has a record: its action is Content.Abort, through the daemon on --address
        const r = crifs([
          ...["--runtime", "containerd", "--root", root, "--config", config, "--address", bed.socket],
          ...["repair", "--grace", "0", "--check", "stale-ingest", "--apply", "--yes"],
        ]);
        assert.equal(r.status, 73, r.stderr);
        assert.ok(isOneLineError(r), r.stderr);
        assert.equal(
          r.stderr,
          `crifs: ${bed.socket}: refusing the plan's API calls: the containerd on this socket serves root ${bed.root}, not ${root} (hint: pass --address <the socket of the containerd that serves ${root}>, or --root ${bed.root} to repair the store it serves)\n`,
        );
        assert.equal(execFileSync("ls", [ingests], { encoding: "utf8" }), before, "the ingest stayed");
        assert.equal(existsSync(join(root, ".crifs-quarantine")), false, "no run was begun");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** The short-link kind on a real podman store and a real dockerd's overlay2: the links it makes are the
 * driver's own, and the runtime runs the image again. Each bed is this block's own, torn down afterwards. */
export function repairLinksSuite(getBed: () => Bed) {
  describe("short links rebuilt as the overlay driver makes them", () => {
    let pb: PodmanBed | undefined;
    let db: DockerBed | undefined;
    after(async () => {
      await pb?.teardown();
      await db?.teardown();
    });

    test("podman: a deleted l/ link is made again exactly as podman makes it, a stray one is moved aside, and doctor is clean", async () => {
      pb ??= await startPodmanBed(getBed().ociArchive, "4.3");
      const p = pb;
      const flags = podmanFlags(p);
      const load = { root: p.root, state: p.runroot, config: p.storageConf };
      const home = join(p.root, "overlay");
      const layers = JSON.parse(readFileSync(join(p.root, "overlay-layers", "layers.json"), "utf8")) as {
        id: string;
        parent?: string;
      }[];
      const base = layers.find((l) => l.parent === undefined)?.id ?? "";
      const link = join(home, "l", readFileSync(join(home, base, "link"), "utf8").trim());
      const made = { target: readlinkSync(link), uid: lstatSync(link).uid, gid: lstatSync(link).gid };
      rmSync(link);
      const a = planLink(flags, podmanAdapter, load, "missing-short-link", link);
      assert.deepEqual(a.steps, [{ op: "symlink", path: link, target: `../${base}/diff` }]);
      applyFileSteps(a);
      const st = lstatSync(link);
      assert.deepEqual({ target: readlinkSync(link), uid: st.uid, gid: st.gid }, made, "as podman made it");

      const stray = join(home, "l", `R${p.facts.tag.toUpperCase()}${"Q".repeat(17)}`);
      symlinkSync(`../${"0".repeat(64)}/diff`, stray);
      const d = planLink(flags, podmanAdapter, load, "dangling-short-link", stray);
      assert.deepEqual(d.steps, [{ op: "quarantine", path: stray }]);
      applyFileSteps(d);
      assert.deepEqual(
        doctorOn(flags).map((f) => `${f.check} ${f.path}`),
        [],
        "doctor is clean after both actions",
      );
      const image = p.pm(["images", "--format", "{{.Repository}}:{{.Tag}}"]).split("\n")[0] ?? "";
      assert.equal(
        p
          .pm([
            ...["run", "--rm", "--network", "none"],
            // as the bed runs its containers: podman's default rlimits fail where root lacks CAP_SYS_RESOURCE
            ...["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"],
            ...[image, "/bin/echo", "ok"],
          ])
          .trim(),
        "ok",
      );
      assert.equal(readlinkSync(link), made.target);
    });

    test("podman: a layer flagged incomplete is deleted by podman's own clean-up, run by the planned command, and nothing else goes", async () => {
      pb ??= await startPodmanBed(getBed().ociArchive, "4.3");
      const p = pb;
      const flags = podmanFlags(p);
      const listing = () => ({
        images: lines(p.pm(["images", "-q", "--no-trunc"])),
        containers: lines(p.pm(["ps", "-aq", "--no-trunc"])),
      });
      const before = listing();
      // an interrupted pull's layer: a record flagged incomplete, its dir and l/ link, nothing on it
      const layersJson = join(p.root, "overlay-layers", "layers.json");
      const all = JSON.parse(readFileSync(layersJson, "utf8")) as Record<string, unknown>[];
      const id = `${"d".repeat(56)}${p.facts.tag}`;
      const { parent: _parent, names: _names, ...base } = all[0] ?? {};
      writeFileSync(layersJson, JSON.stringify([...all, { ...base, id, flags: { incomplete: true } }]));
      const dir = join(p.root, "overlay", id);
      mkdirSync(join(dir, "diff"), { recursive: true });
      writeFileSync(join(dir, "diff", "half"), "x".repeat(5000));
      const short = `H${p.facts.tag.toUpperCase()}${"Q".repeat(17)}`;
      writeFileSync(join(dir, "link"), short);
      symlinkSync(`../${id}/diff`, join(p.root, "overlay", "l", short));

      const load = { root: p.root, state: p.runroot, config: p.storageConf };
      const f = doctorOn(flags, "incomplete-layer").find((x) => x.subject === `layer ${id}`);
      assert.ok(f !== undefined, "doctor reports the incomplete layer");
      const a = apiPodmanOpenStore.plan(f, {
        store: podmanAdapter.load(load),
        daemonUp: false,
        now: Date.now(),
        graceMs: 0,
      });
      assert.ok(!("unmended" in a), "unmended" in a ? a.unmended : "");
      const step = a.steps[0];
      assert.ok(step?.op === "api" && step.request.api === "podman.command");
      assert.equal(
        step.call,
        `podman --root ${p.root} --runroot ${p.runroot} --storage-driver overlay images --quiet`,
      );
      const recheck = podmanAdapter.checkApiRequest;
      const run = podmanAdapter.runApiRequest;
      assert.ok(recheck !== undefined && run !== undefined);
      assert.equal(await recheck(step.request, "", TIMEOUT), null);
      await run(step.request, "", 60_000);
      const layers = JSON.parse(readFileSync(layersJson, "utf8")) as { id: string }[];
      assert.ok(!layers.some((l) => l.id === id), "the record went");
      assert.ok(!existsSync(dir), "its dir went");
      assert.deepEqual(
        doctorOn(flags).map((x) => `${x.check} ${x.path}`),
        [],
        "doctor is clean",
      );
      assert.deepEqual(listing(), before);
    });

    test("docker: a deleted l/ link (docker never remakes it) is made again by the step, docker run works and doctor is clean", {
      skip: dockerBedUnavailable() ?? false,
    }, async () => {
      db = await startDockerBed(getBed().ociArchive, "20.10");
      const d = db;
      const flags = ["--runtime", "docker", "--root", d.root, "--state", d.execRoot];
      const fault = d.fault("missing-link");
      const link = fault.get("fault.link") ?? "";
      const cache = fault.get("fault.linkCacheId") ?? "";
      assert.ok(link !== "" && cache !== "");
      const a = planLink(
        flags,
        dockerAdapter,
        { root: d.root, state: d.execRoot },
        "missing-short-link",
        link,
      );
      assert.deepEqual(a.steps, [{ op: "symlink", path: link, target: `../${cache}/diff` }]);
      applyFileSteps(a);
      assert.equal(readlinkSync(link), `../${cache}/diff`, "as dockerd writes it");
      await d.startDockerd();
      const run = d.dockerResult([
        "run",
        "--rm",
        "--network",
        "none",
        d.facts.images.small,
        "/bin/echo",
        "ok",
      ]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout.trim(), "ok");
      assert.deepEqual(
        doctorOn(flags).map((f) => `${f.check} ${f.path}`),
        [],
      );
    });

    test("docker: an image is removed through the Engine API only when no container uses it, and nothing else goes", {
      skip: dockerBedUnavailable() ?? false,
    }, async () => {
      db ??= await startDockerBed(getBed().ociArchive, "20.10");
      const d = db;
      await d.startDockerd();
      const run = dockerAdapter.runApiRequest;
      const recheck = dockerAdapter.checkApiRequest;
      assert.ok(run !== undefined && recheck !== undefined);
      // an image no container was made from: a commit of the exited container
      const id = d.docker(["commit", d.facts.containers.exited, "crifs-repair-api:gone"]).trim();
      const listing = () => ({
        images: lines(d.docker(["images", "-q", "--no-trunc"])),
        containers: lines(d.docker(["ps", "-aq", "--no-trunc"])),
      });
      const before = listing();
      assert.ok(before.images.includes(id), `${id} not in ${before.images.join(" ")}`);
      const small = d.docker(["image", "inspect", "-f", "{{.Id}}", d.facts.images.small]).trim();
      assert.match(
        (await recheck({ api: "docker.image.remove", id: small }, d.socket, TIMEOUT)) ?? "",
        new RegExp(`^container \\S+ uses image ${small}$`),
      );
      const r = { api: "docker.image.remove", id } as const;
      assert.equal(await recheck(r, d.socket, TIMEOUT), null);
      await run(r, d.socket, TIMEOUT);
      const after = listing();
      assert.deepEqual(after.containers, before.containers);
      assert.deepEqual(
        after.images,
        before.images.filter((x) => x !== id),
        "exactly that image went",
      );
      assert.equal(await recheck(r, d.socket, TIMEOUT), `image ${id} is gone already`);
      // dockerd's own refusal is one line: an image a container uses, when the re-check is skipped
      await assert.rejects(run({ api: "docker.image.remove", id: small }, d.socket, TIMEOUT), (e: Error) => {
        assert.match(e.message, /^cannot remove image sha256:\w+: .*(container|conflict)/);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      });
    });
  });
}
