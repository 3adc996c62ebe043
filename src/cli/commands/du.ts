// cli/commands/du.ts — `crifs du` and `crifs imagefsinfo`: where the disk went, every byte attributed, and
// the numbers CRI's ImageFsInfo reports, computed from disk.

import { computeDu, computeImageFsInfo, type DuReport, type ImageFsUsage } from "../../disk/du.js";
import { nodePathAt } from "../../fs/resolve-node-path.js";
import { type LogDirFlags, logDirsFor } from "../../logs/log-dirs.js";
import { computeLogUsage, type LogUsage } from "../../logs/log-usage.js";
import type { Store } from "../../model/store.js";
import { humanBytes, render, renderNamespacedTable, renderTable, UNREADABLE } from "../render/format.js";
import { progress } from "../render/progress.js";
import { type GlobalOptions, noteReadErrors } from "../stores.js";

/** The kubelet pod logs section of the table: per pod and container. */
function logsTable(l: LogUsage): string {
  const rows: string[][] = [];
  for (const p of l.pods) {
    rows.push([p.name, "", humanBytes(p.allocatedBytes), String(p.inodes)]);
    for (const c of p.containers)
      rows.push(["", `${c.name} (${c.files.length} files)`, humanBytes(c.allocatedBytes), String(c.inodes)]);
  }
  return [
    `# ${l.root}: ${humanBytes(l.total.allocatedBytes)} allocated (${l.total.allocatedBytes} bytes) in pod logs`,
    renderTable(["pod log dir", "container", "allocated", "inodes"], rows),
  ].join("\n");
}

function duTable(r: DuReport & { logs?: LogUsage | null }): string {
  const pct = (n: number) =>
    r.total.allocatedBytes === 0 ? "0%" : `${((100 * n) / r.total.allocatedBytes).toFixed(1)}%`;
  const out = [
    `# ${r.root}: ${humanBytes(r.total.allocatedBytes)} allocated (${r.total.allocatedBytes} bytes), ${humanBytes(r.total.apparentBytes)} apparent, ${r.total.inodes} inodes`,
    renderTable(
      ["category", "allocated", "share", "apparent", "inodes"],
      r.categories
        .filter((c) => c.inodes !== 0)
        .map((c) => [
          c.category,
          humanBytes(c.allocatedBytes),
          pct(c.allocatedBytes),
          humanBytes(c.apparentBytes),
          String(c.inodes),
        ]),
    ),
    renderNamespacedTable(
      ["namespace", "image", "layers", "allocated", "unique", "shared"],
      r.images.map((i) => {
        // its layers could not all be read: a sum of the readable ones would pass for the whole
        const b = (n: number) => (i.error === undefined ? humanBytes(n) : UNREADABLE);
        return [
          i.namespace,
          i.names.join(", "),
          i.error === undefined ? String(i.layers) : UNREADABLE,
          b(i.allocatedBytes),
          b(i.uniqueBytes),
          b(i.sharedBytes),
        ];
      }),
    ),
    renderNamespacedTable(
      ["namespace", "container", "pod", "writable layer", "inodes"],
      r.containers.map((c) => [
        c.namespace,
        c.id,
        c.pod === null ? "-" : `${c.pod.podNamespace}/${c.pod.podName} ${c.pod.containerName}`,
        c.error === undefined ? humanBytes(c.allocatedBytes) : UNREADABLE,
        c.error === undefined ? String(c.inodes) : UNREADABLE,
      ]),
    ),
  ];
  if (r.logs !== undefined && r.logs !== null) out.push(logsTable(r.logs));
  for (const e of [...r.errors, ...(r.logs?.errors ?? [])]) out.push(`warning: ${e.path}: ${e.message}`);
  return `${out.join("\n")}\n`;
}

export async function duCommand(
  stores: readonly Store[],
  g: GlobalOptions,
  options: { cache: boolean; logDirs?: LogDirFlags },
): Promise<string> {
  // kubelet's pod logs (outside the store's root): see logs/log-dirs.ts for when they apply
  noteReadErrors(stores);
  // (a node's disk, --host-root, did not write this machine's pod logs: like --root, only named log dirs)
  const dirs = logDirsFor(options.logDirs ?? {}, g);
  const logs = dirs.applies ? await computeLogUsage(nodePathAt(dirs.podsDir, dirs.hostRoot)) : null;
  const reports: (DuReport & { logs: LogUsage | null })[] = [];
  for (const s of stores) {
    const p = progress(`du ${s.location.root}`);
    try {
      reports.push({
        ...(await computeDu(s, { ...(options.cache ? {} : { cacheDir: null }), progress: p })),
        logs,
      });
    } finally {
      p.done();
    }
  }
  const data = reports.length === 1 ? reports[0] : reports;
  return render(g.output, data, { table: () => reports.map(duTable).join("\n") });
}

export async function imageFsInfoCommand(stores: readonly Store[], g: GlobalOptions): Promise<string> {
  const infos: ImageFsUsage[] = [];
  for (const s of stores)
    infos.push(await computeImageFsInfo(s, g.namespace === undefined ? {} : { namespace: g.namespace }));
  const data = { imageFilesystems: infos };
  return render(g.output, data, { table: () => imageFsTable(infos) });
}

/** The imagefsinfo table, the same for the disk answer and the live one. */
export function imageFsTable(infos: readonly ImageFsUsage[]): string {
  return renderTable(
    ["namespace", "mountpoint", "used", "inodes"],
    infos.map((i) => [
      i.namespace,
      i.fsId.mountpoint,
      `${i.usedBytes.value} (${humanBytes(i.usedBytes.value)})`,
      String(i.inodesUsed.value),
    ]),
  );
}
