// relocate/plan.ts — what `crifs relocate NEWDIR` will do, as data (pure: facts in, plan out). The plan is
// exactly what the command prints without --apply and what the journal's header holds (docs/json.md#relocate).
//
// The steps, in order (each journaled intent/done by relocate/apply.ts):
//   another filesystem:  copy → verify → promote → rename-old → switch → persist → remove (unless --keep-old)
//   same filesystem:     rename → switch → persist (a rename keeps every inode: nothing to copy or verify)
// With --systemd, `stop` comes first and `start` last.
//   copy        the root is copied by the one tree copier (src/copy) into NEWDIR/.crifs-relocate-partial
//   verify      manifest of the root == manifest of the partial copy
//   promote     the partial copy's entries are renamed into NEWDIR (NEWDIR takes the root's owner and mode)
//   rename-old  the root is renamed to <root>.crifs-old-<run>: the old tree stays whole until the end
//   switch      bind: an empty <root> with a bind mount of NEWDIR on it; symlink: <root> -> NEWDIR
//   persist     bind only: the /etc/fstab line (or, with --systemd, the .mount unit) that remakes the mount at boot
//   remove      <root>.crifs-old-<run> moves into the quarantine beside it; `crifs repair --purge` deletes it

import { basename, dirname, join } from "node:path";
import { unitsOf } from "./busy.js";

export type RelocateMethod = "bind" | "symlink";

export type RelocateStepName =
  | "stop"
  | "copy"
  | "verify"
  | "promote"
  | "rename"
  | "rename-old"
  | "switch"
  | "persist"
  | "remove"
  | "start";

/** The name the copy is made under inside NEWDIR until it is verified. */
export const PARTIAL_DIR = ".crifs-relocate-partial";

/** What the target filesystem was found to support (relocate/probe.ts). null: not known (see `why`). */
export interface TargetProbe {
  /** The dir the probes ran in (NEWDIR, or the nearest dir above it that exists). */
  readonly dir: string;
  readonly fsType: string;
  readonly freeBytes: number;
  readonly freeInodes: number;
  /** A trusted.* xattr set and read back (overlay keeps its opaque and redirect markers there). */
  readonly trustedXattrs: boolean | null;
  /** A tiny overlay mount with its upper dir on the target worked. */
  readonly overlayUpper: boolean | null;
  /** What a failed or skipped probe said. */
  readonly notes: readonly string[];
  /** NEWDIR would be on the same mount as the root: a rename moves it. */
  readonly sameFilesystem: boolean;
}

/** What the plan is made from: the store's root, what it holds, the target's probes, the flags. */
export interface RelocateFacts {
  readonly runtime: string;
  readonly root: string;
  /** The root's own mode (permission bits), uid and gid: NEWDIR takes them. */
  readonly rootMode: number;
  readonly rootUid: number;
  readonly rootGid: number;
  readonly newDir: string;
  readonly method: RelocateMethod;
  readonly keepOld: boolean;
  readonly systemd: boolean;
  /** The file the bind line goes into (default /etc/fstab). */
  readonly fstab: string;
  readonly bytes: number;
  readonly inodes: number;
  readonly target: TargetProbe;
  /** What stays where it is (state dirs under /run, the config file), each with why. */
  readonly leftAlone: readonly string[];
  /** Why the runtime cannot be moved now (relocate/busy.ts), each with how to stop it; empty: idle. */
  readonly busy: readonly string[];
  /** The runtime's systemd unit(s), for --systemd and the remedies. */
  readonly units: readonly string[];
}

export interface RelocatePlan extends RelocateFacts {
  readonly steps: readonly RelocateStepName[];
  /** Where the copy is made (another filesystem) or null (same filesystem: a rename). */
  readonly partial: string | null;
  /** The name the old root takes until it is quarantined. */
  readonly oldName: string;
  /** The quarantine's items dir the old root moves into at the end. */
  readonly quarantineItem: string;
  /** bind: the fstab line or unit text that makes the mount at boot; symlink: the `ln -s` it makes. */
  readonly switchText: string;
  /** The unit file written with --systemd and bind (null otherwise). */
  readonly unitPath: string | null;
  /** Why the plan cannot be applied as it is (not enough space, a probe failed, the runtime is busy). */
  readonly problems: readonly string[];
  /** Things the operator should know (the maintainers' warning about a symlinked root). */
  readonly warnings: readonly string[];
}

/** The run dir of relocate's journal: a quarantine beside the root, on the root's own filesystem. */
export function relocateQuarantine(root: string): string {
  return join(dirname(root), ".crifs-quarantine");
}

/** Escapes a path for an fstab field (space, tab, newline and backslash as octal, as fstab(5) says). */
export function fstabPath(p: string): string {
  return p.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/** The fstab line a bind relocation adds; its comment names the run so rollback finds it again. */
export function fstabLine(newDir: string, root: string, runId: string): string {
  return `${fstabPath(newDir)} ${fstabPath(root)} none bind 0 0 # crifs relocate ${runId}`;
}

/** systemd's path escaping (systemd-escape --path): / → -, other bytes outside [A-Za-z0-9:_.] as \xNN. */
export function systemdEscapePath(p: string): string {
  const trimmed = p.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "-";
  let out = "";
  for (const [i, b] of Buffer.from(trimmed).entries()) {
    const c = String.fromCharCode(b);
    if (c === "/") out += "-";
    else if (/[A-Za-z0-9:_]/.test(c) || (c === "." && i > 0)) out += c;
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** The .mount unit that binds NEWDIR on the root at boot, before the runtime's units. */
export function mountUnitText(newDir: string, root: string, units: readonly string[], runId: string): string {
  const before = units.length === 0 ? "" : `Before=${units.join(" ")}\n`;
  return (
    `# written by crifs relocate ${runId}\n[Unit]\nDescription=crifs relocate: ${root} on ${newDir}\n${before}` +
    `\n[Mount]\nWhat=${newDir}\nWhere=${root}\nType=none\nOptions=bind\n\n[Install]\nWantedBy=local-fs.target\n`
  );
}

/** The maintainers' words on a symlinked root (docs/relocate.md cites them). */
export const SYMLINK_WARNING =
  'containerd\'s maintainers do not support a symlinked root (containerd#5249: "if you use bind-mounts instead of symlinks, it may work"), and runc refuses a container rootfs whose path holds a symlink (containers/storage#165: "is not an absolute path or is a symlink"; a bind mount works): prefer --method bind';

/** What systemd would have to know for --systemd to stop `runtime`, for the plan's problem. */
function unitsWanted(runtime: string): string {
  const units = unitsOf(runtime);
  return units.length === 0
    ? `${runtime} has no unit: podman has no daemon`
    : `systemd knows no ${units.join(" or ")}: systemctl show -p LoadState says not-found or masked`;
}

/** The plan for `facts` under run id `runId` (pure). */
export function planRelocate(facts: RelocateFacts, runId: string): RelocatePlan {
  const same = facts.target.sameFilesystem;
  const steps: RelocateStepName[] = [];
  if (facts.systemd) steps.push("stop");
  if (same) steps.push("rename");
  else steps.push("copy", "verify", "promote", "rename-old");
  steps.push("switch");
  if (facts.method === "bind") steps.push("persist");
  if (!same && !facts.keepOld) steps.push("remove");
  if (facts.systemd) steps.push("start");

  const unitPath =
    facts.method === "bind" && facts.systemd
      ? `/etc/systemd/system/${systemdEscapePath(facts.root)}.mount`
      : null;
  const switchText =
    facts.method === "symlink"
      ? `ln -s ${facts.newDir} ${facts.root}   (root:root; ${facts.newDir} takes mode ${facts.rootMode.toString(8).padStart(4, "0")})`
      : unitPath !== null
        ? mountUnitText(facts.newDir, facts.root, facts.units, runId)
        : fstabLine(facts.newDir, facts.root, runId);

  const problems: string[] = [...facts.busy];
  if (!same) {
    // the copy needs the root's allocated bytes (a sparse file stays sparse) and one inode per inode
    if (facts.target.freeBytes < facts.bytes)
      problems.push(
        `${facts.target.dir}: ${facts.target.freeBytes} bytes free, the root takes ${facts.bytes}: free space or pick a bigger filesystem`,
      );
    if (facts.target.freeInodes < facts.inodes)
      problems.push(
        `${facts.target.dir}: ${facts.target.freeInodes} inodes free, the root takes ${facts.inodes}: pick a filesystem with more inodes`,
      );
    if (facts.target.trustedXattrs === false)
      problems.push(
        `${facts.target.dir}: the filesystem does not keep trusted.* xattrs (${facts.target.fsType}): overlay's markers would be lost; pick ext4, xfs or btrfs`,
      );
  }
  if (facts.target.overlayUpper === false)
    problems.push(
      `${facts.target.dir}: an overlay mount with its upper dir on this filesystem (${facts.target.fsType}) failed: containers could not run from it; pick ext4, xfs or btrfs`,
    );
  if (facts.systemd && facts.units.length === 0)
    problems.push(
      `--systemd: no systemd unit runs ${facts.runtime} here (${unitsWanted(facts.runtime)}, or systemd is not running): stop it yourself and leave --systemd out`,
    );

  const run = runId;
  return {
    ...facts,
    steps,
    partial: same ? null : join(facts.newDir, PARTIAL_DIR),
    oldName: `${facts.root}.crifs-old-${run}`,
    quarantineItem: join(relocateQuarantine(facts.root), run, "items", basename(facts.root)),
    switchText,
    unitPath,
    problems,
    warnings: facts.method === "symlink" ? [SYMLINK_WARNING] : [],
  };
}
