// cli/commands/logs.ts — `crifs logs <container>`: the lines a container wrote, in order, like kubectl logs,
// read from disk (rotated copies first, P pieces joined). The log is found from what the store recorded
// (src/logs/find-log.ts); a container no store knows is found by kubelet's link in --containers-log-dir.
// With a runtime socket named (--address, $CONTAINER_RUNTIME_ENDPOINT, $CONTAINERD_ADDRESS) and no --root,
// the runtime is asked first, as `crictl logs` does: CRI ContainerStatus's log_path, no store flags needed.
// --follow writes straight to stdout as lines arrive (main.ts prints buffered output only at the end) and
// stops on SIGINT or SIGTERM.

import { existsSync } from "node:fs";
import { CrifsError } from "../../errors.js";
import { CriClient } from "../../live/cri.js";
import type { LogLine } from "../../logs/cri-log.js";
import { type ContainerLogLocation, findContainerLog } from "../../logs/find-log.js";
import { readKubeletLogs } from "../../logs/kubelet-layout.js";
import { logDirFlags, logDirsFor } from "../../logs/log-dirs.js";
import { followContainerLog, formatLogLine, readContainerLog } from "../../logs/read-log.js";
import type { Container, Store } from "../../model/store.js";
import { terminalSafe } from "../render/terminal-safe.js";
import { resolveRef } from "../resolve-ref.js";
import {
  DEFAULT_TIMEOUT_MS,
  type GlobalOptions,
  liveAddress,
  noteLiveFailure,
  openStores,
} from "../stores.js";

/** Whether the flags or the environment name the runtime's socket (not just crictl.yaml or a default). */
function isAddressGiven(g: GlobalOptions): boolean {
  return (
    g.address !== undefined ||
    (process.env.CONTAINER_RUNTIME_ENDPOINT ?? "") !== "" ||
    (process.env.CONTAINERD_ADDRESS ?? "") !== ""
  );
}

/**
 * The log of container `ref` (id, unique id prefix or name) as the runtime reports it, like `crictl logs`:
 * ListContainers to resolve the ref, then ContainerStatus's log_path (a path on this host, kubelet's CRI
 * format). Null, after one stderr note, when the socket does not answer or the runtime has no log path for it;
 * a ref the runtime does not know is null without a note (the files may know it).
 */
export async function locateLogLive(
  socket: string,
  ref: string,
  timeoutMs: number,
): Promise<(ContainerLogLocation & { container: string }) | null> {
  const cri = new CriClient(socket, timeoutMs);
  try {
    const all = await cri.listContainers();
    const exact = all.filter((c) => c.id === ref);
    const hits =
      exact.length > 0 ? exact : all.filter((c) => c.id.startsWith(ref) || (c.metadata?.name ?? "") === ref);
    if (hits.length > 1) {
      throw new CrifsError("usage", `container "${ref}" is ambiguous: ${hits.length} containers match`, {
        remedy: "pass more of the container id",
      });
    }
    const id = hits[0]?.id;
    if (id === undefined) return null;
    const r = await cri.runtime<{ status?: { log_path?: string } }>("ContainerStatus", {
      container_id: id,
    });
    const path = r.status?.log_path ?? "";
    if (path === "") {
      process.stderr.write(`crifs: ${socket}: container "${id}" has no log path in its CRI status\n`);
      return null;
    }
    return { path, format: "cri", source: "cri-status", container: id };
  } catch (err) {
    if (err instanceof CrifsError && err.code === "usage") throw err;
    noteLiveFailure(err, "reading the files instead");
    return null;
  } finally {
    cri.close();
  }
}

export interface LogsFlags {
  readonly tail?: number;
  readonly follow?: boolean;
  readonly logRoot?: string;
  readonly containersLogDir?: string;
}

/** The container's log location: from the runtime when its socket is named (see the header), else from the
 * stores when one knows it, else from kubelet's links. */
export async function locateLog(
  g: GlobalOptions,
  ref: string,
  flags: LogsFlags,
): Promise<ContainerLogLocation & { container: string }> {
  const socket = isAddressGiven(g) ? liveAddress(g) : null;
  if (socket !== null) {
    const live = await locateLogLive(socket, ref, g.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (live !== null) return live;
  }
  let stores: Store[] = [];
  try {
    stores = openStores(g);
  } catch (err) {
    if (!(err instanceof CrifsError) || err.code !== "not-found") throw err;
  }
  let store: Store | null = null;
  let container: Container | null = null;
  try {
    const t = resolveRef(stores, ref, ["container"]);
    if (t.type === "container") {
      store = t.store;
      container = t.container;
    }
  } catch (err) {
    if (!(err instanceof CrifsError) || err.code !== "not-found") throw err;
  }
  const dirs = logDirsFor(flags, g);
  const layout = readKubeletLogs(dirs);
  const loc = findContainerLog(store, container, ref, layout, {
    explicitPodsDir: flags.logRoot !== undefined,
  });
  if (loc === null) {
    throw new CrifsError(
      "not-found",
      container === null
        ? `cannot find container "${ref}": no store and no log link in ${dirs.containersDir} names it`
        : `cannot find the log of container "${container.id}": it has no CRI log path nor pod labels`,
      {
        remedy: "pass --log-root/--containers-log-dir where kubelet keeps the logs, or the runtime's --root",
      },
    );
  }
  return { ...loc, container: container?.id ?? ref };
}

function parseTail(v: string): number {
  if (!/^\d+$/.test(v))
    throw new CrifsError("usage", `invalid --tail "${v}": expected a whole number of lines`, {
      remedy: "e.g. --tail 100",
    });
  return Number(v);
}

/** `crifs logs` without --follow: the rendered output (text: the lines; json: lines with time and stream). */
export async function logsCommand(
  g: GlobalOptions,
  ref: string,
  flags: LogsFlags,
): Promise<{ text: string; warning: string | null }> {
  const loc = await locateLog(g, ref, flags);
  const r = readContainerLog(loc.path, loc.format, flags.tail === undefined ? {} : { tail: flags.tail });
  if (!r.files.some((f) => existsSync(f)))
    throw new CrifsError("not-found", `cannot read the log of container "${loc.container}": no log file`, {
      path: loc.path,
      remedy: "the container never wrote a line, or its log was removed",
    });
  const warning =
    r.malformed > 0
      ? `crifs: warning: ${loc.path}: skipped ${r.malformed} line(s) not in ${loc.format} log format\n`
      : null;
  if (g.output === "json" || g.output === "yaml") {
    const data = {
      container: loc.container,
      path: loc.path,
      format: loc.format,
      source: loc.source,
      files: r.files.filter((f) => existsSync(f)),
      malformed: r.malformed,
      lines: r.lines.map((l: LogLine) => ({
        time: l.time,
        stream: l.stream,
        text: l.text,
        isComplete: l.isComplete,
      })),
    };
    return { text: `${JSON.stringify(data, null, 2)}\n`, warning };
  }
  return { text: r.lines.map(formatLogLineForTerminal).join(""), warning };
}

/**
 * A log line as the table view prints it: what the container wrote, with control bytes and escape sequences
 * shown as escapes (tabs kept), so a container cannot drive the operator's terminal. -o json has the raw text.
 */
function formatLogLineForTerminal(l: LogLine): string {
  return formatLogLine({ ...l, text: terminalSafe(l.text, { keepTab: true }) });
}

/** `crifs logs --follow`: prints the (tail of the) log, then each new line until SIGINT/SIGTERM. */
export async function followLogsCommand(g: GlobalOptions, ref: string, flags: LogsFlags): Promise<void> {
  const loc = await locateLog(g, ref, flags);
  const r = readContainerLog(loc.path, loc.format, {
    completeOnly: true,
    ...(flags.tail === undefined ? {} : { tail: flags.tail }),
  });
  process.stdout.write(r.lines.map(formatLogLineForTerminal).join(""));
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await followContainerLog(loc.path, loc.format, (l) => process.stdout.write(formatLogLineForTerminal(l)), {
      signal: stop.signal,
      fromOffset: r.currentOffset,
      decoder: r.decoder,
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** `crifs logs` as the command line runs it: flags parsed, then the lines written (or followed). */
export async function logsAction(
  g: GlobalOptions,
  ref: string,
  o: Record<string, unknown>,
  write: (s: string) => void,
): Promise<void> {
  const flags: LogsFlags = {
    ...logDirFlags(o),
    ...(typeof o.tail === "string" ? { tail: parseTail(o.tail) } : {}),
    follow: o.follow === true,
  };
  if (flags.follow === true) {
    await followLogsCommand(g, ref, flags);
    return;
  }
  const r = await logsCommand(g, ref, flags);
  write(r.text);
  if (r.warning !== null) process.stderr.write(`${terminalSafe(r.warning.trimEnd(), { keepTab: true })}\n`);
}
