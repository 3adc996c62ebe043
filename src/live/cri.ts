// live/cri.ts — a CRI client (runtime.v1 RuntimeService and ImageService over a unix socket), the calls
// crictl makes for version, pods, ps, inspectp, stats, images and imagefsinfo. Responses are returned as
// proto-loader gives them: snake_case fields, int64 as strings, enums by name.

import type * as grpc from "@grpc/grpc-js";
import type { Pod } from "../model/store.js";
import { dial, type Endpoint, loadProtos, nanosToTime, serviceCtor, unary } from "./grpc.js";

export interface LiveOptions {
  readonly root?: string | undefined;
  readonly state?: string | undefined;
  readonly config?: string | undefined;
  /** Deadline of each call in ms (--timeout). */
  readonly timeoutMs: number;
}

/** A pod sandbox as CRI lists it, in the model's words, placed in the runtime namespace given. */
export function podOfSandbox(p: CriPodSandbox, namespace: string): Pod {
  return {
    namespace,
    id: p.id,
    podName: p.metadata?.name ?? "",
    podNamespace: p.metadata?.namespace ?? "",
    podUid: p.metadata?.uid ?? "",
    attempt: p.metadata?.attempt ?? 0,
    state: p.state === "SANDBOX_READY" ? "ready" : "notready",
    createdAt: nanosToTime(p.created_at),
    labels: p.labels,
    annotations: p.annotations,
    runtimeHandler: p.runtime_handler,
  };
}

export interface CriPodSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number } | null;
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  created_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtime_handler: string;
}

export interface CriContainer {
  id: string;
  pod_sandbox_id: string;
  metadata: { name: string; attempt: number } | null;
  image: { image: string } | null;
  image_ref: string;
  state: "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";
  created_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface CriImage {
  id: string;
  repo_tags: string[];
  repo_digests: string[];
  size: string;
  pinned: boolean;
}

export interface CriUsage {
  timestamp: string;
  fs_id: { mountpoint: string } | null;
  used_bytes: { value: string } | null;
  inodes_used: { value: string } | null;
}

export interface CriContainerStats {
  attributes: {
    id: string;
    metadata: { name: string; attempt: number } | null;
    labels: Record<string, string>;
  } | null;
  cpu: { timestamp: string; usage_core_nano_seconds: { value: string } | null } | null;
  memory: { timestamp: string; working_set_bytes: { value: string } | null } | null;
  writable_layer: CriUsage | null;
}

/** A connected CRI client; close() when done. Every call has the deadline `timeoutMs`. */
export class CriClient {
  readonly #rt: grpc.Client;
  readonly #img: grpc.Client;
  readonly #e: Endpoint;

  constructor(socket: string, timeoutMs: number) {
    const pkg = loadProtos(["cri.proto"]);
    this.#rt = dial(serviceCtor(pkg, "runtime.v1.RuntimeService"), socket);
    this.#img = dial(serviceCtor(pkg, "runtime.v1.ImageService"), socket);
    this.#e = { socket, timeoutMs, speaker: "CRI" };
  }

  get socket(): string {
    return this.#e.socket;
  }

  close(): void {
    this.#rt.close();
    this.#img.close();
  }

  /** Any RuntimeService method (the bed drives the pod lifecycle through this). */
  runtime<T>(method: string, req: unknown, timeoutMs?: number): Promise<T> {
    const e = timeoutMs === undefined ? this.#e : { ...this.#e, timeoutMs };
    return unary<T>(this.#rt, method, req, e, `call CRI ${method}`);
  }

  /** Any ImageService method. */
  image<T>(method: string, req: unknown, timeoutMs?: number): Promise<T> {
    const e = timeoutMs === undefined ? this.#e : { ...this.#e, timeoutMs };
    return unary<T>(this.#img, method, req, e, `call CRI ${method}`);
  }

  version(): Promise<{
    version: string;
    runtime_name: string;
    runtime_version: string;
    runtime_api_version: string;
  }> {
    return this.runtime("Version", { version: "v1" });
  }

  async listPods(): Promise<CriPodSandbox[]> {
    return (await this.runtime<{ items: CriPodSandbox[] }>("ListPodSandbox", {})).items;
  }

  async podStatus(id: string): Promise<{ status: unknown; info: Record<string, string> }> {
    return this.runtime("PodSandboxStatus", { pod_sandbox_id: id, verbose: true });
  }

  async listContainers(): Promise<CriContainer[]> {
    return (await this.runtime<{ containers: CriContainer[] }>("ListContainers", {})).containers;
  }

  async listImages(): Promise<CriImage[]> {
    return (await this.image<{ images: CriImage[] }>("ListImages", {})).images;
  }

  async imageFsInfo(): Promise<CriUsage[]> {
    return (await this.image<{ image_filesystems: CriUsage[] }>("ImageFsInfo", {})).image_filesystems;
  }

  async listContainerStats(): Promise<CriContainerStats[]> {
    return (await this.runtime<{ stats: CriContainerStats[] }>("ListContainerStats", {})).stats;
  }
}
