// cli/commands/info.ts — `crifs info`: which runtime stores were found, where, with what settings, and how
// much each holds.

import { existsSync } from "node:fs";
import { DEFAULT_CRIO_SOCKET, readCrioInfo } from "../../live/crio-info.js";
import { type DockerApiView, dockerSocket, isSameDir, readDockerApi } from "../../live/docker-api.js";
import type { Store } from "../../model/store.js";
import { render, renderDisplayYaml } from "../render/format.js";
import { DEFAULT_TIMEOUT_MS, type GlobalOptions, noteLiveFailure, noteReadErrors } from "../stores.js";

export function storeSummary(s: Store) {
  const tasks = s.containers.filter((c) => c.task !== null);
  return {
    runtime: s.location.runtime,
    root: s.location.root,
    // the root reached through a symlink, as the node names it: "/var/lib/containerd -> /data/containerd"
    ...(s.location.rootLink === undefined
      ? {}
      : { rootLink: `${s.location.rootLink.path} -> ${s.location.rootLink.target}` }),
    ...(s.location.hostRoot === undefined ? {} : { hostRoot: s.location.hostRoot }),
    state: s.location.state,
    config: s.location.configPath,
    settings: s.settings,
    counts: {
      namespaces: s.namespaces.length,
      images: s.images.length,
      snapshots: s.snapshots.length,
      containers: s.containers.length,
      tasksRunning: tasks.filter((c) => c.task?.status === "running").length,
      tasks: tasks.length,
      blobs: s.blobs.length,
      leases: s.leases.length,
      ingests: s.ingests.length,
    },
    namespaces: s.namespaces.map((n) => n.name),
    anomalies: s.anomalies,
    /** Objects whose records could not be read whole, each {subject, path, message} (docs/json.md#info). */
    unreadable: [
      ...s.snapshots.map((o) => ({ subject: `snapshot ${o.key}`, e: o.readError })),
      ...s.containers.map((o) => ({ subject: `container ${o.id}`, e: o.readError })),
      ...s.images.map((o) => ({ subject: `image ${o.name}`, e: o.readError })),
    ].flatMap((x) => (x.e === undefined ? [] : [{ subject: x.subject, ...x.e }])),
  };
}

/** Where to ask the daemons that have an HTTP API on a unix socket (docker, CRI-O). */
export interface DaemonSockets {
  /** --docker-host (unix://…); default $DOCKER_HOST, else /var/run/docker.sock */
  readonly dockerHost?: string;
  /** --crio-socket; default /var/run/crio/crio.sock */
  readonly crioSocket?: string;
  readonly timeoutMs?: number;
}

type CrioView = { source: "crio-info"; socket: string } & Awaited<ReturnType<typeof readCrioInfo>>;

/**
 * The daemon's own view of the store, when its socket answers and it names this store's root (another
 * daemon on the host keeps another store): docker's Engine API, CRI-O's info API. Undefined otherwise; a
 * socket that is there but fails (refuses, does not answer within --timeout, is not the daemon) gets one
 * note on stderr.
 */
export async function daemonView(
  s: Store,
  sockets: DaemonSockets = {},
): Promise<DockerApiView | CrioView | undefined> {
  const timeoutMs = sockets.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // a node's disk (--host-root): the daemons answering here are this machine's, not the node's
  if (s.location.hostRoot !== undefined) return undefined;
  try {
    if (s.location.runtime === "docker") {
      const socket = dockerSocket(sockets.dockerHost);
      if (socket === null || !existsSync(socket)) return undefined;
      const v = await readDockerApi(socket, { timeoutMs });
      return isSameDir(v.rootDir, s.location.root) ? v : undefined;
    }
    if (s.location.runtime === "crio") {
      const socket = sockets.crioSocket ?? DEFAULT_CRIO_SOCKET;
      if (!existsSync(socket)) return undefined;
      const v = await readCrioInfo(socket, { timeoutMs });
      return isSameDir(v.storageRoot, s.location.root) ? { source: "crio-info", socket, ...v } : undefined;
    }
  } catch (err) {
    noteLiveFailure(err, "showing what is on disk"); // info shows the files, with one line saying why
  }
  return undefined;
}

export async function infoCommand(
  stores: readonly Store[],
  g: GlobalOptions,
  sockets: DaemonSockets = {},
): Promise<string> {
  noteReadErrors(stores);
  const data: (ReturnType<typeof storeSummary> & { daemon?: DockerApiView | CrioView })[] = [];
  const withTimeout = { timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...sockets };
  for (const s of stores) {
    const daemon = await daemonView(s, withTimeout);
    data.push({ ...storeSummary(s), ...(daemon === undefined ? {} : { daemon }) });
  }
  return render(g.output, data, { table: () => renderDisplayYaml(data) });
}
