// cli/commands/stats.ts — `crifs stats`: each running container's CPU, memory and writable-layer usage,
// like `crictl stats`, from CRI's ListContainerStats. Live only: these numbers exist nowhere on disk (the
// writable layer's size does: `crifs du`).

import type { ImageFsUsage } from "../../disk/du.js";
import { CrifsError } from "../../errors.js";
import { humanBytes, render, renderListing } from "../render/format.js";
import { type GlobalOptions, openCri } from "../stores.js";
import { imageFsTable } from "./du.js";

/** JSON contract: docs/json.md#stats. */
export interface StatsRow {
  readonly id: string;
  readonly name: string;
  readonly cpuNanoSeconds: number | null;
  readonly memoryWorkingSetBytes: number | null;
  readonly writableLayerBytes: number | null;
  readonly writableLayerInodes: number | null;
  readonly source: "live";
}

const num = (v: { value: string } | null | undefined): number | null => (v ? Number(v.value) : null);

export async function statsCommand(g: GlobalOptions): Promise<string> {
  const cri = await openCri(g);
  if (cri === null) {
    throw new CrifsError("unsupported", "cannot show stats: no runtime answers", {
      remedy:
        "stats come from the running runtime only; start it or pass --address (crifs du shows disk use)",
    });
  }
  let rows: StatsRow[];
  try {
    rows = (await cri.listContainerStats()).map((s) => ({
      id: s.attributes?.id ?? "",
      name: s.attributes?.metadata?.name ?? "",
      cpuNanoSeconds: num(s.cpu?.usage_core_nano_seconds),
      memoryWorkingSetBytes: num(s.memory?.working_set_bytes),
      writableLayerBytes: num(s.writable_layer?.used_bytes),
      writableLayerInodes: num(s.writable_layer?.inodes_used),
      source: "live" as const,
    }));
  } finally {
    cri.close();
  }
  return renderListing(
    g,
    rows,
    {
      container: (r) => r.id.slice(0, 13),
      name: (r) => r.name,
      "cpu (ns)": (r) => (r.cpuNanoSeconds === null ? "-" : String(r.cpuNanoSeconds)),
      mem: (r) => (r.memoryWorkingSetBytes === null ? "-" : humanBytes(r.memoryWorkingSetBytes)),
      disk: (r) => (r.writableLayerBytes === null ? "-" : humanBytes(r.writableLayerBytes)),
      inodes: (r) => (r.writableLayerInodes === null ? "-" : String(r.writableLayerInodes)),
    },
    { id: (r) => r.id },
  );
}

/** `crifs imagefsinfo` when the runtime answers: CRI's ImageFsInfo in the same shape as the disk answer
 * (docs/json.md#imagefsinfo), with `source` "live"; null when no runtime answers. */
export async function imageFsInfoLive(g: GlobalOptions): Promise<string | null> {
  const cri = await openCri(g);
  if (cri === null) return null;
  let infos: ImageFsUsage[];
  try {
    infos = (await cri.imageFsInfo()).map((u) => ({
      timestamp: Number(u.timestamp),
      fsId: { mountpoint: u.fs_id?.mountpoint ?? "" },
      usedBytes: { value: num(u.used_bytes) ?? 0 },
      inodesUsed: { value: num(u.inodes_used) ?? 0 },
      namespace: "k8s.io",
    }));
  } finally {
    cri.close();
  }
  const data = { imageFilesystems: infos, source: "live" };
  return render(g.output, data, { table: () => imageFsTable(infos) });
}
