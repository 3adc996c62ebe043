// logs/log-usage.ts — the disk usage of kubelet's pod log dir, per pod and per container (rotated and
// gzipped copies included), counted as `du -s -B1 -x` counts each dir: allocated bytes, hard links once.
// One scan: each container dir, each pod dir (its own entries; the container dirs nested in it are not
// entered again) and the root (its own entries), so every byte lands in exactly one tree.

import { existsSync } from "node:fs";
import { type ScanResult, scanTrees, type Usage } from "../fs/walk.js";
import { readKubeletLogs } from "./kubelet-layout.js";

export interface ContainerLogUsage extends Usage {
  readonly name: string;
  readonly path: string;
  /** The files in it: the current log and its rotated copies. */
  readonly files: readonly string[];
}

export interface PodLogUsage extends Usage {
  readonly name: string;
  readonly path: string;
  /** From the dir name `<namespace>_<pod>_<uid>`; null when it is not one. */
  readonly namespace: string | null;
  readonly pod: string | null;
  readonly uid: string | null;
  readonly containers: readonly ContainerLogUsage[];
}

export interface LogUsage {
  readonly root: string;
  /** The whole root, as du -s -B1 -x of it. */
  readonly total: Usage;
  readonly pods: readonly PodLogUsage[];
  readonly errors: readonly { readonly path: string; readonly message: string }[];
}

const zero = (): Usage => ({ allocatedBytes: 0, apparentBytes: 0, inodes: 0 });
const sum = (xs: readonly Usage[]): Usage => {
  const t = zero();
  for (const x of xs) {
    t.allocatedBytes += x.allocatedBytes;
    t.apparentBytes += x.apparentBytes;
    t.inodes += x.inodes;
  }
  return t;
};

/** Usage of the pods log dir (absent: all zero). Cost: one walk of it. */
export async function computeLogUsage(podsDir: string): Promise<LogUsage> {
  if (!existsSync(podsDir)) return { root: podsDir, total: zero(), pods: [], errors: [] };
  const layout = readKubeletLogs({ podsDir, containersDir: "/nonexistent" });
  const trees = [
    ...layout.pods.flatMap((p) => p.containers.map((c) => ({ id: `c:${c.path}`, path: c.path }))),
    ...layout.pods.map((p) => ({ id: `p:${p.path}`, path: p.path })),
    { id: "root", path: podsDir },
  ];
  const scan: ScanResult = await scanTrees(trees, { cacheDir: null, oneFileSystem: true });
  const of = (id: string) => scan.perTree.get(id) ?? zero();
  const pods = layout.pods.map((p) => {
    const containers = p.containers.map((c) => ({
      name: c.name,
      path: c.path,
      files: c.files,
      ...of(`c:${c.path}`),
    }));
    return {
      name: p.name,
      path: p.path,
      namespace: p.id?.namespace ?? null,
      pod: p.id?.pod ?? null,
      uid: p.id?.uid ?? null,
      ...sum([of(`p:${p.path}`), ...containers]),
      containers,
    };
  });
  return {
    root: podsDir,
    total: scan.total,
    pods,
    errors: [...layout.problems, ...scan.errors.map((e) => ({ path: e.path, message: e.message }))],
  };
}
