// runtimes/containers-storage/crio-info.ts — CRI-O's own HTTP info API on crio.sock (what `crio status` reads), node:http only:
//
//   GET /info             {"storage_driver":"overlay","storage_image":"","storage_root":"/var/lib/containers/storage",
//                          "cgroup_driver":"systemd","default_id_mappings":{"uids":[…],"gids":[…]}}
//   GET /config           the running crio.conf as TOML text
//   GET /containers/<id>  {"name","pid","image","image_ref","created_time","labels","annotations",
//                          "crio_annotations","log_path","root","sandbox","ip_addresses"}
//                          root: the container's mounted rootfs; log_path: its CRI log file
//
// The shapes follow cri-o's internal/server types (ContainerInfo, CrioInfo). No CRI-O runs in crifs's test
// beds (there is no package for it here): the tests check these readers against a unix-socket server
// serving the documented shapes, not against a real crio.

import { existsSync } from "node:fs";
import { CrifsError } from "../../errors.js";
import { getUnix, getUnixJson } from "../../live/unix-http.js";
import type { Store } from "../../model/store.js";
import { isSameDir } from "../docker/docker-api.js"; // a path helper that happens to live there
import type { DaemonSockets } from "../index.js";

export const DEFAULT_CRIO_SOCKET = "/var/run/crio/crio.sock";

export interface CrioInfo {
  readonly storageDriver: string;
  readonly storageRoot: string;
  readonly storageImage: string;
  readonly cgroupDriver: string;
}

export interface CrioContainerInfo {
  readonly name: string;
  readonly pid: number;
  readonly image: string;
  readonly imageRef: string;
  /** The creation time, the number as CRI-O sends it (its unit has varied between versions). */
  readonly createdTime: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly crioAnnotations: Readonly<Record<string, string>>;
  readonly logPath: string;
  /** The rootfs mount point. */
  readonly root: string;
  readonly sandbox: string;
  readonly ipAddresses: readonly string[];
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === "string"));

/** /info's answer → CrioInfo; an answer without storage_root is not CRI-O's. */
export function parseCrioInfo(v: unknown, socket: string): CrioInfo {
  const o = obj(v);
  if (typeof o.storage_root !== "string")
    throw new CrifsError("unsupported", "cannot read /info: the answer has no storage_root (not CRI-O?)", {
      path: socket,
      remedy: "pass --crio-socket with CRI-O's socket",
    });
  return {
    storageDriver: str(o.storage_driver),
    storageRoot: o.storage_root,
    storageImage: str(o.storage_image),
    cgroupDriver: str(o.cgroup_driver),
  };
}

/** /containers/<id>'s answer → CrioContainerInfo (older CRI-O sends one `ip_address`). */
export function parseCrioContainer(v: unknown): CrioContainerInfo {
  const o = obj(v);
  const ips = Array.isArray(o.ip_addresses)
    ? o.ip_addresses.filter((x): x is string => typeof x === "string")
    : typeof o.ip_address === "string" && o.ip_address !== ""
      ? [o.ip_address]
      : [];
  return {
    name: str(o.name),
    pid: typeof o.pid === "number" ? o.pid : 0,
    image: str(o.image),
    imageRef: str(o.image_ref),
    createdTime: typeof o.created_time === "number" ? o.created_time : 0,
    labels: strMap(o.labels),
    annotations: strMap(o.annotations),
    crioAnnotations: strMap(o.crio_annotations),
    logPath: str(o.log_path),
    root: str(o.root),
    sandbox: str(o.sandbox),
    ipAddresses: ips,
  };
}

/** GET /info. */
export async function readCrioInfo(socket: string, options: { timeoutMs?: number } = {}): Promise<CrioInfo> {
  return parseCrioInfo(await getUnixJson(socket, "/info", { ...options, speaker: "CRI-O" }), socket);
}

/** GET /config: the running configuration as TOML text. */
export async function readCrioConfig(socket: string, options: { timeoutMs?: number } = {}): Promise<string> {
  const r = await getUnix(socket, "/config", { ...options, speaker: "CRI-O" });
  if (r.status !== 200)
    throw new CrifsError("unsupported", `cannot read /config: HTTP ${r.status}`, {
      path: socket,
      remedy: "pass --crio-socket with CRI-O's socket",
    });
  return r.body;
}

/** GET /containers/<id>; a container CRI-O does not know is a not-found CrifsError. */
export async function readCrioContainer(
  socket: string,
  id: string,
  options: { timeoutMs?: number } = {},
): Promise<CrioContainerInfo> {
  if (!/^[0-9a-zA-Z_.-]+$/.test(id))
    throw new CrifsError("usage", `invalid container id "${id}"`, { remedy: "pass a container id" });
  return parseCrioContainer(await getUnixJson(socket, `/containers/${id}`, { ...options, speaker: "CRI-O" }));
}

/** CRI-O's info as `crifs info` shows it beside the store. */
export type CrioView = { source: "crio-info"; socket: string } & CrioInfo;

/** CRI-O's view of the store when its socket is there and CRI-O keeps this store (its storage root). */
export async function readCrioDaemonView(
  store: Store,
  sockets: DaemonSockets,
): Promise<CrioView | undefined> {
  const socket = sockets.crioSocket ?? DEFAULT_CRIO_SOCKET;
  if (!existsSync(socket)) return undefined;
  const v = await readCrioInfo(socket, { timeoutMs: sockets.timeoutMs });
  return isSameDir(v.storageRoot, store.location.root) ? { source: "crio-info", socket, ...v } : undefined;
}

/** CRI-O's view of one container (rootfs mount point, log path, pid) when its socket is there. */
export async function readCrioContainerView(id: string, sockets: DaemonSockets): Promise<object | undefined> {
  const socket = sockets.crioSocket ?? DEFAULT_CRIO_SOCKET;
  if (!existsSync(socket)) return undefined;
  return {
    source: "crio-info",
    socket,
    ...(await readCrioContainer(socket, id, { timeoutMs: sockets.timeoutMs })),
  };
}
