// testing.ts — the facts of a containerd root at `root` moving to `<dir>/new` on an ext4 that has room and
// every feature, for the relocate unit tests (no probe of a real target).
import { join } from "node:path";
import type { RelocateFacts } from "./plan.js";

export function ext4Facts(
  dir: string,
  root: string,
  owner: { mode: number; uid: number; gid: number },
): RelocateFacts {
  return {
    runtime: "containerd",
    root,
    rootMode: owner.mode,
    rootUid: owner.uid,
    rootGid: owner.gid,
    newDir: join(dir, "new"),
    method: "bind",
    keepOld: false,
    systemd: false,
    fstab: join(dir, "fstab"),
    bytes: 0,
    inodes: 1,
    target: {
      dir,
      fsType: "ext4",
      freeBytes: 1,
      freeInodes: 1,
      trustedXattrs: true,
      overlayUpper: true,
      notes: [],
      sameFilesystem: false,
    },
    leftAlone: [],
    busy: [],
    units: [],
  };
}
