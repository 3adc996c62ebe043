// fs/proc-stat.ts — the one reader of /proc/<pid>/stat: "pid (comm) state ppid … starttime …". comm may hold
// spaces and ")", so the fields are counted from the last ")". The runtimes ask it whether a recorded pid
// is still a live process (a zombie, Z, or a dead one, X, is not) and when it started (pids are reused).
// Also the processes of one name (comm) with their command lines: where a daemon's flags are read.

import { readdirSync, readFileSync, statSync } from "node:fs";

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

/** A running process of a given name: its pid, the user running it, and its command line (argv[0] first). */
export interface NamedProcess {
  readonly pid: number;
  readonly uid: number;
  readonly argv: readonly string[];
}

/**
 * The processes whose comm is `name` (a daemon: containerd, dockerd), each with its argv, in pid order; a
 * process that ends while it is read, or that is not ours to read, is left out. Cost: one /proc listing and one
 * small read per process; the command line and owner only of the ones named so.
 */
export function processesNamed(name: string): NamedProcess[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const out: NamedProcess[] = [];
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== name) continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (argv.at(-1) === "") argv.pop(); // the NUL after the last argument
      out.push({ pid: Number(pid), uid: statSync(`/proc/${pid}`).uid, argv });
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return out;
}
