// repair/action.ts — the contract between the planner (pure: findings + store in, actions out), the applier
// (journal, quarantine, re-checks) and each action kind (src/repair/actions/<kind>.ts, one file each).
//
// An action is data: the steps it will take, what must still hold just before it takes them, and what it
// frees. The applier never asks an action kind to "do" anything it cannot journal: every change is one Step,
// written to the journal (intent, fsynced) before it is made and marked done after, so a run killed at any
// point can be finished or reverted from the journal alone.

import type { Finding } from "../checks/check.js";
import type { RuntimeId, Store } from "../model/store.js";

/** Whether the runtime's daemon must be up (a change through its API), down, or either (a file no metadata
 * names and nothing mounts). */
export type DaemonNeed = "up" | "down" | "either";

/** A change to a runtime's own metadata, made through that runtime's own API (never by writing its files).
 * `call` is the same change in the words of the runtime's own CLI, for the plan and for an operator whose
 * daemon is down. */
export type ApiRequest =
  | {
      readonly api: "containerd.snapshots.remove";
      readonly namespace: string;
      readonly snapshotter: string;
      readonly key: string;
    }
  | { readonly api: "containerd.content.delete"; readonly namespace: string; readonly digest: string }
  | { readonly api: "containerd.content.abort"; readonly namespace: string; readonly ref: string }
  | { readonly api: "containerd.leases.delete"; readonly namespace: string; readonly id: string }
  | { readonly api: "docker.image.remove"; readonly id: string }
  | { readonly api: "podman.command"; readonly argv: readonly string[] };

/** One journaled change. Paths are absolute (under the store's root, or the host's log dirs). */
export type Step =
  /** Rename `path` into the run's quarantine on the same filesystem (atomic, no copy). Undo: rename back. */
  | { readonly op: "quarantine"; readonly path: string }
  /** Create the symlink `path` -> `target` (e.g. an overlay driver's `l/<short>` from the layer's `link`
   * file). Undo: move the created link into the quarantine. */
  | { readonly op: "symlink"; readonly path: string; readonly target: string }
  /** A call to the runtime's API. Not undoable: the plan says so, and undo reports it. */
  | { readonly op: "api"; readonly call: string; readonly request: ApiRequest };

/** What must still hold just before an action's steps run; the applier re-reads the store, mountinfo and
 * (daemon up) the runtime's API once before the run and again per action where cheap, and skips the action,
 * with the reason, when a guard no longer holds. */
export type Guard =
  /** The finding is still found: its check, re-run on freshly read metadata, still yields `path`. */
  | { readonly guard: "still-found"; readonly check: string; readonly path: string }
  /** Nothing is mounted at or under `path`, and no mount's lower/upper/work dir is in it. */
  | { readonly guard: "not-mounted"; readonly path: string }
  /** `path` is the same inode as at plan time (dev, ino) and unchanged since (ctime). */
  | {
      readonly guard: "unchanged";
      readonly path: string;
      readonly dev: number;
      readonly ino: number;
      readonly ctimeMs: number;
    }
  /** No running task, lease, image or container names the record or dir (re-read through the API when the
   * daemon is up, else from the metadata files). */
  | { readonly guard: "unreferenced"; readonly path: string };

export interface PlannedAction {
  /** Position in the plan, from 1: children before parents, file steps before the API calls they need. */
  readonly seq: number;
  /** The action kind's id (its file name under src/repair/actions/). */
  readonly kind: string;
  /** The finding it mends. */
  readonly check: string;
  readonly subject: string;
  readonly path: string;
  /** Why it is safe, one line in the runtime's words. */
  readonly why: string;
  /** Bytes freed (allocated, du-style), null when not measured. */
  readonly bytes: number | null;
  readonly daemon: DaemonNeed;
  readonly steps: readonly Step[];
  readonly guards: readonly Guard[];
  /** How deep the record lies in its parent chain (a child is deeper than its parent); the planner orders
   * deeper actions first. Default: the depth of `path` (its number of path segments). */
  readonly depth?: number;
}

/** A finding no action mends, and why (the remedy the operator can take by hand). */
export interface Unmended {
  readonly check: string;
  readonly subject: string;
  readonly path: string;
  readonly reason: string;
  /** What the operator can do by hand (the finding's own remedy when nothing better is known). */
  readonly remedy?: string;
}

export interface Plan {
  readonly runtime: RuntimeId;
  readonly root: string;
  readonly createdAt: string;
  /** Whether the runtime's daemon answered on its socket when the plan was made. */
  readonly daemonUp: boolean;
  readonly actions: readonly PlannedAction[];
  readonly unmended: readonly Unmended[];
  /** Sum of the actions' bytes (those measured). */
  readonly bytes: number;
}

/** What `unchanged` compares: the inode of a path as lstat saw it when the plan was made. */
export interface PathIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly ctimeMs: number;
}

/** What an action kind sees while planning: nothing it may change. */
export interface PlanContext {
  readonly store: Store;
  readonly daemonUp: boolean;
  readonly now: number;
  readonly graceMs: number;
  /** lstat of each finding's path, taken when the findings were read (absent: gone since); a kind puts it
   * in its `unchanged` guard. Absent map: nothing was looked at (a kind that needs it says so). */
  readonly identities?: ReadonlyMap<string, PathIdentity>;
}

/** An action kind: which checks' findings it mends, and how, as data. `plan` is pure: it returns the action
 * without seq (the planner orders), or the reason it will not act. */
export interface ActionKind {
  readonly id: string;
  readonly checks: readonly string[];
  plan(finding: Finding, ctx: PlanContext): Omit<PlannedAction, "seq"> | { readonly unmended: string };
}
