// test/integration/repair-api.suite.ts — the repairs only containerd may make, made through its own API on
// the live bed: doctor finds the record, the action kind plans the call, the adapter re-proves it and makes
// it, and `ctr` shows that exactly that record went while every image and container stayed. The re-check
// must refuse a snapshot that a child, a container or a lease names, a blob an image names, and an ingest
// written to within the grace period. Everything happens in a namespace of its own, removed afterwards: the
// bed is left as it was found.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type * as grpc from "@grpc/grpc-js";
import type * as protoLoader from "@grpc/proto-loader";
import type { Finding } from "../../src/checks/check.js";
import type { ActionKind, ApiRequest, PlannedAction } from "../../src/repair/action.js";
import { apiContentAbort } from "../../src/repair/actions/api-content-abort.js";
import { apiContentDelete } from "../../src/repair/actions/api-content-delete.js";
import { apiSnapshotRemove } from "../../src/repair/actions/api-snapshot-remove.js";
import { containerdAdapter } from "../../src/runtimes/index.js";
import type { Bed } from "../bed/bed.js";
import { crifs } from "./cli.js";

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
      // in plan order: child, then parent
      for (const a of [top, base]) {
        assert.equal(await check(bed, requestOf(a)), null);
        await run(bed, requestOf(a));
      }
      assert.deepEqual(snapshotKeys(bed), ["ra-leased"], "exactly the two planned snapshots went");
      assert.equal(await check(bed, requestOf(base)), `snapshot ${NS}/overlayfs/ra-base is gone already`);
      assert.deepEqual(inventory(bed), before);
      bed.ctr(["leases", "rm", "ra-lease"], NS);
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
  });
}
