// cli/commands/inspectp.ts — `crifs inspectp <pod>`: one pod sandbox, like `crictl inspectp`. Live: CRI's
// PodSandboxStatus (verbose; its `info` values are JSON and are parsed). From disk: the pod from the model
// with its containers.

import { CrifsError } from "../../errors.js";
import { render, renderDisplayYaml } from "../render/format.js";
import { type GlobalOptions, openCri, openStores } from "../stores.js";
import { podRowsFromCri, podRowsFromStores } from "./pods.js";

function pick<T extends { id: string; name: string }>(rows: readonly T[], ref: string): T {
  const hits = rows.filter((r) => r.id === ref || r.id.startsWith(ref) || r.name === ref);
  const exact = hits.filter((r) => r.id === ref || r.name === ref);
  const one = exact.length === 1 ? exact[0] : hits.length === 1 ? hits[0] : undefined;
  if (one === undefined) {
    throw new CrifsError(
      hits.length === 0 ? "not-found" : "usage",
      hits.length === 0 ? `no pod "${ref}"` : `pod "${ref}" is ambiguous (${hits.length} pods match)`,
      { remedy: "`crifs pods` lists pod ids and names" },
    );
  }
  return one;
}

export async function inspectpCommand(g: GlobalOptions, ref: string): Promise<string> {
  const cri = await openCri(g);
  let data: Record<string, unknown>;
  if (cri !== null) {
    try {
      const pod = pick(podRowsFromCri(await cri.listPods()), ref);
      const st = await cri.podStatus(pod.id);
      const info: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(st.info)) {
        try {
          info[k] = JSON.parse(v);
        } catch {
          info[k] = v;
        }
      }
      data = { ...pod, status: st.status, info };
    } finally {
      cri.close();
    }
  } else {
    const stores = openStores(g);
    const pod = pick(podRowsFromStores(stores), ref);
    const containers = stores
      .flatMap((s) => s.containers)
      .filter((c) => c.pod?.podUid === pod.uid && c.pod.podName === pod.name && c.id !== pod.id)
      .map((c) => ({ id: c.id, name: c.pod?.containerName ?? "", task: c.task }));
    data = { ...pod, containers };
  }
  return render(g.output, data, { table: () => renderDisplayYaml(data) });
}
