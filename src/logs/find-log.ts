// logs/find-log.ts — where a container's log is on disk, from what the store recorded about it, in this order:
//
//   docker            <data-root>/containers/<id>/config.v2.json LogPath (json-file), else <id>-json.log there
//   CRI-O             the spec annotation io.kubernetes.cri-o.LogPath (the CRI LogPath itself)
//   containerd (CRI)  the pod's log dir: the sandbox's spec annotation io.kubernetes.cri.sandbox-log-directory
//                     (found through the container's io.kubernetes.cri.sandbox-id), else
//                     <pods dir>/<ns>_<pod>_<uid> from the labels io.kubernetes.pod.{namespace,name,uid};
//                     then <container name>/<restart count>.log, the restart count from
//                     io.kubernetes.container.restartCount when recorded, else from kubelet's link
//                     <containers dir>/*-<id>.log, else the highest <n>.log in the container's dir
//   any container     kubelet's link <containers dir>/<pod>_<ns>_<container>-<id>.log
//
// Pure but for reading a docker config.v2.json and listing the layout's dirs. Paths come back as paths of this
// machine: under --host-root a recorded node path (a LogPath, a sandbox's log dir) is resolved below it.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { nodePathAt } from "../fs/resolve-node-path.js";
import type { Container, Labels, Store } from "../model/store.js";
import type { LogFormat } from "./cri-log.js";
import { type KubeletLogs, podOfLogPath } from "./kubelet-layout.js";

export interface ContainerLogLocation {
  /** The current log file (it may not exist yet). */
  readonly path: string;
  readonly format: LogFormat;
  /** How it was found. */
  readonly source:
    | "docker-config"
    | "docker-default"
    | "crio-annotation"
    | "pod-log-dir"
    | "kubelet-link"
    | "cri-status";
}

export const LABEL_POD_UID = "io.kubernetes.pod.uid";
export const LABEL_POD_NAME = "io.kubernetes.pod.name";
export const LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace";
export const LABEL_CONTAINER_NAME = "io.kubernetes.container.name";

function annotations(c: Container): Labels {
  const spec = c.spec as { annotations?: unknown } | null | undefined;
  const a = spec?.annotations;
  if (typeof a !== "object" || a === null) return {};
  return Object.fromEntries(
    Object.entries(a as Record<string, unknown>).filter(
      (e): e is [string, string] => typeof e[1] === "string",
    ),
  );
}

/** A label or spec annotation of the container (labels first). */
function meta(c: Container, key: string): string | undefined {
  return c.labels[key] ?? annotations(c)[key];
}

/** The pod uid a container belongs to, from its labels or spec annotations (CRI sets both), or null. */
export function podUidOf(c: Container): string | null {
  return meta(c, LABEL_POD_UID) ?? meta(c, "io.kubernetes.cri.sandbox-uid") ?? null;
}

/** kubelet's link for a container id (full id, or a unique prefix of 12+ hex digits). */
export function linkForContainerId(layout: KubeletLogs, id: string) {
  const hits = layout.links.filter(
    (l) => l.id !== null && (l.id.containerId === id || (id.length >= 12 && l.id.containerId.startsWith(id))),
  );
  return hits.length === 1 ? hits[0] : undefined;
}

function dockerLog(store: Store, c: Container): ContainerLogLocation {
  const dir = join(store.location.root, "containers", c.id);
  try {
    const cfg = JSON.parse(readFileSync(join(dir, "config.v2.json"), "utf8")) as { LogPath?: unknown };
    if (typeof cfg.LogPath === "string" && cfg.LogPath !== "")
      return {
        path: nodePathAt(cfg.LogPath, store.location.hostRoot),
        format: "docker-json",
        source: "docker-config",
      };
  } catch {
    // unreadable config: the default place
  }
  return { path: join(dir, `${c.id}-json.log`), format: "docker-json", source: "docker-default" };
}

/** The highest `<n>.log` in a container's log dir, or null. */
function newestRestart(dir: string): string | null {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const ns = names.map((n) => /^(\d+)\.log$/.exec(n)?.[1]).filter((n): n is string => n !== undefined);
  if (ns.length === 0) return null;
  return `${Math.max(...ns.map(Number))}.log`;
}

/**
 * Where the container's log is, or null when nothing recorded says. `explicitPodsDir`: the user named the
 * pods dir (--log-root), so it wins over the sandbox's recorded log dir.
 */
export function findContainerLog(
  store: Store | null,
  c: Container | null,
  id: string,
  layout: KubeletLogs,
  options: { explicitPodsDir?: boolean } = {},
): ContainerLogLocation | null {
  const link = linkForContainerId(layout, c?.id ?? id);
  if (store !== null && c !== null) {
    if (store.location.runtime === "docker") return dockerLog(store, c);
    const crio = meta(c, "io.kubernetes.cri-o.LogPath");
    if (crio !== undefined && crio !== "")
      return { path: nodePathAt(crio, layout.hostRoot), format: "cri", source: "crio-annotation" };
    const ns = meta(c, LABEL_POD_NAMESPACE);
    const pod = meta(c, LABEL_POD_NAME);
    const uid = podUidOf(c);
    const name = meta(c, LABEL_CONTAINER_NAME);
    if (name !== undefined) {
      let podDir: string | null = null;
      const sandboxId = meta(c, "io.kubernetes.cri.sandbox-id");
      const sandbox = store.containers.find((x) => x.id === sandboxId);
      const recorded =
        sandbox === undefined ? undefined : meta(sandbox, "io.kubernetes.cri.sandbox-log-directory");
      if (recorded !== undefined && recorded !== "" && options.explicitPodsDir !== true)
        podDir = nodePathAt(recorded, layout.hostRoot);
      else if (ns !== undefined && pod !== undefined && uid !== null)
        podDir = join(layout.podsDir, `${ns}_${pod}_${uid}`);
      if (podDir !== null) {
        const dir = join(podDir, name);
        const restart = meta(c, "io.kubernetes.container.restartCount");
        const linked = link?.targetPath === null || link === undefined ? null : podOfLogPath(link.targetPath);
        const file =
          restart !== undefined && /^\d+$/.test(restart)
            ? `${restart}.log`
            : (linked?.file ?? newestRestart(dir) ?? "0.log");
        return { path: join(dir, file), format: "cri", source: "pod-log-dir" };
      }
    }
  }
  if (link?.targetPath !== undefined && link.targetPath !== null)
    return { path: link.targetPath, format: "cri", source: "kubelet-link" };
  return null;
}
