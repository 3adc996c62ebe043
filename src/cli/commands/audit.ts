// cli/commands/audit.ts — `crifs audit`: the main job. Finds every runtime store on this host and shows what
// it holds and what looks wrong. On a host without any, it audits the sample store bundled with crifs
// (a real containerd root, unpacked to a temp dir) and says so.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CrifsError } from "../../errors.js";
import type { Store } from "../../model/store.js";
import { loadContainerd } from "../../runtimes/containerd/load.js";
import { adapters } from "../../runtimes/index.js";
import { render, renderTable, renderTree } from "../render/format.js";
import { filterNamespace, type GlobalOptions, openStores } from "../stores.js";
import { containerRows } from "./containers.js";
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
  return { store: loadContainerd({ config, root: join(dir, "root"), state: join(dir, "state") }), dir };
}

export function auditCommand(g: GlobalOptions, options: { forceSample?: boolean } = {}): string {
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
        g.runtime === undefined;
      if (!isNothingHere) throw err;
      note = `no container runtime store found on this host (looked in ${adapters.map((a) => a.defaultRoot).join(", ")}); `;
    }
  }
  if (stores.length === 0) {
    const sample = loadSample();
    stores = [filterNamespace(sample.store, g.namespace)];
    note = `${note ?? ""}auditing the bundled sample store (a real containerd root, unpacked to ${sample.dir} for this run)`;
  }
  const data = {
    source: note === null ? "host" : "sample",
    note,
    stores: stores.map((s) => ({
      ...storeSummary(s),
      images: imageRows([s]),
      containers: containerRows([s]),
    })),
  };
  return render(g.output, data, {
    table: () => {
      const out: string[] = [];
      if (note !== null) out.push(`crifs: ${note}\n`);
      for (const s of stores) {
        const sum = storeSummary(s);
        const c = sum.counts;
        out.push(
          `== ${s.location.runtime} root ${s.location.root} state ${s.location.state ?? "-"} config ${s.location.configPath ?? "(defaults)"}`,
          `   ${c.namespaces} namespaces, ${c.images} images, ${c.snapshots} snapshots, ${c.containers} containers ` +
            `(${c.tasksRunning} running), ${c.blobs} blob records, ${c.leases} leases, ${c.ingests} ingests\n`,
          renderTable(
            ["namespace", "image", "layers"],
            imageRows([s]).map((r) => [r.namespace, r.name, String(r.snapshotKeys.length)]),
          ),
          renderTable(
            ["namespace", "container", "image", "task", "pid"],
            containerRows([s]).map((r) => [
              r.namespace,
              r.id,
              r.image,
              r.task?.status ?? "-",
              r.task ? String(r.task.pid) : "-",
            ]),
          ),
          renderTree(snapshotForest(s)),
        );
        if (s.anomalies.length > 0) {
          out.push(`${s.anomalies.length} problem(s) reading metadata:`);
          for (const a of s.anomalies) out.push(`  ${a.path}: ${a.message}`);
        } else out.push("metadata reads cleanly.");
      }
      return `${out.join("\n")}\n`;
    },
  });
}
