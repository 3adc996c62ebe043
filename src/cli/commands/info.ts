// cli/commands/info.ts — `crifs info`: which runtime stores were found, where, with what settings, and how
// much each holds.

import type { RuntimeVersion, Store } from "../../model/store.js";
import { type DaemonSockets as AdapterSockets, adapterFor, type DaemonView } from "../../runtimes/index.js";
import { render, renderDisplayYaml } from "../render/format.js";
import { DEFAULT_TIMEOUT_MS, type GlobalOptions, noteLiveFailure, noteReadErrors } from "../stores.js";

/** The version a live store's daemon named, else what the adapter finds asking the binaries (an exec), else
 * the store's markers; null when nothing says. */
export function runtimeVersionOf(s: Store): RuntimeVersion | null {
  if (s.runtimeVersion?.source === "daemon") return s.runtimeVersion;
  return adapterFor(s.location.runtime)?.readRuntimeVersion?.(s) ?? s.runtimeVersion ?? null;
}

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
    // the runtime version found and what said so (the daemon, its binary, the store's markers); null: nothing
    runtimeVersion: runtimeVersionOf(s),
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

/** Where to ask the daemons that have an HTTP API on a unix socket (docker, CRI-O); timeoutMs defaults to
 * --timeout's default. */
export type DaemonSockets = Omit<AdapterSockets, "timeoutMs"> & { readonly timeoutMs?: number };

/**
 * The daemon's own view of the store (its adapter's readDaemonView: docker's Engine API, CRI-O's info API),
 * when its socket answers and it names this store's root. Undefined otherwise; a socket that is there but
 * fails (refuses, does not answer within --timeout, is not the daemon) gets one note on stderr.
 */
export async function daemonView(s: Store, sockets: DaemonSockets = {}): Promise<DaemonView | undefined> {
  // a node's disk (--host-root): the daemons answering here are this machine's, not the node's
  if (s.location.hostRoot !== undefined) return undefined;
  const read = adapterFor(s.location.runtime)?.readDaemonView;
  if (read === undefined) return undefined;
  try {
    return await read(s, { ...sockets, timeoutMs: sockets.timeoutMs ?? DEFAULT_TIMEOUT_MS });
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
  const data: (ReturnType<typeof storeSummary> & { daemon?: DaemonView })[] = [];
  const withTimeout = { timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...sockets };
  for (const s of stores) {
    const daemon = await daemonView(s, withTimeout);
    const summary = storeSummary(s);
    // a daemon that answers names its own version (docker's /version): that is the best source there is
    const told = daemon !== undefined && "serverVersion" in daemon ? daemon.serverVersion : "";
    if (typeof told === "string" && told !== "") summary.runtimeVersion = { version: told, source: "daemon" };
    data.push({ ...summary, ...(daemon === undefined ? {} : { daemon }) });
  }
  return render(g.output, data, { table: () => renderDisplayYaml(data) });
}
