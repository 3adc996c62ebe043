// relocate/switch.ts — the switch from the old root to NEWDIR, and its undo. Each function looks at the disk
// first and does only what is missing, so a step killed halfway is finished (or undone) by running it again.
//   bind     an empty <root> (the old root's owner and mode) with NEWDIR bind-mounted on it (mount --bind), made
//            again at boot by a line in /etc/fstab (or, with --systemd, a .mount unit)
//   symlink  <root> -> NEWDIR, owned root:root (a symlink's own mode is always 0777 on Linux: NEWDIR has the
//            old root's mode)

import { execFileSync } from "node:child_process";
import {
  chownSync,
  closeSync,
  existsSync,
  fsyncSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { CrifsError } from "../errors.js";
import { readMountinfo } from "../fs/mountinfo.js";
import { fsyncDir, writeError } from "../repair/journal.js";
import { fstabLine, mountUnitText, type RelocatePlan } from "./plan.js";

function lstatOrNull(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/** Whether `path` is a mount point now (mountinfo). */
export function isMountPoint(path: string): boolean {
  return readMountinfo().some((m) => m.mountPoint === path);
}

function exec(cmd: string, args: readonly string[], path: string): void {
  try {
    execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? err)
      .trim()
      .split("\n")[0];
    throw new CrifsError("permission", `cannot ${cmd} ${args.join(" ")}: ${stderr}`, {
      path,
      remedy: "run crifs relocate as root, then --resume finishes the run (or --rollback undoes it)",
      cause: err,
    });
  }
}

/** Makes the switch of `plan` (bind mount or symlink at the root). */
export function applySwitch(plan: RelocatePlan): void {
  const st = lstatOrNull(plan.root);
  if (plan.method === "symlink") {
    if (st === null) {
      try {
        symlinkSync(plan.newDir, plan.root);
        lchownSync(plan.root, 0, 0);
      } catch (err) {
        throw writeError(err, plan.root, "make the symlink");
      }
      fsyncDir(dirname(plan.root));
      return;
    }
    if (st.isSymbolicLink() && readlinkSync(plan.root) === plan.newDir) return;
    throw new CrifsError("unsafe", "cannot make the symlink: something else is at the root's path", {
      path: plan.root,
      remedy: "move it away, then crifs relocate --resume",
    });
  }
  if (st === null) {
    try {
      mkdirSync(plan.root, { mode: plan.rootMode });
      chownSync(plan.root, plan.rootUid, plan.rootGid);
    } catch (err) {
      throw writeError(err, plan.root, "make the mount point");
    }
    fsyncDir(dirname(plan.root));
  } else if (!st.isDirectory()) {
    throw new CrifsError("unsafe", "cannot bind-mount on it: it is not a directory", {
      path: plan.root,
      remedy: "move it away, then crifs relocate --resume",
    });
  }
  if (!isMountPoint(plan.root)) exec("mount", ["--bind", plan.newDir, plan.root], plan.root);
}

/** Undoes the switch: unmounts the bind and removes the empty mount point dir, or removes the symlink (only
 * when it points at NEWDIR). */
export function undoSwitch(plan: RelocatePlan): void {
  const st = lstatOrNull(plan.root);
  if (st === null) return;
  if (st.isSymbolicLink()) {
    if (readlinkSync(plan.root) === plan.newDir) unlinkSync(plan.root);
    fsyncDir(dirname(plan.root));
    return;
  }
  if (plan.method === "bind" && isMountPoint(plan.root)) exec("umount", [plan.root], plan.root);
  // the mount point crifs made is empty (the switch runs only once the root is renamed away, so an empty dir
  // here is crifs's own); rmdir fails on anything else
  if (st.isDirectory() && readdirSync(plan.root).length === 0) {
    try {
      rmdirSync(plan.root);
    } catch (err) {
      throw writeError(err, plan.root, "remove the empty mount point");
    }
    fsyncDir(dirname(plan.root));
  }
}

/** The marker of the run's fstab line (its comment). */
function marker(runId: string): string {
  return `# crifs relocate ${runId}`;
}

/** Writes `text` to `path` as a temp file renamed into place (fsynced): a crash leaves the old or the new. */
function replaceFile(path: string, text: string, mode: number): void {
  const tmp = `${path}.crifs-tmp`;
  try {
    const fd = openSync(tmp, "w", mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    throw writeError(err, path, "write it");
  }
  fsyncDir(dirname(path));
}

/** Makes the bind mount come back at boot: the fstab line, or with --systemd the .mount unit (enabled). */
export function applyPersist(plan: RelocatePlan, runId: string): void {
  if (plan.unitPath !== null) {
    replaceFile(plan.unitPath, mountUnitText(plan.newDir, plan.root, plan.units, runId), 0o644);
    exec("systemctl", ["daemon-reload"], plan.unitPath);
    exec("systemctl", ["enable", plan.unitPath.split("/").at(-1) ?? ""], plan.unitPath);
    return;
  }
  const old = existsSync(plan.fstab) ? readFileSync(plan.fstab, "utf8") : "";
  if (old.split("\n").some((l) => l.endsWith(marker(runId)))) return;
  const sep = old === "" || old.endsWith("\n") ? "" : "\n";
  replaceFile(plan.fstab, `${old}${sep}${fstabLine(plan.newDir, plan.root, runId)}\n`, 0o644);
}

/** Takes the run's fstab line (or its unit) out again. */
export function undoPersist(plan: RelocatePlan, runId: string): void {
  if (plan.unitPath !== null) {
    if (!existsSync(plan.unitPath)) return;
    exec("systemctl", ["disable", plan.unitPath.split("/").at(-1) ?? ""], plan.unitPath);
    rmSync(plan.unitPath); // crifs's own file, written by this run
    exec("systemctl", ["daemon-reload"], plan.unitPath);
    return;
  }
  if (!existsSync(plan.fstab)) return;
  const old = readFileSync(plan.fstab, "utf8");
  const lines = old.split("\n");
  const kept = lines.filter((l) => !l.endsWith(marker(runId)));
  if (kept.length === lines.length) return;
  replaceFile(plan.fstab, kept.join("\n"), 0o644);
}
