// cli/stores.ts — global flags to loaded stores: which runtime(s), which root, which namespace, and whether
// to read them live (through the runtime's socket) or from disk.
// With --runtime, that adapter loads (at --root or its default place). Without, every adapter that detects
// its store on this host loads, each labelled with runtime and root.
//
// Live or disk (openStoresLive): containerd is read through its API when its socket answers: the socket of
// --address, else $CONTAINER_RUNTIME_ENDPOINT, else $CONTAINERD_ADDRESS, else /etc/crictl.yaml's
// runtime-endpoint, else the containerd config's grpc.address (crictl's order). --root alone means "these
// files": it reads disk unless --address is given too. --offline always reads disk. A
// socket that refuses or does not answer within --timeout gets one stderr note, and the files answer.
//
// --host-root DIR is a chroot, not a prefix: every path, --root/--state/--config included, is the node's and
// is resolved inside DIR (fs/resolve-node-path.ts), and nothing is read live.

import { existsSync } from "node:fs";
import { CrifsError } from "../errors.js";
import { readCrictlEndpoint, socketPath } from "../live/address.js";
import { CriClient } from "../live/cri.js";
import { readErrorsByFile } from "../model/read-errors.js";
import type { Labels, ReadError, Store } from "../model/store.js";
import {
  type Adapter,
  adapters,
  type LoadOptions,
  liveAdapter,
  requireAdapter,
  wordsFor,
} from "../runtimes/index.js";
import type { Columns, OutputFormat } from "./render/format.js";
import { renderListing } from "./render/format.js";
import { terminalSafe } from "./render/terminal-safe.js";

export interface GlobalOptions {
  readonly runtime?: string;
  readonly root?: string;
  readonly state?: string;
  readonly config?: string;
  readonly namespace?: string;
  readonly output: OutputFormat;
  readonly debug: boolean;
  /** --address: the runtime's socket (unix path or unix:// URL). */
  readonly address?: string;
  /** --offline: read the files even when the runtime answers. */
  readonly offline?: boolean;
  /** --timeout in milliseconds: the deadline of each call to the runtime (default 5000). */
  readonly timeoutMs?: number;
  /** --host-root: the dir standing for the node's / (its disk mounted elsewhere); see the header. */
  readonly hostRoot?: string;
  /** -q: list commands print their rows' ids only (render/format.ts ListingView). */
  readonly quiet?: boolean;
  /** --no-headers: list commands' tables without the header line. */
  readonly noHeaders?: boolean;
}

/** What the adapters take from the global flags. */
export function loadOptions(g: GlobalOptions): LoadOptions {
  return { root: g.root, state: g.state, config: g.config, hostRoot: g.hostRoot };
}

/** The "no store found" error, naming where crifs looked. */
export function noStoreFound(g: GlobalOptions): CrifsError {
  if (g.hostRoot !== undefined) {
    return new CrifsError("not-found", "no container runtime store found under this host root", {
      path: g.hostRoot,
      remedy: "pass the dir where the node's / is mounted, or --runtime and --root for one store",
    });
  }
  const where = g.root ?? [...new Set(adapters.map((a) => a.defaultRoot))].join(", ");
  return new CrifsError("not-found", `no container runtime store found in ${where}`, {
    remedy: "pass --runtime and --root for a store elsewhere; `crifs audit` shows the bundled sample store",
  });
}

export const DEFAULT_TIMEOUT_MS = 5000;

/** The adapters of the stores the flags name: --runtime's, else every one that detects its store here (none:
 * noStoreFound). Cost: a few stats per runtime. */
export function storeAdapters(g: GlobalOptions): Adapter[] {
  if (g.runtime !== undefined) return [requireAdapter(g.runtime)];
  const opts = loadOptions(g);
  const found = adapters.filter((a) => a.detect(opts));
  if (found.length === 0) throw noStoreFound(g);
  return found;
}

/** Loads the stores the flags name, from disk. Cost: metadata only. */
export function openStores(g: GlobalOptions): Store[] {
  const opts = loadOptions(g);
  return storeAdapters(g).map((a) => filterNamespace(a.load(opts), g.namespace));
}

/** The runtime crifs reads live (containerd), unless the flags say disk: --offline, --host-root, or another
 * --runtime. */
function liveCandidate(g: GlobalOptions): Adapter | null {
  if (g.offline === true || g.hostRoot !== undefined) return null;
  const live = liveAdapter();
  if (live === undefined || (g.runtime !== undefined && g.runtime !== live.id)) return null;
  return live;
}

/** The socket crifs would ask for containerd, or null when the flags say disk (--offline, --root without
 * --address, another --runtime). */
export function liveAddress(g: GlobalOptions): string | null {
  const live = liveCandidate(g);
  if (live === null) return null;
  if (g.address !== undefined) return addressPath(g.address, "--address");
  if (g.root !== undefined) return null;
  // what crictl and ctr take from the environment, after the flag and before crictl.yaml (as crictl does)
  for (const v of ["CONTAINER_RUNTIME_ENDPOINT", "CONTAINERD_ADDRESS"]) {
    const env = process.env[v];
    if (env !== undefined && env !== "") return addressPath(env, v);
  }
  const crictl = readCrictlEndpoint();
  if (crictl !== null) return socketPath(crictl);
  return live.configuredSocket?.(loadOptions(g)) ?? null;
}

/** The socket path of an address given by `from` (a flag or environment variable): unix sockets only. */
function addressPath(address: string, from: string): string {
  const p = socketPath(address);
  if (p === null) {
    throw new CrifsError(
      "usage",
      `cannot use address "${address}" (${from}): only unix sockets are supported`,
      {
        remedy: "pass --address unix:///path/to/containerd.sock",
      },
    );
  }
  return p;
}

/** A one-line note on stderr (the data stays on stdout). */
export function note(text: string): void {
  process.stderr.write(`crifs: ${terminalSafe(text)}\n`);
}

/** One note for a runtime's socket that failed (its error's line without the hint), then what crifs does
 * instead: "crifs: <socket>: cannot …: did not answer within 5s; reading the files instead". */
export function noteLiveFailure(err: unknown, instead: string): void {
  const line =
    err instanceof CrifsError
      ? err.oneLine().replace(/ \(hint: .*\)$/, "")
      : `internal error: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`;
  note(`${line}; ${instead}`); // note() makes it terminal-safe
}

/** `{namespace}` for a runtime with namespaces; nothing for the others, whose one namespace ("") JSON and tables
 * do not show (docs/json.md). */
export function namespaceField(s: Store, namespace: string): { namespace?: string } {
  return namespace === "" && !wordsFor(s.location.runtime).hasNamespaces ? {} : { namespace };
}

/**
 * One stderr line per file whose records could not be read whole (the output marks those objects `?` in
 * tables and `error` in JSON), naming the file and the next step. Read commands call it; doctor reports the
 * same causes as findings instead.
 */
export function noteReadErrors(stores: readonly Store[]): void {
  for (const [path, errors] of readErrorsByFile(stores)) {
    const first = errors[0]?.message ?? "";
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more object(s) that depend on it)` : "";
    note(`${path}: cannot read some records whole: ${first}${more} (hint: crifs doctor says what to do)`);
  }
}

/** A store record as a listing row (docs/json.md): its runtime and namespace, `fields`, then its times,
 * labels and, when it could not be read whole, `error`. */
export function recordRow<T extends object>(
  s: Store,
  x: {
    readonly namespace: string;
    readonly createdAt: string | null;
    readonly updatedAt: string | null;
    readonly labels: Labels;
    readonly readError?: ReadError;
  },
  fields: T,
) {
  return {
    runtime: s.location.runtime,
    ...namespaceField(s, x.namespace),
    ...fields,
    createdAt: x.createdAt,
    updatedAt: x.updatedAt,
    labels: x.labels,
    ...(x.readError === undefined ? {} : { error: x.readError }),
  };
}

/** What a command listing one kind of store record prints: a stderr line per file read only in part
 * (noteReadErrors), then `rows` of the stores as JSON or YAML, or a table of a namespace column (dropped
 * when no row has one) and `columns`, or `tree`. */
export function renderRecords<R extends { readonly namespace?: string }>(
  stores: readonly Store[],
  o: {
    g: GlobalOptions;
    rows: (stores: readonly Store[]) => R[];
    columns: Columns<R>;
    /** The row's id, what -q prints. */
    id: (row: R) => string;
    tree?: () => string;
    /** Only the rows this keeps (--name, --label, --pod). */
    keep?: (row: R) => boolean;
  },
): string {
  noteReadErrors(stores);
  const columns: Columns<R> = { namespace: (r) => r.namespace ?? "", ...o.columns };
  const rows = o.rows(stores);
  return renderListing(o.g, o.keep === undefined ? rows : rows.filter(o.keep), columns, {
    id: o.id,
    ...(o.tree === undefined ? {} : { tree: o.tree }),
  });
}

/**
 * Loads the stores, containerd's through its socket when it answers (see the header). In table output a
 * stderr line says which socket was read; a socket that fails gets one line saying why, and disk answers.
 */
export async function openStoresLive(g: GlobalOptions): Promise<Store[]> {
  const socket = liveAddress(g);
  const adapter = liveCandidate(g);
  // an absent default socket just means no daemon here: disk, silently; an absent --address is worth a note
  if (socket === null || adapter?.loadLive === undefined || (g.address === undefined && !existsSync(socket)))
    return openStores(g);
  let live: Store;
  try {
    live = await adapter.loadLive(socket, {
      root: g.root,
      state: g.state,
      config: g.config,
      timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  } catch (err) {
    noteLiveFailure(err, "reading the files instead");
    return openStores(g);
  }
  if (g.output === "table") note(`read live from ${socket} (--offline reads the files)`);
  const stores = [filterNamespace(live, g.namespace)];
  if (g.runtime === undefined) {
    const opts = loadOptions(g);
    for (const a of adapters) {
      if (a !== adapter && a.detect(opts)) stores.push(filterNamespace(a.load(opts), g.namespace));
    }
  }
  return stores;
}

/** The store with only one namespace's objects (all of them when ns is undefined). */
export function filterNamespace(s: Store, ns: string | undefined): Store {
  if (ns === undefined) return s;
  const keep = <T extends { namespace: string }>(xs: readonly T[]) => xs.filter((x) => x.namespace === ns);
  return {
    ...s,
    namespaces: s.namespaces.filter((n) => n.name === ns),
    images: keep(s.images),
    snapshots: keep(s.snapshots),
    containers: keep(s.containers),
    blobs: keep(s.blobs),
    leases: keep(s.leases),
    ingests: keep(s.ingests),
    ...(s.pods === undefined ? {} : { pods: keep(s.pods) }),
  };
}

/** A CRI client on the runtime's socket when it answers Version within --timeout (see the header), else
 * null after one stderr note saying why (nothing when there is no socket at all). */
export async function openCri(g: GlobalOptions): Promise<CriClient | null> {
  const socket = liveAddress(g);
  if (socket === null || (g.address === undefined && !existsSync(socket))) return null;
  const c = new CriClient(socket, g.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    await c.version();
  } catch (err) {
    c.close();
    noteLiveFailure(err, "reading the files instead");
    return null;
  }
  if (g.output === "table") note(`read live from ${socket} (--offline reads the files)`);
  return c;
}

/** Rows from CRI when the runtime answers, else from the files; then only -n's namespace. */
export async function criOrDiskRows<T extends { namespace: string }>(
  g: GlobalOptions,
  live: (cri: CriClient) => Promise<T[]>,
  disk: (stores: Store[]) => T[],
): Promise<T[]> {
  const cri = await openCri(g);
  let rows: T[];
  if (cri === null) rows = disk(openStores(g));
  else {
    try {
      rows = await live(cri);
    } finally {
      cri.close();
    }
  }
  return g.namespace === undefined ? rows : rows.filter((r) => r.namespace === g.namespace);
}
