// fs/proc-stat.ts — the one reader of /proc/<pid>/stat: "pid (comm) state ppid … starttime …". comm may hold
// spaces and ")", so the fields are counted from the last ")". The runtimes ask it whether a recorded pid
// is still a live process (a zombie, Z, or a dead one, X, is not) and when it started (pids are reused).

import { readFileSync } from "node:fs";

export interface ProcStat {
  /** The state letter (R, S, D, Z, X, …), "?" when the line is cut short. */
  readonly state: string;
  /** Field 22, the start time in clock ticks since boot, "" when the line is cut short. */
  readonly start: string;
}

/** /proc/<pid>/stat's state and start time, or null when there is no such process. Cost: one small read. */
export function readProcStat(pid: number): ProcStat | null {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const rest = s.slice(s.lastIndexOf(")") + 2).split(" "); // after "pid (comm) "
  return { state: rest[0] ?? "?", start: rest[19] ?? "" };
}

/** Whether pid is a process that has not exited (not a zombie, Z, nor dead, X). */
export function isProcAlive(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== null && st.state !== "Z" && st.state !== "X";
}
