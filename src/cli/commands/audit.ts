// cli/commands/audit.ts — `crifs audit`: the main job. Finds every runtime store on this host and shows what
// it holds and what looks wrong. On a host without any, it audits the sample store bundled with crifs
// (a real containerd root, unpacked to a temp dir) and says so.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_GRACE_MS } from "../../checks/doctor-input.js";
import { type DoctorReport, doctorExitCode } from "../../checks/run-doctor.js";
import { computeDu, type DuReport } from "../../disk/du.js";
import { CrifsError } from "../../errors.js";
import type { Store } from "../../model/store.js";
import { planRepairs } from "../../repair/planner.js";
import { adapters, containerdAdapter } from "../../runtimes/index.js";
import { humanBytes, render, renderLines, renderTable, renderTree } from "../render/format.js";
import { filterNamespace, type GlobalOptions, openStores } from "../stores.js";
import { containerRows } from "./containers.js";
import { doctorReport } from "./doctor.js";
import { imageRows } from "./images.js";
import { storeSummary } from "./info.js";
import { snapshotForest } from "./snapshots.js";

/** The bundled sample: sample/containerd-root.tar.gz at the package root. */
export const SAMPLE_TARBALL = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "..",
  "sample",
  "containerd-root.tar.gz",
);

/** Unpacks the sample store to a fresh temp dir and loads it. Whiteouts are device nodes: root only. */
export function loadSample(): { store: Store; dir: string } {
  if (!existsSync(SAMPLE_TARBALL)) {
    throw new CrifsError("not-found", "cannot find the bundled sample store", {
      path: SAMPLE_TARBALL,
      remedy: "re-make it with scripts/make-sample.sh",
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "crifs-sample-"));
  // the unpacked copy is for this run only
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync(
    "tar",
    ["--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpzf", SAMPLE_TARBALL, "-C", dir],
    {
      encoding: "utf8",
    },
  );
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || "tar failed").trim().split("\n")[0];
    throw new CrifsError("permission", `cannot unpack the sample store: ${why}`, {
      path: SAMPLE_TARBALL,
      remedy: "run as root: the sample holds overlay whiteouts (device nodes) and trusted.* xattrs",
    });
  }
  const config = join(dir, "config.toml");
  writeFileSync(config, `version = 2\nroot = "${join(dir, "root")}"\nstate = "${join(dir, "state")}"\n`);
  return {
    store: containerdAdapter.load({ config, root: join(dir, "root"), state: join(dir, "state") }),
    dir,
  };
}

/** Global options that name exactly this store (doctor reads the store again itself, twice). */
function optionsFor(s: Store, g: GlobalOptions): GlobalOptions {
  const { location } = s;
  // under --host-root the flags are the node's paths and each store's are already resolved: the runtime is
  // enough to name it again
  if (g.hostRoot !== undefined) return { ...g, runtime: location.runtime };
  return {
    ...g,
    runtime: location.runtime,
    root: location.root,
    ...(location.state === null ? {} : { state: location.state }),
    ...(location.configPath === null ? {} : { config: location.configPath }),
  };
}

/** The repair plan of a store's doctor report, summed up: what `crifs repair` would do and how to apply it. */
interface RepairSummary {
  readonly actions: number;
  readonly bytes: number;
  readonly unmended: number;
  readonly command: string;
}

/** `graceSeconds`: doctor's, when not its default (the just-unpacked sample: 0), passed on to the command. */
function repairSummary(
  s: Store,
  doctor: DoctorReport,
  g: GlobalOptions,
  graceSeconds: number | undefined,
): RepairSummary {
  const plan = planRepairs(doctor.findings, s, {
    daemonUp: false,
    now: Date.now(),
    graceMs: graceSeconds === undefined ? DEFAULT_GRACE_MS : graceSeconds * 1000,
  });
  const flags =
    g.hostRoot !== undefined
      ? ["--host-root", g.hostRoot, "--runtime", s.location.runtime]
      : [
          "--runtime",
          s.location.runtime,
          "--root",
          s.location.root,
          ...(s.location.configPath === null ? [] : ["--config", s.location.configPath]),
        ];
  const quoted = flags.map((f) => (/^[\w./=:,@-]+$/.test(f) ? f : `'${f.replace(/'/g, "'\\''")}'`));
  return {
    actions: plan.actions.length,
    bytes: plan.bytes,
    unmended: plan.unmended.length,
    command: `crifs ${quoted.join(" ")} repair ${graceSeconds === undefined ? "" : `--grace ${graceSeconds} `}--apply --yes`,
  };
}

/**
 * The main job: what each store holds (metadata), where its disk went (du) and what is wrong (doctor).
 * Exit code as doctor's: 0 clean, 1 warnings, 2 errors.
 */
export async function auditCommand(
  g: GlobalOptions,
  options: { forceSample?: boolean } = {},
): Promise<{ text: string; exitCode: number }> {
  let stores: Store[] = [];
  let note: string | null = null;
  if (options.forceSample !== true) {
    try {
      stores = openStores(g);
    } catch (err) {
      const isNothingHere =
        err instanceof CrifsError &&
        err.code === "not-found" &&
        g.root === undefined &&
        g.runtime === undefined &&
        g.hostRoot === undefined;
      if (!isNothingHere) throw err;
      const looked = [...new Set(adapters.map((a) => a.defaultRoot))].join(", ");
      note = `no container runtime store found on this host (looked in ${looked}); `;
    }
  }
  if (stores.length === 0) {
    const sample = loadSample();
    stores = [filterNamespace(sample.store, g.namespace)];
    note = `${note ?? ""}auditing the bundled sample store (a real containerd root, unpacked to ${sample.dir} for this run)`;
  }
  const audited: { store: Store; du: DuReport; doctor: DoctorReport; repair: RepairSummary }[] = [];
  for (const s of stores) {
    const du = await computeDu(s);
    // the sample was unpacked a moment ago, which set every ctime to now: without this its leftovers (a
    // leaked snapshot dir, an interrupted prepare, a stale ingest) would all look in flight. It is a capture:
    // nothing in it is being written
    const opts = optionsFor(s, g);
    const graceSeconds = note === null ? undefined : 0;
    const doctor = await doctorReport(opts, graceSeconds === undefined ? {} : { graceSeconds });
    audited.push({ store: s, du, doctor, repair: repairSummary(s, doctor, opts, graceSeconds) });
  }
  const exitCode = Math.max(0, ...audited.map((a) => doctorExitCode(a.doctor.summary)));
  const data = {
    source: note === null ? "host" : "sample",
    note,
    stores: audited.map(({ store: s, du, doctor, repair }) => ({
      ...storeSummary(s),
      images: imageRows([s]),
      containers: containerRows([s]),
      du: { total: du.total, categories: du.categories },
      doctor: { findings: doctor.findings, summary: doctor.summary },
      repair,
    })),
  };
  const text = render(g.output, data, {
    table: () => {
      const out: string[] = [];
      if (note !== null) out.push(renderLines([`crifs: ${note}`]));
      for (const { store: s, du, doctor, repair } of audited) {
        const c = storeSummary(s).counts;
        out.push(
          renderLines([
            `== ${s.location.runtime} root ${s.location.root}${s.location.rootLink === undefined ? "" : ` (${s.location.rootLink.path} -> ${s.location.rootLink.target})`} state ${s.location.state ?? "-"} config ${s.location.configPath ?? "(defaults)"}`,
            `   ${c.namespaces} namespaces, ${c.images} images, ${c.snapshots} snapshots, ${c.containers} containers ` +
              `(${c.tasksRunning} running), ${c.blobs} blob records, ${c.leases} leases, ${c.ingests} ingests`,
          ]),
          renderTable(
            ["namespace", "image", "layers"],
            imageRows([s]).map((r) => [r.namespace ?? "", r.name, String(r.snapshotKeys.length)]),
          ),
          renderTable(
            ["namespace", "container", "image", "task", "pid"],
            containerRows([s]).map((r) => [
              r.namespace ?? "",
              r.id,
              r.image,
              r.task?.status ?? "-",
              r.task ? String(r.task.pid) : "-",
            ]),
          ),
          renderTree(snapshotForest(s)),
          `-- disk: ${humanBytes(du.total.allocatedBytes)} allocated in ${du.total.inodes} inodes (crifs du for the details)`,
          renderTable(
            ["category", "allocated", "inodes"],
            du.categories
              .filter((x) => x.inodes !== 0)
              .map((x) => [x.category, humanBytes(x.allocatedBytes), String(x.inodes)]),
          ),
          `-- doctor (crifs doctor for the details and remedies):`,
        );
        const lines: string[] = [];
        if (doctor.findings.length === 0) lines.push("   no problems found");
        for (const f of doctor.findings)
          lines.push(`   ${f.severity.padEnd(7)} ${f.check.padEnd(22)} ${f.path}  ${f.message}`);
        const sum = doctor.summary;
        lines.push(
          `   ${sum.errors} error(s), ${sum.warnings} warning(s), ${sum.infos} info(s); ${humanBytes(sum.bytesReclaimable)} reclaimable`,
        );
        lines.push(
          repair.actions === 0
            ? "-- repair: nothing to repair"
            : `-- repair: ${repair.actions} action(s), ${humanBytes(repair.bytes)} to free (${repair.unmended} finding(s) left to a person); ${
                note === null
                  ? `apply with: ${repair.command}`
                  : // the sample's dir is removed when audit exits: say how to get one that stays
                    "to try it, unpack the sample as sample/README.md shows and run: crifs --root <dir>/root repair --grace 0 --apply --yes, then crifs --root <dir>/root repair --undo"
              }`,
        );
        if (s.anomalies.length > 0) {
          lines.push(`${s.anomalies.length} record(s) could not be read:`);
          for (const a of s.anomalies) lines.push(`  ${a.path}: ${a.message}`);
        }
        out.push(renderLines(lines));
      }
      return `${out.join("\n")}\n`;
    },
  });
  return { text, exitCode };
}
