// relocate/probe.ts — what the target filesystem of `crifs relocate` can hold, asked of the kernel: free
// bytes and inodes (statfs), a trusted.* xattr set and read back (setfattr/getfattr: Node's fs has no xattr
// calls), and a tiny overlay mount whose upper and work dirs lie on the target. The xattr and overlay probes
// run in a temp dir `.crifs-probe-*` made in the target and removed after (it is crifs's own, made a moment
// before): the plan writes nothing else.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readMountinfo } from "../fs/mountinfo.js";
import type { TargetProbe } from "./plan.js";

/** The mount point `path` lies on: the longest mount point that is it or holds it. */
export function mountPointOf(path: string, points: ReadonlySet<string>): string {
  for (let at = path; at.length > 0; at = at.slice(0, Math.max(at.lastIndexOf("/"), 0)))
    if (points.has(at)) return at;
  return "/";
}

/** The nearest dir that exists at or above `path`. */
export function existingDirOf(path: string): string {
  let at = path;
  while (!existsSync(at) && at !== "/") at = dirname(at);
  return at;
}

function run(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function firstLine(err: unknown): string {
  const stderr = (err as { stderr?: unknown }).stderr;
  const text = typeof stderr === "string" && stderr.trim() !== "" ? stderr : String(err);
  return text.trim().split("\n")[0] ?? "";
}

/** Probes the filesystem NEWDIR is (or will be) on; `root` for whether a rename suffices. Cost: a statfs,
 * two small execs and one overlay mount and unmount. */
export function probeTarget(newDir: string, root: string): TargetProbe {
  const dir = existingDirOf(newDir);
  const mounts = readMountinfo();
  const points = new Set(mounts.map((m) => m.mountPoint));
  const at = mountPointOf(dir, points);
  const fsType = mounts.findLast((m) => m.mountPoint === at)?.fsType ?? "unknown";
  const sameFilesystem = mountPointOf(dirname(root), points) === at;
  const st = statfsSync(dir);
  const notes: string[] = [];
  let trustedXattrs: boolean | null = null;
  let overlayUpper: boolean | null = null;
  let tmp: string | null = null;
  try {
    tmp = mkdtempSync(join(dir, ".crifs-probe-"));
    const f = join(tmp, "x");
    writeFileSync(f, "");
    try {
      run("setfattr", ["-n", "trusted.crifs-probe", "-v", "y", f]);
      trustedXattrs = run("getfattr", ["--only-values", "-n", "trusted.crifs-probe", f]).trim() === "y";
    } catch (err) {
      const line = firstLine(err);
      if (/ENOENT|not found/.test(line) && !/Operation not supported/.test(line))
        notes.push(`xattr probe not run: ${line}`);
      else {
        trustedXattrs = false;
        notes.push(`xattr probe: ${line}`);
      }
    }
    for (const d of ["lower", "upper", "work", "merged"]) mkdirSync(join(tmp, d));
    writeFileSync(join(tmp, "lower", "f"), "");
    const merged = join(tmp, "merged");
    try {
      run("mount", [
        "-t",
        "overlay",
        "overlay",
        "-o",
        `lowerdir=${join(tmp, "lower")},upperdir=${join(tmp, "upper")},workdir=${join(tmp, "work")}`,
        merged,
      ]);
      try {
        // a copy-up and a whiteout: what a container's first write and delete do
        writeFileSync(join(merged, "f"), "up");
        rmSync(join(merged, "f"));
        overlayUpper = true;
      } finally {
        run("umount", [merged]);
      }
    } catch (err) {
      overlayUpper = false;
      notes.push(`overlay probe: ${firstLine(err)}`);
    }
  } catch (err) {
    notes.push(`probes not run in ${dir}: ${firstLine(err)}`);
  } finally {
    if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
  }
  return {
    dir,
    fsType,
    freeBytes: Number(st.bavail) * Number(st.bsize),
    freeInodes: Number(st.ffree),
    trustedXattrs,
    overlayUpper,
    notes,
    sameFilesystem,
  };
}
