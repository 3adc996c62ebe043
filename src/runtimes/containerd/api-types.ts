// runtimes/containerd/api-types.ts — the shapes of the containerd API messages live.ts reads (as proto-loader
// decodes them: snake_case fields, enums as their names, int64 as strings) and how they map to the model.

import type { SnapshotKind, TaskStatus } from "../../model/store.js";

export type Ts = { seconds?: string; nanos?: number } | null;
export interface PbSnapshotInfo {
  name: string;
  parent: string;
  kind: "UNKNOWN" | "VIEW" | "ACTIVE" | "COMMITTED";
  created_at: Ts;
  updated_at: Ts;
  labels: Record<string, string>;
}
export interface PbMount {
  type: string;
  source: string;
  options: string[];
}
export interface PbAny {
  type_url: string;
  value: Buffer;
}
export interface PbContainer {
  id: string;
  labels: Record<string, string>;
  image: string;
  runtime: { name: string } | null;
  spec: PbAny | null;
  snapshotter: string;
  snapshot_key: string;
  created_at: Ts;
  updated_at: Ts;
}
export interface PbImage {
  name: string;
  labels: Record<string, string>;
  target: { media_type: string; digest: string; size: string } | null;
  created_at: Ts;
  updated_at: Ts;
}
export interface PbProcess {
  container_id: string;
  id: string;
  pid: number;
  status: "UNKNOWN" | "CREATED" | "RUNNING" | "STOPPED" | "PAUSED" | "PAUSING";
}

export const TASK_STATUS: Record<PbProcess["status"], TaskStatus> = {
  UNKNOWN: "unknown",
  CREATED: "created",
  RUNNING: "running",
  STOPPED: "stopped",
  PAUSED: "paused",
  PAUSING: "paused",
};

export const KIND: Record<string, SnapshotKind> = { VIEW: "view", ACTIVE: "active", COMMITTED: "committed" };
