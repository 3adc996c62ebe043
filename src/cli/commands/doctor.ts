// cli/commands/doctor.ts — `crifs doctor`: runs the checks of src/checks on every store the global flags name
// and reports the findings both of two reads agree on. Exit code: 0 clean (infos only), 1 warnings, 2 errors.
// A bolt or JSON record file that does not decode is a finding (metadata-corrupt), not a crash.
//
// Each runtime reads its own metadata into a MetadataRead (containerd: meta.db and the snapshotters' dbs;
// podman and CRI-O: the containers/storage JSON records and the overlay driver home). Checks that speak of
// containerd's own objects (blobs, ingests, GC roots, snapshotter dirs) run on containerd stores only.
//
// doctor always reads every namespace (an orphan dir or an unreferenced blob is only orphaned with respect to
// all of them); -n is ignored here.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Check, Finding } from "../../checks/check.js";
import { DEFAULT_GRACE_MS, gatherDoctorInput } from "../../checks/doctor-input.js";
import { checks as allChecks } from "../../checks/index.js";
import {
  type DoctorMode,
  type DoctorReport,
  doctorExitCode,
  runDoctor,
  summarize,
} from "../../checks/run-doctor.js";
import { CrifsError } from "../../errors.js";
import { openBolt } from "../../formats/bbolt/index.js";
import { pathExists } from "../../fs/path-exists.js";
import { loadContainerdLive } from "../../live/containerd.js";
import { type LogDirFlags, logDirFlags, logDirsFor } from "../../logs/log-dirs.js";
import { readPodLogFacts } from "../../logs/log-facts.js";
import type { MetadataRead, ReadProblem, SnapshotterRecord } from "../../model/doctor-facts.js";
import type { Store } from "../../model/store.js";
import { readContainerdConfig } from "../../runtimes/containerd/config.js";
import { loadContainerd, snapshotterLayout } from "../../runtimes/containerd/load.js";
import { readSnapshotterDb } from "../../runtimes/containerd/snapshotter-db.js";
import { readStorageConfig } from "../../runtimes/containers-storage/config.js";
import {
  HOME_NOT_LAYERS,
  type LoadedContainersStorage,
  loadContainersStorageDetailed,
  storeLayout,
} from "../../runtimes/containers-storage/load.js";
import { readDockerConfig } from "../../runtimes/docker/config.js";
import { dockerLayout, STORAGE_DRIVER } from "../../runtimes/docker/layout.js";
import { loadDocker } from "../../runtimes/docker/load.js";
import { adapterFor, adapters, wordsFor } from "../../runtimes/index.js";
import { readOverlayHome } from "../../runtimes/overlay-driver/index.js";
import { humanBytes, render, renderTable } from "../render/format.js";
import { DEFAULT_TIMEOUT_MS, type GlobalOptions, liveAddress, loadOptions, noStoreFound } from "../stores.js";

export interface DoctorFlags {
  /** Check ids to run (default: all). */
  readonly checks?: readonly string[];
  readonly mode?: DoctorMode;
  /** Seconds an object may be old and still count as in flight. Default 60. */
  readonly graceSeconds?: number;
  /** kubelet's log dirs (--log-root, --containers-log-dir); see logs/log-dirs.ts for when they are checked. */
  readonly logDirs?: LogDirFlags;
}

/** The checks of kubelet's log dirs: host-wide, so they run with the first store's read only. */
const LOG_CHECKS = new Set(["dangling-log-link", "log-link-mismatch", "orphan-log-dir"]);

/** The pods every checked runtime knows, for the log checks: null when one of the stores cannot be read. */
function storesForLogs(g: GlobalOptions, runtimes: readonly string[], first: Store | null): Store[] | null {
  if (first === null) return null;
  const out = [first];
  for (const rt of runtimes.slice(1)) {
    try {
      const a = adapterFor(rt);
      if (a === undefined) return null;
      out.push(a.load(loadOptions(g)));
    } catch {
      return null;
    }
  }
  return out;
}

/** Reads a containerd store's metadata for doctor: the model, or why it cannot be read. */
export function readContainerdMetadata(g: GlobalOptions): MetadataRead {
  const config = readContainerdConfig({ path: g.config, root: g.root, state: g.state, hostRoot: g.hostRoot });
  const problems: ReadProblem[] = [];
  let store: Store | null = null;
  const corrupt = (err: unknown, path: string): void => {
    if (!(err instanceof CrifsError) || err.code !== "corrupt") throw err;
    problems.push({ path: err.path ?? path, message: err.message });
  };
  try {
    store = loadContainerd(loadOptions(g));
  } catch (err) {
    corrupt(err, join(config.root, "io.containerd.metadata.v1.bolt", "meta.db"));
  }
  const names = new Set(["overlayfs", ...(store?.snapshots.map((s) => s.snapshotter) ?? [])]);
  const snapshotters: { name: string; snapshotsDir: string; records: SnapshotterRecord[] }[] = [];
  for (const name of names) {
    const layout = snapshotterLayout(config, name);
    let records: SnapshotterRecord[] = [];
    if (pathExists(layout.metadataDb)) {
      try {
        records = [...readSnapshotterDb(openBolt(layout.metadataDb)).snapshots.values()].map((r) => ({
          backendKey: r.backendKey,
          id: r.id,
          kind: r.kind,
        }));
      } catch (err) {
        if (!problems.some((p) => p.path === layout.metadataDb)) corrupt(err, layout.metadataDb);
      }
    }
    snapshotters.push({ name, snapshotsDir: layout.snapshotsDir, records });
  }
  return {
    root: config.root,
    contentRoot: config.contentRoot,
    // with any bolt file unreadable, the metadata checks would only guess
    store: problems.length > 0 ? null : store,
    words: wordsFor("containerd"),
    metadataProblems: problems,
    snapshotters,
  };
}

/** Reads a containers/storage store's metadata for doctor: the model and the overlay home, or why not. */
export function readContainersStorageMetadata(g: GlobalOptions, runtime: "podman" | "crio"): MetadataRead {
  const config = readStorageConfig({
    path: g.config,
    root: g.root,
    runroot: g.state,
    crio: runtime === "crio",
    hostRoot: g.hostRoot,
  });
  const layout = storeLayout(config);
  const problems: ReadProblem[] = [];
  let loaded: LoadedContainersStorage | null = null;
  try {
    loaded = loadContainersStorageDetailed({ runtime, ...loadOptions(g) });
  } catch (err) {
    if (!(err instanceof CrifsError) || err.code !== "corrupt") throw err;
    problems.push({ path: err.path ?? layout.layersJson, message: err.message });
  }
  const home = loaded?.home ?? readOverlayHome(layout.home);
  return {
    root: config.graphroot,
    // no content store: the blob and ingest listings find nothing there
    contentRoot: config.graphroot,
    store: loaded?.store ?? null,
    words: wordsFor(runtime),
    metadataProblems: problems,
    snapshotters: [],
    overlayDriver: {
      driver: config.driver,
      home: layout.home,
      ignore: HOME_NOT_LAYERS,
      layers: home.layers,
      shortLinks: home.shortLinks,
      incompleteLayers: loaded?.incompleteLayers ?? new Set(),
    },
  };
}

/** Reads a Docker overlay2 data-root for doctor: the model and the overlay2 home, or why not (an unparsable
 * repositories.json stops the load, as it stops dockerd). */
export function readDockerMetadata(g: GlobalOptions): MetadataRead {
  const config = readDockerConfig({ path: g.config, root: g.root, execRoot: g.state, hostRoot: g.hostRoot });
  const layout = dockerLayout(config.root);
  const problems: ReadProblem[] = [];
  let store: Store | null = null;
  try {
    store = loadDocker(loadOptions(g));
  } catch (err) {
    if (!(err instanceof CrifsError) || err.code !== "corrupt") throw err;
    problems.push({ path: err.path ?? layout.repositories, message: err.message });
  }
  const home = readOverlayHome(layout.overlay);
  return {
    root: config.root,
    // no content store: the blob and ingest listings find nothing there
    contentRoot: config.root,
    store,
    words: wordsFor("docker"),
    metadataProblems: problems,
    snapshotters: [],
    overlayDriver: {
      driver: STORAGE_DRIVER,
      home: layout.overlay,
      ignore: ["l"],
      layers: home.layers,
      shortLinks: home.shortLinks,
      incompleteLayers: new Set(),
    },
  };
}

/** On docker stores a layer's lost dir is reported by its owner (image-missing-layer, container-missing-layer:
 * checks/docker-layers.ts), so missing-layer-dir would say the same thing twice. */
const NOT_FOR_DOCKER = new Set(["missing-layer-dir"]);

/** Checks about containerd's own objects (snapshotter dirs and records, blobs, ingests, GC reachability). */
const CONTAINERD_ONLY = new Set([
  "missing-snapshot-dir",
  "orphan-snapshot-dir",
  "unreferenced-snapshot",
  "missing-blob",
  "unreferenced-blob",
  "blob-digest-mismatch",
  "layer-content-mismatch",
  "stale-ingest",
  "tmpmount-leftover",
  "stale-mount",
  "metadata-mismatch",
]);

/** containerd through its API when its socket answers (the rules of cli/stores.ts), for metadata-mismatch;
 * undefined (and the check silent) when it does not. */
async function readLive(g: GlobalOptions): Promise<Store | undefined> {
  const socket = liveAddress(g);
  if (socket === null || (g.address === undefined && !existsSync(socket))) return undefined;
  try {
    return await loadContainerdLive(socket, {
      root: g.root,
      state: g.state,
      config: g.config,
      timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  } catch {
    return undefined;
  }
}

function readMetadata(g: GlobalOptions, runtime: string): MetadataRead {
  if (runtime === "containerd") return readContainerdMetadata(g);
  if (runtime === "podman" || runtime === "crio") return readContainersStorageMetadata(g, runtime);
  if (runtime === "docker") return readDockerMetadata(g);
  throw new CrifsError("unsupported", `doctor cannot check ${runtime} stores yet`, {
    remedy: "pass --runtime containerd, podman or crio",
  });
}

function selectChecks(ids: readonly string[] | undefined): Check[] {
  if (ids === undefined || ids.length === 0) return [...allChecks];
  const unknown = ids.filter((id) => !allChecks.some((c) => c.id === id));
  if (unknown.length > 0) {
    throw new CrifsError("usage", `unknown check ${unknown.map((u) => `"${u}"`).join(", ")}`, {
      remedy: `use one of ${allChecks.map((c) => c.id).join(", ")}`,
    });
  }
  return allChecks.filter((c) => ids.includes(c.id));
}

function runtimesToCheck(g: GlobalOptions): string[] {
  if (g.runtime !== undefined) {
    if (adapterFor(g.runtime) === undefined)
      throw new CrifsError("usage", `unknown runtime "${g.runtime}"`, {
        remedy: `use one of ${adapters.map((a) => a.id).join(", ")}`,
      });
    return [g.runtime];
  }
  const opts = loadOptions(g);
  const found = adapters.filter((a) => a.detect(opts)).map((a) => a.id);
  if (found.length === 0) throw noStoreFound(g);
  return found;
}

/** Runs doctor over the stores the flags name. Cost: metadata and dir listings twice, then walks (not --quick). */
export async function doctorReport(g: GlobalOptions, flags: DoctorFlags = {}): Promise<DoctorReport> {
  const selected = selectChecks(flags.checks);
  const graceMs = flags.graceSeconds === undefined ? DEFAULT_GRACE_MS : flags.graceSeconds * 1000;
  const mode = flags.mode ?? "default";
  const reports: DoctorReport[] = [];
  const runtimes = runtimesToCheck(g);
  // a node's disk (--host-root) did not write this machine's pod logs: like --root, only named log dirs
  const logDirs = logDirsFor(flags.logDirs ?? {}, g.root ?? g.hostRoot);
  for (const [i, runtime] of runtimes.entries()) {
    const checks = (
      runtime === "containerd"
        ? selected
        : selected.filter(
            (c) => !CONTAINERD_ONLY.has(c.id) && !(runtime === "docker" && NOT_FOR_DOCKER.has(c.id)),
          )
    ).filter((c) => !LOG_CHECKS.has(c.id) || (i === 0 && logDirs.applies));
    const withLogs = checks.some((c) => LOG_CHECKS.has(c.id));
    reports.push(
      await runDoctor({
        checks,
        mode,
        read: async (first) => {
          // the costly facts only for the checks that read them (--check orphan-snapshot-dir scans no links)
          const gathered = await gatherDoctorInput(readMetadata(g, runtime), {
            graceMs,
            verify: mode === "verify",
            links: checks.some((c) => c.id === "broken-symlink"),
            ...(first?.brokenLinks === undefined ? {} : { recheckLinks: first.brokenLinks }),
            layers: mode === "verify" && checks.some((c) => c.id === "layer-content-mismatch"),
          });
          const live =
            runtime === "containerd" && checks.some((c) => c.id === "metadata-mismatch")
              ? await readLive(g)
              : undefined;
          const input = live === undefined ? gathered : { ...gathered, live };
          if (!withLogs) return input;
          return { ...input, podLogs: readPodLogFacts(logDirs, storesForLogs(g, runtimes, input.store)) };
        },
      }),
    );
  }
  return mergeReports(reports);
}

/** One report of several stores' (each store's findings already agreed on by its two reads). */
function mergeReports(reports: readonly DoctorReport[]): DoctorReport {
  if (reports.length === 1 && reports[0] !== undefined) return reports[0];
  const findings: Finding[] = reports.flatMap((r) => r.findings);
  const run = [...new Set(reports.flatMap((r) => r.summary.checksRun))];
  return {
    findings,
    summary: summarize(
      findings,
      run,
      reports.flatMap((r) => r.summary.checksSkipped),
    ),
  };
}

function doctorTable(r: DoctorReport): string {
  const s = r.summary;
  const head =
    r.findings.length === 0
      ? "no problems found"
      : renderTable(
          ["severity", "check", "subject", "path", "bytes", "remedy"],
          r.findings.map((f) => [
            f.severity,
            f.check,
            f.subject,
            // the pod first: an operator thinks in pods, not in snapshot dirs
            f.pod ? `pod ${f.pod.podNamespace}/${f.pod.podName} ${f.pod.containerName}: ${f.path}` : f.path,
            f.bytes === null ? "-" : humanBytes(f.bytes),
            f.remedy,
          ]),
        ).trimEnd();
  const skipped = s.checksSkipped.map((c) => `\nskipped ${c.id}: ${c.reason}`).join("");
  return (
    `${head}\n${s.errors} error(s), ${s.warnings} warning(s), ${s.infos} info(s); ` +
    `${humanBytes(s.bytesReclaimable)} reclaimable; ${s.checksRun.length} checks run${skipped}\n`
  );
}

/** `crifs doctor`: the rendered report and the exit code. JSON contract: docs/json.md#doctor. */
export async function doctorCommand(
  g: GlobalOptions,
  flags: DoctorFlags = {},
): Promise<{ text: string; exitCode: number }> {
  const r = await doctorReport(g, flags);
  const data = { findings: r.findings, summary: r.summary };
  return {
    text: render(g.output, data, { table: () => doctorTable(r) }),
    exitCode: doctorExitCode(r.summary),
  };
}

/** Parses --grace: a whole number of seconds, 0 or more. */
export function parseGrace(v: string): number {
  if (!/^\d+$/.test(v)) {
    throw new CrifsError("usage", `invalid --grace "${v}": expected whole seconds`, {
      remedy: "e.g. --grace 60 (0: no grace)",
    });
  }
  return Number(v);
}

/** `crifs doctor` as the command line runs it: its flags (commander's opts) to the report and exit code. */
export function doctorAction(
  g: GlobalOptions,
  o: Record<string, unknown>,
): Promise<{ text: string; exitCode: number }> {
  const check = o.check as string[] | undefined;
  return doctorCommand(g, {
    ...(check === undefined ? {} : { checks: check.flatMap((c) => c.split(",")) }),
    mode: o.quick === true ? "quick" : o.verify === true ? "verify" : "default",
    graceSeconds: parseGrace(typeof o.grace === "string" ? o.grace : "60"),
    logDirs: logDirFlags(o),
  });
}
