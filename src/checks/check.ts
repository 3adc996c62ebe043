// checks/check.ts — the Check and Finding types every doctor check shares. A finding is plain data, so JSON,
// metrics and tests see the same thing; a check is a pure function of a DoctorInput (gathered once by
// doctor-input.ts): it never rereads the disk, and it keeps going past a bad item.

import type { ContainerPod, RuntimeId, Store } from "../model/store.js";
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
  /**
   * Doctor's second read gathers this check's facts as the first read's candidates judged again, keeping
   * only those still found at the same path (broken links: DoctorInput.brokenLinks with recheckLinks), so
   * its second-read findings are what both reads agree on: the first read does not run it. Default false.
   */
  readonly isRecheckedBySecondRead?: boolean;
  /**
   * Whether every finding is a path whose age alone tells it from something in flight: the runtime makes such
   * a path (mkdir, or the rename that ctime records) in the same short transaction that records it, so one
   * older than any transaction lasts cannot turn out to be recorded by a second read (orphan dirs). Doctor may
   * then skip its pause and second read (RunDoctorOptions.oneReadAfterMs). Default false.
   */
  readonly isJudgedByAge?: boolean;
  run(input: DoctorInput): Finding[];
  /**
   * The same findings as `run`, as compact items made into findings one at a time (doctor holds a bad image's
   * 10^5 broken links, not 10^5 findings with their messages); null when the input gives none. Every one has
   * the check's severity and 0 bytes. Absent: run only.
   */
  lazily?(input: DoctorInput): LazyFindings | null;
}

/** A check's findings on demand, by position (in the order `run` gives them). */
export interface LazyFindings {
  readonly count: number;
  readonly severity: Severity;
  /** The finding's path and subject, for ordering, without building the rest. */
  pathOf(i: number): string;
  subjectOf(i: number): string;
  /** pathOf(i) in two parts, head + tail, when its items' paths are a few dirs' and each item's path in one
   * (broken links: layer dir + path in the container): ordering then compares the short tails. */
  readonly pathParts?: PathParts;
  /** Finding i; with `message` false its message is "" (for a view that does not show messages: doctor's
   * table, which makes each of 10^5 findings twice). */
  finding(i: number, message?: boolean): Finding;
}

/** A finding's path as head + tail (LazyFindings.pathParts). */
export interface PathParts {
  head(i: number): string;
  tail(i: number): string;
}

/** A check's findings as items of its input, each made into a Found on demand (CheckDefinition.items). */
export interface FoundItems<T> {
  readonly items: readonly T[];
  pathOf(item: T): string;
  subjectOf(item: T): string;
  /** pathOf(item) as head + tail (LazyFindings.pathParts). */
  pathHeadOf?(item: T): string;
  pathTailOf?(item: T): string;
  /** Its Found, with no severity or bytes of its own; with `message` false, its message "" (not made). */
  found(item: T, message?: boolean): Found;
}

/** What a check's `find` yields: a finding without what its definition already says (its id; its severity and
 * bytes unless this finding has its own). */
export interface Found {
  readonly subject: string;
  readonly path: string;
  readonly message: string;
  readonly remedy: string;
  /** Default: the severity of its check's kind. */
  readonly severity?: Severity;
  /** Default: null when the check needs "walk" (the walk measures `path`), else 0 (nothing reclaimable). */
  readonly bytes?: number | null;
}

/** What a check's `find` reads: with "metadata" among its needs, a store that was read (doctor skips the
 * check when it could not be: run-doctor's planChecks), so the check need not ask. */
export type CheckInput<N extends Need> = "metadata" extends N
  ? DoctorInput & { readonly store: Store }
  : DoctorInput;

/** What kind of check it is, on one line of its definition: the severity of most of its findings, what
 * doctor gathers for it, and the runtimes whose stores it checks. */
export interface CheckKind<N extends Need> {
  readonly severity: Severity;
  readonly needs: readonly N[];
  readonly runtimes: readonly RuntimeId[];
}

/** A check as written: its id, summary and kind, and a generator of what it finds (or its items, for a check
 * that may find 10^5 things). */
export interface CheckDefinition<N extends Need, T = never> {
  readonly id: string;
  /** One line for `crifs doctor --help` and the docs. */
  readonly summary: string;
  readonly kind: CheckKind<N>;
  /** Check.isRecheckedBySecondRead. Default false. */
  readonly isRecheckedBySecondRead?: boolean;
  /** Check.isJudgedByAge. Default false. */
  readonly isJudgedByAge?: boolean;
  /** What it finds as items made into Founds on demand (Check.lazily); `find` then is not needed. Not for a
   * check that needs "walk" (its findings' bytes are measured one by one). */
  readonly items?: (input: CheckInput<N>) => FoundItems<T>;
  find?(input: CheckInput<N>): Iterable<Found>;
}

/** The Check of a definition: each yielded Found becomes a Finding of this check, in the order yielded; a
 * check that needs metadata finds nothing on an input without a store. */
export function defineCheck<N extends Need, T = never>(d: CheckDefinition<N, T>): Check {
  const { severity, needs, runtimes } = d.kind;
  const bytes = needs.some((n) => n === "walk") ? null : 0;
  const needsStore = needs.some((n) => n === "metadata");
  const finding = (f: Found): Finding => ({
    check: d.id,
    severity: f.severity ?? severity,
    subject: f.subject,
    path: f.path,
    bytes: f.bytes === undefined ? bytes : f.bytes,
    message: f.message,
    remedy: f.remedy,
  });
  const items = d.items;
  const find =
    d.find?.bind(d) ??
    function* (input: CheckInput<N>): Iterable<Found> {
      const it = items?.(input);
      if (it !== undefined) for (const x of it.items) yield it.found(x);
    };
  const check: Check = {
    id: d.id,
    needs,
    summary: d.summary,
    runtimes,
    ...(d.isRecheckedBySecondRead === true ? { isRecheckedBySecondRead: true } : {}),
    ...(d.isJudgedByAge === true ? { isJudgedByAge: true } : {}),
    run(input) {
      const out: Finding[] = [];
      if (needsStore && input.store === null) return out;
      for (const f of find(input as CheckInput<N>)) out.push(finding(f));
      return out;
    },
  };
  if (items === undefined || bytes === null) return check;
  return {
    ...check,
    lazily(input) {
      if (needsStore && input.store === null) return null;
      const it = items(input as CheckInput<N>);
      const list = it.items;
      const { pathHeadOf: head, pathTailOf: tail } = it;
      return {
        count: list.length,
        severity,
        pathOf: (i) => it.pathOf(list[i] as T),
        subjectOf: (i) => it.subjectOf(list[i] as T),
        ...(head === undefined || tail === undefined
          ? {}
          : { pathParts: { head: (i) => head(list[i] as T), tail: (i) => tail(list[i] as T) } }),
        finding: (i, message = true) => finding(it.found(list[i] as T, message)),
      };
    },
  };
}

/** Every runtime crifs reads: the `runtimes` of a check that speaks only of the model's shared objects. */
export const EVERY_RUNTIME: readonly RuntimeId[] = ["containerd", "podman", "crio", "docker"];

/** The `runtimes` of a check of containerd's own objects: snapshotter dirs and records, blobs, ingests, GC roots. */
export const CONTAINERD_ONLY: readonly RuntimeId[] = ["containerd"];

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
