// fs/mountinfo.ts — /proc/<pid>/mountinfo, one mount per line:
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   id parent dev root mountpoint mount-options [optional fields…] - fstype source super-options
// Paths escape space, tab, newline and backslash as \040 \011 \012 \134. For overlay the super options hold
// lowerdir=a:b (nearest parent first), upperdir=, workdir=; overlay itself escapes ':' and ',' with '\'.

import { readFileSync } from "node:fs";
import { fromFsError } from "../errors.js";

export interface MountEntry {
  readonly id: number;
  readonly parentId: number;
  readonly device: string;
  readonly root: string;
  readonly mountPoint: string;
  readonly mountOptions: readonly string[];
  readonly fsType: string;
  readonly source: string;
  readonly superOptions: readonly string[];
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** Splits an option list on commas that overlay did not escape. */
function splitOptions(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur !== "") out.push(cur);
  return out;
}

/** Parses mountinfo text (pure). Malformed lines are skipped: the kernel writes this file, not a user. */
export function parseMountinfo(textIn: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of textIn.split("\n")) {
    if (line === "") continue;
    const f = line.split(" ");
    const dash = f.indexOf("-", 6);
    if (f.length < 10 || dash < 0 || dash + 3 > f.length) continue;
    out.push({
      id: Number(f[0]),
      parentId: Number(f[1]),
      device: f[2] ?? "",
      root: unescapeOctal(f[3] ?? ""),
      mountPoint: unescapeOctal(f[4] ?? ""),
      mountOptions: (f[5] ?? "").split(","),
      fsType: f[dash + 1] ?? "",
      source: unescapeOctal(f[dash + 2] ?? ""),
      superOptions: splitOptions(unescapeOctal(f.slice(dash + 3).join(" "))),
    });
  }
  return out;
}

/** Reads the mount table as this process sees it. Cost: one small file. */
export function readMountinfo(path = "/proc/self/mountinfo"): MountEntry[] {
  try {
    return parseMountinfo(readFileSync(path, "utf8"));
  } catch (err) {
    throw fromFsError(err, path);
  }
}

export interface OverlayOptions {
  readonly lowerdir: readonly string[];
  readonly upperdir: string | null;
  readonly workdir: string | null;
  /** Every other option, in the kernel's order. */
  readonly other: readonly string[];
}

/** Splits a colon list as overlay does: "\:" is a literal colon. */
function splitColons(s: string): string[] {
  return s.split(/(?<!\\):/).map((p) => p.replace(/\\([:,\\])/g, "$1"));
}

/** The overlay options of a mount (lowerdir nearest parent first, as mounted). */
export function overlayOptions(options: readonly string[]): OverlayOptions {
  let lowerdir: string[] = [];
  let upperdir: string | null = null;
  let workdir: string | null = null;
  const other: string[] = [];
  for (const o of options) {
    if (o.startsWith("lowerdir=")) lowerdir = splitColons(o.slice(9));
    else if (o.startsWith("upperdir=")) upperdir = o.slice(9).replace(/\\([:,\\])/g, "$1");
    else if (o.startsWith("workdir=")) workdir = o.slice(8).replace(/\\([:,\\])/g, "$1");
    else other.push(o);
  }
  return { lowerdir, upperdir, workdir, other };
}
