// checks/check.ts — the Check and Finding types every doctor check shares. A finding is plain data, so JSON,
// metrics and tests see the same thing; a check is a pure function of a DoctorInput (gathered once by
// doctor-input.ts): it never rereads the disk, and it keeps going past a bad item.

import type { ContainerPod, RuntimeId } from "../model/store.js";
import type { DoctorInput } from "./doctor-input.js";

export type Severity = "error" | "warning" | "info";

/** What a check needs gathered before it can run:
 *   metadata  the store model (bolt files) — skipped when they could not be read
 *   dirs      listings of the snapshot, blob, ingest and tmpmounts dirs, mountinfo, the root's lstat
 *   walk      its findings' `bytes` come from a du-style walk of their `path` (left null with --quick)
 *   verify    reads whole files (re-hashes blobs): only with --verify */
export type Need = "metadata" | "dirs" | "walk" | "verify";

export interface Finding {
  /** The id of the check that found it (stable kebab-case: JSON, metrics labels, docs). */
  readonly check: string;
  readonly severity: Severity;
  /** The object in question, e.g. `snapshot default/overlayfs/crifs-active`, `blob sha256:…`, `dir 9999`. */
  readonly subject: string;
  /** Absolute path of the offending file or dir. */
  readonly path: string;
  /** Bytes reclaimable (allocated, du-style, hard links once); 0 when nothing is; null when not measured. */
  readonly bytes: number | null;
  readonly message: string;
  readonly remedy: string;
  /** The Kubernetes pod and container it belongs to (set by doctor after the checks; null when none). */
  readonly pod?: ContainerPod | null;
}

export interface Check {
  readonly id: string;
  readonly needs: readonly Need[];
  /** One line for `crifs doctor --help` and the docs. */
  readonly summary: string;
  /** The runtimes whose stores it checks: doctor runs it on those only (EVERY_RUNTIME for most). */
  readonly runtimes: readonly RuntimeId[];
  run(input: DoctorInput): Finding[];
}

/** Every runtime crifs reads: the `runtimes` of a check that speaks only of the model's shared objects. */
export const EVERY_RUNTIME: readonly RuntimeId[] = ["containerd", "podman", "crio", "docker"];

/** Whether a check applies to a store of this runtime. */
export function appliesTo(check: Check, runtime: RuntimeId): boolean {
  return check.runtimes.includes(runtime);
}

/** Severity order, worst first. */
export const severityRank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** The key under which a finding must reappear in a second read to be reported (bytes may change). */
export function findingKey(f: Finding): string {
  return `${f.check}\u0000${f.subject}\u0000${f.path}`;
}

/** Whether a record or dir is younger than the grace period (and so maybe still being written). */
export function isInFlight(
  input: DoctorInput,
  ...times: readonly (string | number | null | undefined)[]
): boolean {
  for (const t of times) {
    if (t === null || t === undefined) continue;
    const ms = typeof t === "number" ? t : Date.parse(t);
    if (!Number.isNaN(ms) && input.now - ms < input.graceMs) return true;
  }
  return false;
}

/** The dir of a snapshot: `<snapshotter home>/snapshots/<id>` (its fs/ and work/ live inside). */
export function snapshotDirOf(
  input: DoctorInput,
  s: { readonly snapshotter: string; readonly id: string; readonly path: string },
): string {
  const sn = input.snapshotters.find((x) => x.name === s.snapshotter);
  return sn === undefined ? s.path.replace(/\/fs$/, "") : `${sn.snapshotsDir}/${s.id}`;
}
