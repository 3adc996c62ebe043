// runtimes/containerd/state-dir.ts — tasks from containerd's state dir (runtime v2 shims):
//
//   <state>/io.containerd.runtime.v2.task/<ns>/<id>/   the OCI bundle of a task
//     config.json  init.pid  rootfs/ (overlay mount point)  address  log (FIFO: never read)  work -> <root>/…
//   /run/containerd/runc/<ns>/<id>/state.json          runc's state (init_process_pid, init_process_start)
//   /run/containerd/runc/<ns>/<id>/exec.fifo           present while the task is created but not started
//
// A task's status is what `ctr tasks ls` prints: RUNNING while its init process lives, STOPPED once it exited
// (the shim keeps the task until it is deleted), CREATED before start, PAUSED when its cgroup is frozen.
// A pid is trusted only if the process start time matches runc's record (pids are reused).

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fromFsError } from "../../errors.js";
import { readNamesOrEmpty } from "../../fs/fact-reader.js";
import { readProcStat } from "../../fs/proc-stat.js";
import type { Task, TaskStatus } from "../../model/store.js";

export const TASK_DIR = "io.containerd.runtime.v2.task";
export const DEFAULT_RUNC_ROOT = "/run/containerd/runc";

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function isFrozen(spec: unknown): boolean {
  const path = (spec as { linux?: { cgroupsPath?: string } } | null)?.linux?.cgroupsPath;
  if (typeof path !== "string" || path === "" || path.includes(":")) return false; // systemd-style paths: not probed
  const v1 = readText(join("/sys/fs/cgroup/freezer", path, "freezer.state"));
  if (v1 !== null) return v1.trim() === "FROZEN";
  const v2 = readText(join("/sys/fs/cgroup", path, "cgroup.freeze"));
  return v2 !== null && v2.trim() === "1";
}

/** The runc root a shim was told to use (options.json "root"), else runc's default under /run/containerd. */
function runcRoot(bundle: string): string {
  const opts = readText(join(bundle, "options.json"));
  if (opts !== null) {
    try {
      const root = (JSON.parse(opts) as { root?: unknown }).root;
      if (typeof root === "string" && root !== "") return root;
    } catch {
      // an unreadable options.json leaves the default
    }
  }
  return DEFAULT_RUNC_ROOT;
}

export interface TaskOptions {
  /** --host-root: the bundles are a node's, whose processes do not run here; a recorded pid is "unknown". */
  readonly hostRoot?: string | undefined;
}

/** The status of one task bundle. Cost: a few small reads under /proc and /run. */
export function readTask(bundle: string, namespace: string, id: string, options: TaskOptions = {}): Task {
  const pidText = readText(join(bundle, "init.pid"));
  const pid = pidText === null ? 0 : Number.parseInt(pidText.trim(), 10) || 0;
  const rootfs = join(bundle, "rootfs");
  let status: TaskStatus;
  // a node's disk (--host-root): its processes are not this machine's, and /proc, /sys and the runc root
  // here would answer about other ones
  if (pid === 0 || options.hostRoot !== undefined) {
    status = "unknown";
  } else {
    const proc = readProcStat(pid);
    const runcDir = join(runcRoot(bundle), namespace, id);
    let recordedStart: string | null = null;
    const state = readText(join(runcDir, "state.json"));
    if (state !== null) {
      try {
        const v = (JSON.parse(state) as { init_process_start?: unknown }).init_process_start;
        if (typeof v === "number" || typeof v === "string") recordedStart = String(v);
      } catch {
        // a torn state.json: fall back to the pid alone
      }
    }
    const alive =
      proc !== null && proc.state !== "Z" && (recordedStart === null || recordedStart === proc.start);
    if (!alive) status = "stopped";
    else if (existsSync(join(runcDir, "exec.fifo"))) status = "created";
    else {
      let spec: unknown = null;
      const cfg = readText(join(bundle, "config.json"));
      if (cfg !== null) {
        try {
          spec = JSON.parse(cfg);
        } catch {
          spec = null;
        }
      }
      status = isFrozen(spec) ? "paused" : "running";
    }
  }
  return { status, pid, bundle, rootfs };
}

/** Every task bundle under the state dir, by "<ns>/<id>". A missing state dir means no tasks (daemon never
 * ran); one crifs may not list is an error ("permission denied", not "no tasks"). */
export function readTasks(state: string, options: TaskOptions = {}): Map<string, Task> {
  const tasks = new Map<string, Task>();
  const base = join(state, TASK_DIR);
  let namespaces: string[];
  try {
    namespaces = readNamesOrEmpty(base);
  } catch (err) {
    throw fromFsError(err, base, "list tasks");
  }
  for (const ns of namespaces) {
    let ids: string[];
    try {
      ids = readdirSync(join(base, ns));
    } catch {
      continue;
    }
    for (const id of ids) tasks.set(`${ns}/${id}`, readTask(join(base, ns, id), ns, id, options));
  }
  return tasks;
}
