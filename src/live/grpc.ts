// live/grpc.ts — the one place crifs touches gRPC: loads the project's own .proto subsets (proto/), dials a
// unix socket, and makes unary and server-streaming calls, each bounded whole by --timeout (deadline.ts).
// Every failure becomes one CrifsError line ("cannot …: connection refused / did not answer within 5s /
// not a containerd socket (protocol error)").

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as grpc from "@grpc/grpc-js";
import type * as protoLoaderTypes from "@grpc/proto-loader";
import { CrifsError } from "../errors.js";
import { seaFile } from "../fs/sea-assets.js";
import { type Call, isTransportText, timedOut, transportError, withDeadline } from "./deadline.js";

// gRPC and the proto loader take ~70 ms to load: only commands that dial a socket pay for them
const require = createRequire(import.meta.url);
let grpcModule: typeof grpc | undefined;
function grpcLib(): typeof grpc {
  grpcModule ??= require("@grpc/grpc-js") as typeof grpc;
  return grpcModule;
}
function protoLoader(): typeof protoLoaderTypes {
  return require("@grpc/proto-loader") as typeof protoLoaderTypes;
}

/** The proto/ dir of the installed package (the build runs from dist/src/live, the sources from src/live). */
export function protoDir(): string {
  const carried = seaFile("proto/"); // the single executable writes out the proto files it carries
  if (carried !== null) {
    if ("path" in carried) return carried.path;
    throw new CrifsError("not-found", `cannot find the proto files of crifs: ${carried.problem}`, {
      remedy: "set XDG_CACHE_HOME to a dir of your own (mode 0700) where crifs may write them",
    });
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "proto", "cri.proto"))) return join(dir, "proto");
    dir = dirname(dir);
  }
  throw new CrifsError("not-found", "cannot find the proto/ dir of crifs", {
    remedy: "reinstall crifs: its package ships proto/",
  });
}

// keepCase: fields as in the .proto (snake_case); longs as strings (int64 nanoseconds); enums by name
const LOADER = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } as const;

const packages = new Map<string, grpc.GrpcObject>();

/** Loads proto files (relative to proto/) once per process. Cost: 50–200 ms the first time. */
export function loadProtos(files: readonly string[]): grpc.GrpcObject {
  const key = files.join(",");
  const hit = packages.get(key);
  if (hit !== undefined) return hit;
  const dir = protoDir();
  const def = protoLoader().loadSync(
    files.map((f) => join(dir, f)),
    { ...LOADER, includeDirs: [dir, join(dir, "containerd")] },
  );
  const pkg = grpcLib().loadPackageDefinition(def);
  packages.set(key, pkg);
  return pkg;
}

/** Walks a dotted path ("containerd.services.snapshots.v1.Snapshots") to a service client constructor. */
export function serviceCtor(pkg: grpc.GrpcObject, path: string): grpc.ServiceClientConstructor {
  let cur: unknown = pkg;
  for (const part of path.split(".")) cur = (cur as Record<string, unknown>)[part];
  if (typeof cur !== "function") throw new Error(`no service ${path} in the loaded protos`);
  return cur as grpc.ServiceClientConstructor;
}

// fast reconnects: a socket that appears a moment later is used at once (grpc-js default backoff is ~1 s)
const CHANNEL = {
  "grpc.initial_reconnect_backoff_ms": 20,
  "grpc.min_reconnect_backoff_ms": 20,
  "grpc.max_reconnect_backoff_ms": 100,
};

/** Where and how long each call goes (deadline.ts's Call: socket, timeoutMs for the whole call, speaker). */
export interface Endpoint extends Call {
  /** containerd namespace sent as the `containerd-namespace` header, when set. */
  readonly namespace?: string;
}

export function dial(ctor: grpc.ServiceClientConstructor, socket: string): grpc.Client {
  return new ctor(`unix://${socket}`, grpcLib().credentials.createInsecure(), CHANNEL);
}

function metadataFor(e: Endpoint): grpc.Metadata {
  const md = new (grpcLib().Metadata)();
  if (e.namespace !== undefined) md.set("containerd-namespace", e.namespace);
  return md;
}

/** Turns a gRPC error into one CrifsError line: transport failures in deadline.ts's words, the daemon's
 * own errors by their first line. Never grpc-js's own text ("14 UNAVAILABLE: No connection established"). */
export function callError(err: unknown, e: Endpoint, what: string): CrifsError {
  if (err instanceof CrifsError) return err;
  const ge = err as Partial<grpc.ServiceError>;
  const status = grpcLib().status;
  const details = ge.details ?? ge.message ?? String(err);
  if (ge.code === status.DEADLINE_EXCEEDED) return timedOut(e, what);
  if (ge.code === status.UNAVAILABLE || ge.code === status.CANCELLED || isTransportText(details))
    return transportError(e, what, details, err);
  if (ge.code === status.UNIMPLEMENTED)
    return new CrifsError("unsupported", `cannot ${what}: the runtime does not implement it`, {
      path: e.socket,
      remedy: "this runtime does not serve that API; --offline reads its files",
      cause: err,
    });
  const code =
    ge.code === status.NOT_FOUND ? "not-found" : ge.code === status.PERMISSION_DENIED ? "permission" : "busy";
  return new CrifsError(code, `cannot ${what}: ${(details.split("\n")[0] ?? "").slice(0, 200)}`, {
    path: e.socket,
    remedy: "is the runtime running? pass --address for another socket, or --offline to read its files",
    cause: err,
  });
}

type Unary = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: unknown, res: unknown) => void,
) => grpc.ClientUnaryCall;
type Streaming = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
) => grpc.ClientReadableStream<unknown>;

/** One unary call, bounded whole by the endpoint's deadline (deadline.ts). */
export function unary<T>(
  client: grpc.Client,
  method: string,
  req: unknown,
  e: Endpoint,
  what: string,
): Promise<T> {
  const fn = (client as unknown as Record<string, Unary>)[method];
  if (fn === undefined) return Promise.reject(new Error(`no method ${method}`));
  return withDeadline(
    e,
    what,
    (signal) =>
      new Promise<T>((resolve, reject) => {
        // the deadline also travels to the server (containerd passes it on); deadline.ts cuts the call off
        const call = fn.call(
          client,
          req,
          metadataFor(e),
          { deadline: Date.now() + e.timeoutMs },
          (err, res) => (err ? reject(callError(err, e, what)) : resolve(res as T)),
        );
        signal.addEventListener("abort", () => call.cancel(), { once: true });
      }),
  );
}

/** A server-streaming call collected into an array of messages, bounded whole by the endpoint's deadline. */
export function collect<T>(
  client: grpc.Client,
  method: string,
  req: unknown,
  e: Endpoint,
  what: string,
): Promise<T[]> {
  const fn = (client as unknown as Record<string, Streaming>)[method];
  if (fn === undefined) return Promise.reject(new Error(`no method ${method}`));
  return withDeadline(
    e,
    what,
    (signal) =>
      new Promise<T[]>((resolve, reject) => {
        const out: T[] = [];
        const s = fn.call(client, req, metadataFor(e), { deadline: Date.now() + e.timeoutMs });
        s.on("data", (m: T) => out.push(m));
        s.on("error", (err) => reject(callError(err, e, what)));
        s.on("end", () => resolve(out));
        signal.addEventListener("abort", () => s.cancel(), { once: true });
      }),
  );
}

/** protobuf Timestamp ({seconds, nanos}, seconds as a string) → RFC 3339 with nanoseconds, null for zero. */
export function timestamp(
  t: { seconds?: string | number; nanos?: number } | null | undefined,
): string | null {
  if (t === null || t === undefined) return null;
  const s = BigInt(t.seconds ?? 0);
  const n = t.nanos ?? 0;
  // Go's zero time (what containerd sends for "unset", e.g. a running task's exited_at)
  if ((s === 0n && n === 0) || s === -62135596800n) return null;
  const iso = new Date(Number(s) * 1000).toISOString().slice(0, 19);
  return `${iso}.${String(n).padStart(9, "0")}Z`;
}

/** int64 nanoseconds since the epoch (CRI's created_at, as a string) → RFC 3339 with nanoseconds. */
export function nanosToTime(ns: string | number | undefined): string | null {
  if (ns === undefined) return null;
  const v = BigInt(ns);
  if (v === 0n) return null;
  return timestamp({ seconds: String(v / 1_000_000_000n), nanos: Number(v % 1_000_000_000n) });
}
