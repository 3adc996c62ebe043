// relocate/busy.ts — why a store's root cannot be moved now. A root moves only while nothing uses it: its
// daemon does not answer (containerd's socket, Docker's API naming this data-root), its systemd unit is not
// active, no process holds a file, its cwd or its root in it (/proc/<pid>/{fd,cwd,root}: a daemon started
// without a socket crifs knows, a shim, an editor), nothing is mounted at or under it and no overlay mount
// takes a layer from it (mountinfo), and no task the store records runs. Each reason says how to stop it in
// the runtime's own words.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { overlayOptions, readMountinfo } from "../fs/mountinfo.js";
import { isProcAlive } from "../fs/proc-stat.js";
import type { Store } from "../model/store.js";
import type { Adapter } from "../runtimes/index.js";

/** The systemd units that run each runtime (stopped and started in this order by --systemd). */
export function unitsOf(runtime: string): string[] {
  switch (runtime) {
    case "containerd":
      return ["containerd.service"];
    case "docker":
      return ["docker.socket", "docker.service"];
    case "crio":
      return ["crio.service"];
    default:
      return []; // podman has no daemon (podman.socket only serves the API, and is stopped by `podman stop -a` users)
  }
}

/** How to stop the runtime, in its own words. */
export function stopHint(runtime: string): string {
  switch (runtime) {
    case "containerd":
      return "stop its tasks and then containerd: systemctl stop containerd (kubelet first on a node: systemctl stop kubelet)";
    case "docker":
      return "systemctl stop docker docker.socket";
    case "crio":
      return "systemctl stop kubelet crio";
    default:
      return "podman has no daemon: podman stop -a, until podman ps lists nothing";
  }
}

/** Whether systemd runs this host (its runtime dir exists). */
export function hasSystemd(): boolean {
  return existsSync("/run/systemd/system");
}

/** The units of `runtime` that systemd has loaded from a unit file (none without systemd). A unit systemd
 * does not know (LoadState not-found, or masked) cannot be stopped or started: `systemctl stop` of one fails
 * with "Unit … not loaded", so --systemd must not plan to. Cost: one `systemctl show` per unit. */
export function knownUnits(runtime: string): string[] {
  if (!hasSystemd()) return [];
  return unitsOf(runtime).filter((u) => {
    try {
      const state = execFileSync("systemctl", ["show", "-p", "LoadState", "--value", u], {
        encoding: "utf8",
        stdio: "pipe",
      });
      return state.trim() === "loaded";
    } catch {
      return false; // systemctl cannot reach systemd
    }
  });
}

/** The units of `runtime` that systemd reports active (none without systemd). */
export function activeUnits(runtime: string): string[] {
  if (!hasSystemd()) return [];
  return unitsOf(runtime).filter((u) => {
    try {
      return (
        execFileSync("systemctl", ["is-active", u], { encoding: "utf8", stdio: "pipe" }).trim() === "active"
      );
    } catch {
      return false; // is-active exits 3 when the unit is inactive
    }
  });
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** The processes that hold a file, their cwd or their root under `root`: [pid, comm, path]. Cost: one
 * readlink per open fd of every process. */
export function processesUsing(root: string): { pid: number; comm: string; path: string }[] {
  const out: { pid: number; comm: string; path: string }[] = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    const links: string[] = [];
    for (const l of ["cwd", "root"]) {
      try {
        links.push(readlinkSync(`/proc/${p}/${l}`));
      } catch {
        // gone, or a kernel thread
      }
    }
    try {
      for (const fd of readdirSync(`/proc/${p}/fd`)) {
        try {
          links.push(readlinkSync(`/proc/${p}/fd/${fd}`));
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // gone, or not ours to read
    }
    const hit = links.find((l) => isInside(l.replace(/ \(deleted\)$/, ""), root));
    if (hit === undefined) continue;
    let comm = "?";
    try {
      comm = readFileSync(`/proc/${p}/comm`, "utf8").trim();
    } catch {
      // gone
    }
    out.push({ pid, comm, path: hit });
  }
  return out;
}

/** Mounts at or under `root`, and overlay mounts that take a dir from it. */
export function mountsUsing(root: string): string[] {
  const out: string[] = [];
  for (const m of readMountinfo()) {
    if (isInside(m.mountPoint, root)) {
      out.push(m.mountPoint);
      continue;
    }
    if (m.fsType !== "overlay") continue;
    const o = overlayOptions(m.superOptions);
    const dirs = [
      ...o.lowerdir,
      ...(o.upperdir === null ? [] : [o.upperdir]),
      ...(o.workdir === null ? [] : [o.workdir]),
    ];
    if (dirs.some((d) => isInside(d, root))) out.push(m.mountPoint);
  }
  return out;
}

export interface BusyOptions {
  /** Deadline of a call to the daemon, ms. */
  readonly timeoutMs: number;
  /** The runtime's socket, when crifs knows one (containerd's grpc.address, Docker's host). */
  readonly socket: string | null;
  readonly dockerHost?: string;
}

/** Every reason `store`'s root cannot be moved now, each naming how to stop it; empty when idle. Cost:
 * mountinfo, a /proc walk and one call to the daemon's socket (when it is there). */
export async function busyReasons(adapter: Adapter, store: Store, options: BusyOptions): Promise<string[]> {
  const root = store.location.root;
  const rt = store.location.runtime;
  const hint = stopHint(rt);
  const out: string[] = [];
  if (adapter.readVersion !== undefined && options.socket !== null && existsSync(options.socket)) {
    try {
      await adapter.readVersion(options.socket, options.timeoutMs);
      out.push(`${options.socket}: ${rt} answers on its socket: ${hint}`);
    } catch {
      // a socket file that does not answer: a daemon that is gone
    }
  }
  if (adapter.readDaemonView !== undefined && rt === "docker") {
    try {
      const view = await adapter.readDaemonView(store, {
        timeoutMs: options.timeoutMs,
        ...(options.dockerHost === undefined ? {} : { dockerHost: options.dockerHost }),
      });
      if (view !== undefined) out.push(`${root}: dockerd answers and keeps this data-root: ${hint}`);
    } catch {
      // no daemon there
    }
  }
  for (const u of activeUnits(rt)) out.push(`${u} is active: ${hint}`);
  for (const p of processesUsing(root))
    out.push(`${p.path}: process ${p.pid} (${p.comm}) holds it open: ${hint}`);
  for (const m of mountsUsing(root))
    out.push(
      m === root
        ? `${m}: the root is a mount point (dockerd and c/storage bind it on itself while they run: ${hint}; a filesystem of its own cannot be renamed: move that mount instead)`
        : `${m}: mounted from the root: ${rt === "podman" ? "podman stop -a; podman unmount -a" : hint}`,
    );
  for (const c of store.containers) {
    const t = c.task;
    if (t === null || t.status !== "running") continue;
    if (t.pid > 0 && !isProcAlive(t.pid)) continue; // recorded running, but its process is gone
    out.push(`${root}: container ${c.id} runs (pid ${t.pid}): ${hint}`);
  }
  return out;
}
