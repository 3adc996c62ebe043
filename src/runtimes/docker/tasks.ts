// runtimes/docker/tasks.ts — a Docker container's task from its recorded State and /proc: dockerd keeps no
// task record of its own on disk; runc's state under <exec-root>/runtime-runc/moby/<id>/ names the pid.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isProcAlive } from "../../fs/proc-stat.js";
import type { Task } from "../../model/store.js";
import type { DockerConfig } from "./config.js";
import { obj, time } from "./layout.js";

/** Whether pid is the container's process now (pids are reused): its cgroup path names the container id,
 * or runc's state for the container records this pid. */
function isContainerProcess(config: DockerConfig, id: string, pid: number): boolean {
  if (!isProcAlive(pid)) return false;
  try {
    if (readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(id)) return true;
  } catch {
    return false;
  }
  try {
    const st = obj(
      JSON.parse(readFileSync(join(config.execRoot, "runtime-runc", "moby", id, "state.json"), "utf8")),
    );
    return st.init_process_pid === pid;
  } catch {
    return false;
  }
}

/**
 * A container's task as `docker ps` would show it: running (State.Running, and the recorded pid is still the
 * container's process), paused, stopped (it ran and exited, or its process is gone while the record still
 * says running), or none (created, never started).
 */
export function taskOf(
  config: DockerConfig,
  id: string,
  state: Record<string, unknown>,
  rootfs: string | null,
  hostRoot: string | undefined,
): Task | null {
  const pid = typeof state.Pid === "number" && Number.isSafeInteger(state.Pid) ? state.Pid : 0;
  const base = {
    bundle: join(config.execRoot, "containerd", id),
    rootfs,
  };
  if (state.Running === true) {
    // a node's disk (--host-root): its processes are not this machine's to look up in /proc
    if (hostRoot !== undefined) return { ...base, status: "unknown", pid };
    const alive = pid > 0 && isContainerProcess(config, id, pid);
    return { ...base, status: !alive ? "stopped" : state.Paused === true ? "paused" : "running", pid };
  }
  if (time(state.StartedAt) === null) return null;
  return { ...base, status: "stopped", pid: 0 };
}
