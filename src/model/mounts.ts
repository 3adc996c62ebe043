// model/mounts.ts — the mount a snapshot gets, rebuilt from metadata the way containerd's overlayfs
// snapshotter builds it (snapshots/overlay/overlay.go, mounts()):
//   no parents             bind of its own dir, "rw" (active) or "ro" (view), plus "rbind"
//   view with one parent   bind of the parent's dir, "ro", "rbind"
//   otherwise              overlay: [index=off] [userxattr] [workdir= upperdir= (active only)] lowerdir=
//                          (containerd 2.x appends the snapshotter's own options after lowerdir instead:
//                          [workdir= upperdir=] lowerdir= [index=off] [userxattr])
//                          lowerdir = parents' dirs, nearest parent first (a snapshot's lowerPath when it
//                          has one: containers/storage and docker mount lowers by their l/<short> links)
// containers/storage and docker overlay2 (style "overlay-driver") orders them lowerdir=<l/ links>,upperdir=,workdir= and
// passes neither index=off nor userxattr by itself (overlay.go, get()).
// A committed snapshot is never mounted by containerd; crifs shows the read-only overlay of it and its
// parents (lowerdir = itself, then its parents), which is what a view on top of it would mount.

import { CrifsError } from "../errors.js";
import type { SnapshotIndex } from "./chain.js";
import type { Snapshot } from "./store.js";

export interface MountSpec {
  readonly type: "overlay" | "bind";
  readonly source: string;
  readonly options: readonly string[];
  readonly lowerdir: readonly string[];
  readonly upperdir: string | null;
  readonly workdir: string | null;
}

export interface MountFlags {
  /** containerd passes index=off when the kernel has the overlay index feature. */
  readonly indexOff: boolean;
  /** Rootless setups mount with userxattr. */
  readonly userxattr: boolean;
  /** Whose option order to follow. Default "containerd". */
  readonly style?: "containerd" | "overlay-driver";
  /** containerd 2.x: index=off and userxattr come after lowerdir. Default false (1.x: before workdir). */
  readonly optionsLast?: boolean;
}

function bind(source: string, ro: boolean): MountSpec {
  return {
    type: "bind",
    source,
    options: [ro ? "ro" : "rw", "rbind"],
    lowerdir: [],
    upperdir: null,
    workdir: null,
  };
}

/** Rebuilds the mount of `s` from metadata. Cost: metadata only. Throws when the chain is broken. */
export function planMount(s: Snapshot, index: SnapshotIndex, flags: MountFlags): MountSpec {
  const chain = index.chain(s);
  // the file holding the bad record, when the loader knew it (model/read-errors.ts)
  const where = s.readError === undefined ? {} : { path: s.readError.path };
  if (chain.danglingParent !== null) {
    throw new CrifsError(
      "corrupt",
      `cannot build the mount of snapshot "${s.key}": parent "${chain.danglingParent}" does not exist`,
      { ...where, remedy: "crifs doctor says what to do (dangling-parent)" },
    );
  }
  if (chain.isCycle) {
    throw new CrifsError("corrupt", `cannot build the mount of snapshot "${s.key}": its parent chain loops`, {
      ...where,
      remedy: "crifs doctor says what to do (dangling-parent)",
    });
  }
  const parents = s.kind === "committed" ? [s, ...chain.parents] : chain.parents;
  const kind = s.kind === "committed" ? "view" : s.kind;
  if (parents.length === 0) return bind(s.path, kind === "view");
  if (kind === "view" && parents.length === 1) return bind((parents[0] as Snapshot).path, true);
  const lowerdir = parents.map((p) => p.lowerPath ?? p.path);
  if (flags.style === "overlay-driver") {
    const upper = kind === "active" ? s.path : null;
    const work = kind === "active" ? s.workPath : null;
    const options = [`lowerdir=${lowerdir.join(":")}`];
    if (upper !== null) options.push(`upperdir=${upper}`);
    if (work !== null) options.push(`workdir=${work}`);
    return { type: "overlay", source: "overlay", options, lowerdir, upperdir: upper, workdir: work };
  }
  const own: string[] = [];
  if (flags.indexOff) own.push("index=off");
  if (flags.userxattr) own.push("userxattr");
  const options: string[] = flags.optionsLast === true ? [] : [...own];
  let upperdir: string | null = null;
  let workdir: string | null = null;
  if (kind === "active") {
    workdir = s.workPath;
    upperdir = s.path;
    options.push(`workdir=${workdir}`, `upperdir=${upperdir}`);
  }
  options.push(`lowerdir=${lowerdir.join(":")}`);
  if (flags.optionsLast === true) options.push(...own);
  return { type: "overlay", source: "overlay", options, lowerdir, upperdir, workdir };
}
