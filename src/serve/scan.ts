// serve/scan.ts — one scan of every store the flags name, as `crifs serve` keeps it between scans and
// `crifs doctor -o prometheus` prints it: per store the counts metrics need (du's categories, doctor's
// findings by check and severity, objects by namespace and kind, image bytes, the filesystem's use), and the
// host's /api/v1 payloads as JSON text, the same as the commands' -o json.
//
//   stores (disk, as --offline) ─▶ du (scan cache: committed layers are not walked again) ─▶ StoreScan
//   doctor of every store at once (its two reads, as `crifs doctor`) ─▶ findings split by store root
//
// Plain data in and out (ScanModel holds no class instance), so that a worker thread can make it and post it
// (serve/scan-worker.ts). A store whose load or du fails fails the scan: serve then keeps the last good one.

import { statfsSync } from "node:fs";
import { relative } from "node:path";
import type { Finding, Severity } from "../checks/check.js";
import { checks } from "../checks/index.js";
import { type DoctorReport, eachFinding } from "../checks/run-doctor.js";
import { containerRows } from "../cli/commands/containers.js";
import { type DoctorFlags, doctorReport } from "../cli/commands/doctor.js";
import { imageRows } from "../cli/commands/images.js";
import { storeSummary } from "../cli/commands/info.js";
import { snapshotRows } from "../cli/commands/snapshots.js";
import { renderJson, renderJsonChunksOf } from "../cli/render/format.js";
import { filterNamespace, type GlobalOptions, loadOptions, noStoreFound } from "../cli/stores.js";
import { type Category, categories, computeDu, type DuReport, namespacedCategories } from "../disk/du.js";
import { CrifsError } from "../errors.js";
import { nodePathAt } from "../fs/resolve-node-path.js";
import { logDirsFor } from "../logs/log-dirs.js";
import { computeLogUsage, type LogUsage } from "../logs/log-usage.js";
import type { RuntimeId, Store, StoreLocation } from "../model/store.js";
import { adapters, requireAdapter } from "../runtimes/index.js";

/** The runtime label of the metrics: podman's and CRI-O's stores are both containers/storage. */
export type MetricRuntime = "containerd" | "containers-storage" | "docker";

export function metricRuntime(id: RuntimeId): MetricRuntime {
  return id === "podman" || id === "crio" ? "containers-storage" : id;
}

/** The kinds of object crifs_objects counts (metrics contract). */
export type ObjectKind =
  | "image"
  | "container"
  | "snapshot_committed"
  | "snapshot_active"
  | "snapshot_view"
  | "layer"
  | "content_blob"
  | "lease"
  | "ingest";

export interface CheckCount {
  readonly check: string;
  readonly severity: Severity;
  readonly findings: number;
  /** Sum of the findings' bytes (null ones count 0). */
  readonly bytes: number;
}

/** One store's numbers from one scan. */
export interface StoreScan {
  readonly runtime: MetricRuntime;
  /** The root as the node names it (under --host-root: the path below it). */
  readonly root: string;
  /** Seconds this store's load and du took, plus the doctor run all stores share. */
  readonly durationSeconds: number;
  /** du's categories split by namespace (du's `namespaces`: "" for what no namespace owns), zero-filled. */
  readonly categories: readonly {
    namespace: string;
    category: Category;
    allocatedBytes: number;
    inodes: number;
  }[];
  /** Every image (grouped by config, as du groups them) whose layers could be read: serve keeps the top N. */
  readonly images: readonly { namespace: string; image: string; bytes: number }[];
  readonly objects: readonly { namespace: string; kind: ObjectKind; count: number }[];
  /** The doctor checks that ran on this store (each gets a series, 0 when it found nothing). */
  readonly checksRun: readonly string[];
  readonly findings: readonly CheckCount[];
  /** statvfs of the root's filesystem: bytes in use; null when it cannot be asked. */
  readonly imagefsUsedBytes: number | null;
  /** du's `other`: bytes under the root that none of its named categories accounts for. */
  readonly unattributedBytes: number;
}

/** The /api/v1 payloads, each the text the command's -o json prints. */
export type ApiName = "stores" | "images" | "snapshots" | "containers" | "du" | "doctor";
export const apiNames: readonly ApiName[] = ["stores", "images", "snapshots", "containers", "du", "doctor"];

export interface ScanModel {
  /** When the scan finished, ms since the epoch. */
  readonly finishedAtMs: number;
  readonly durationSeconds: number;
  readonly stores: readonly StoreScan[];
  /** null when the scan was asked for metrics only (ScanOptions.withApi). */
  readonly api: Readonly<Record<ApiName, string>> | null;
}

export interface ScanOptions {
  /** doctor's flags (--check, --quick, --grace, …). Default: every check, sizes measured, grace 60 s. */
  readonly doctor?: DoctorFlags;
  /** Make the /api/v1 payloads too. Default true; doctor -o prometheus needs none. */
  readonly withApi?: boolean;
  /** Called with the doctor report of the scan (doctor --textfile prints it as well); not across threads. */
  readonly onReport?: (report: DoctorReport) => void;
}

/** A scan that failed: the stores it was reading when it did (the whole host when it was not one store). */
export class ScanFailure extends Error {
  readonly stores: readonly { runtime: MetricRuntime; root: string }[];
  readonly line: string;
  constructor(line: string, stores: readonly { runtime: MetricRuntime; root: string }[], cause: unknown) {
    super(line, { cause });
    this.line = line;
    this.stores = stores;
  }
}

/** The root as the node names it: below --host-root, the path inside it. */
export function nodeRoot(location: StoreLocation): string {
  if (location.hostRoot === undefined) return location.root;
  const rel = relative(location.hostRoot, location.root);
  return rel.startsWith("..") ? location.root : `/${rel}`;
}

function describeError(err: unknown): string {
  if (err instanceof CrifsError) return err.oneLine();
  return `internal error: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`;
}

/** The stores the flags name, each once (podman and CRI-O may name the same graphroot). Cost: metadata. */
function loadStores(g: GlobalOptions): Store[] {
  const opts = loadOptions(g);
  const found =
    g.runtime !== undefined ? [requireAdapter(g.runtime)] : adapters.filter((a) => a.detect(opts));
  if (found.length === 0) throw noStoreFound(g);
  const seen = new Set<string>();
  const out: Store[] = [];
  for (const a of found) {
    let s: Store;
    try {
      s = filterNamespace(a.load(opts), g.namespace);
    } catch (err) {
      throw new ScanFailure(
        describeError(err),
        [{ runtime: metricRuntime(a.id), root: g.root ?? a.defaultRoot }],
        err,
      );
    }
    const id = `${metricRuntime(s.location.runtime)}\0${s.location.root}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(s);
  }
  return out;
}

function objectCounts(s: Store): StoreScan["objects"] {
  const counts = new Map<string, number>();
  const add = (namespace: string, kind: ObjectKind, n = 1) => {
    const k = `${namespace}\0${kind}`;
    counts.set(k, (counts.get(k) ?? 0) + n);
  };
  const isContainerd = s.location.runtime === "containerd";
  const kinds: ObjectKind[] = isContainerd
    ? [
        "image",
        "container",
        "snapshot_committed",
        "snapshot_active",
        "snapshot_view",
        "content_blob",
        "lease",
        "ingest",
      ]
    : ["image", "container", "layer"];
  // every namespace gets every kind its runtime has, 0 included: a count that drops to 0 stays a series
  const namespaces = new Set(s.namespaces.map((n) => n.name));
  for (const x of [...s.images, ...s.containers, ...s.snapshots]) namespaces.add(x.namespace);
  if (namespaces.size === 0) namespaces.add("");
  for (const ns of namespaces) for (const k of kinds) add(ns, k, 0);
  for (const i of s.images) add(i.namespace, "image");
  for (const c of s.containers) add(c.namespace, "container");
  // containerd speaks of snapshots by kind; containers/storage and docker of layers
  for (const x of s.snapshots) add(x.namespace, isContainerd ? `snapshot_${x.kind}` : "layer");
  if (isContainerd) {
    for (const b of s.blobs) add(b.namespace, "content_blob");
    for (const l of s.leases) add(l.namespace, "lease");
    for (const i of s.ingests) add(i.namespace, "ingest");
  }
  return [...counts].map(([k, count]) => {
    const [namespace, kind] = k.split("\0") as [string, ObjectKind];
    return { namespace, kind, count };
  });
}

function imagefsUsed(root: string): number | null {
  try {
    const st = statfsSync(root);
    return (st.blocks - st.bfree) * st.bsize;
  } catch {
    return null;
  }
}

/** Which store a finding is about: the one whose root holds its path (the longest such root), else the first
 * (kubelet's log dirs, which doctor checks with the first store). */
function storeIndexOf(f: Finding, roots: readonly string[]): number {
  let best = 0;
  let bestLength = -1;
  for (const [i, root] of roots.entries()) {
    if ((f.path === root || f.path.startsWith(`${root}/`)) && root.length > bestLength) {
      best = i;
      bestLength = root.length;
    }
  }
  return best;
}

/** The findings of the report by store, check and severity. Cost: one pass over the findings. */
function countFindings(report: DoctorReport, stores: readonly Store[]): CheckCount[][] {
  const roots = stores.map((s) => s.location.root);
  const per = stores.map(() => new Map<string, { findings: number; bytes: number }>());
  for (const f of eachFinding(report)) {
    const m = per[storeIndexOf(f, roots)] as Map<string, { findings: number; bytes: number }>;
    const k = `${f.check}\0${f.severity}`;
    const c = m.get(k) ?? { findings: 0, bytes: 0 };
    c.findings++;
    c.bytes += f.bytes ?? 0;
    m.set(k, c);
  }
  return per.map((m) =>
    [...m].map(([k, c]) => {
      const [check, severity] = k.split("\0") as [string, Severity];
      return { check, severity, ...c };
    }),
  );
}

/** Each check's runtimes: the checks that ran on a store are those of the report that apply to its runtime. */
const runtimesOf = new Map<string, readonly RuntimeId[]>(checks.map((c) => [c.id, c.runtimes]));

function doctorJson(report: DoctorReport): string {
  return [
    ...renderJsonChunksOf({ findings: null, summary: report.summary }, "findings", eachFinding(report)),
  ].join("");
}

/**
 * du's categories by namespace, zero-filled so the set of series is the same from scan to scan (an alert sees
 * a value fall, not vanish): namespace "" has every category, each of the store's namespaces those it can own.
 */
export function namespaceCategories(du: DuReport, store: Store): StoreScan["categories"] {
  const names = new Set([...store.namespaces.map((n) => n.name), ...du.namespaces.map((r) => r.namespace)]);
  names.delete("");
  const rows: StoreScan["categories"][number][] = [];
  const of = (namespace: string, category: Category) => {
    const r = du.namespaces.find((x) => x.namespace === namespace && x.category === category);
    rows.push({ namespace, category, allocatedBytes: r?.allocatedBytes ?? 0, inodes: r?.inodes ?? 0 });
  };
  for (const category of categories) of("", category);
  for (const namespace of [...names].sort())
    for (const category of namespacedCategories) of(namespace, category);
  return rows;
}

/**
 * One scan of the stores `g` names. Cost: metadata of each store three times (the listing, doctor's two
 * reads), du's walk of what is not cached, doctor's walks of its findings. Throws ScanFailure.
 */
export async function scanStores(g: GlobalOptions, options: ScanOptions = {}): Promise<ScanModel> {
  const t0 = performance.now();
  const stores = loadStores(g);
  const labels = stores.map((s) => ({
    runtime: metricRuntime(s.location.runtime),
    root: nodeRoot(s.location),
  }));
  const dus: DuReport[] = [];
  const own: number[] = [];
  for (const [i, s] of stores.entries()) {
    const t = performance.now();
    try {
      dus.push(await computeDu(s));
    } catch (err) {
      throw new ScanFailure(describeError(err), [labels[i] as (typeof labels)[number]], err);
    }
    own.push((performance.now() - t) / 1000);
  }
  // kubelet's pod logs, in du's JSON as `crifs du` shows them (logs/log-dirs.ts says when they apply)
  const dirs = logDirsFor(options.doctor?.logDirs ?? {}, g);
  let logs: LogUsage | null = null;
  if (dirs.applies && options.withApi !== false)
    logs = await computeLogUsage(nodePathAt(dirs.podsDir, dirs.hostRoot));
  const tDoctor = performance.now();
  let report: DoctorReport;
  try {
    // as `crifs doctor` runs it: every store at once (the log checks know every runtime's pods)
    report = await doctorReport(g, options.doctor ?? {});
  } catch (err) {
    throw new ScanFailure(describeError(err), labels, err);
  }
  const doctorSeconds = (performance.now() - tDoctor) / 1000;
  options.onReport?.(report);
  const counts = countFindings(report, stores);
  const scans: StoreScan[] = stores.map((s, i) => {
    const du = dus[i] as DuReport;
    const other = du.categories.find((c) => c.category === "other");
    return {
      ...(labels[i] as (typeof labels)[number]),
      durationSeconds: (own[i] ?? 0) + doctorSeconds,
      categories: namespaceCategories(du, s),
      images: du.images
        .filter((x) => x.error === undefined)
        .map((x) => ({
          namespace: x.namespace,
          image: x.names[0] ?? x.configDigest ?? "",
          bytes: x.allocatedBytes,
        })),
      objects: objectCounts(s),
      checksRun: report.summary.checksRun.filter(
        (c) => runtimesOf.get(c)?.includes(s.location.runtime) ?? true,
      ),
      findings: counts[i] ?? [],
      imagefsUsedBytes: imagefsUsed(s.location.root),
      unattributedBytes: other?.allocatedBytes ?? 0,
    };
  });
  const duData = dus.map((d) => ({ ...d, logs }));
  return {
    finishedAtMs: Date.now(),
    durationSeconds: (performance.now() - t0) / 1000,
    stores: scans,
    api:
      options.withApi === false
        ? null
        : {
            stores: renderJson(stores.map(storeSummary)),
            images: renderJson(imageRows(stores)),
            snapshots: renderJson(snapshotRows(stores)),
            containers: renderJson(containerRows(stores)),
            du: renderJson(duData.length === 1 ? duData[0] : duData),
            doctor: doctorJson(report),
          },
  };
}
