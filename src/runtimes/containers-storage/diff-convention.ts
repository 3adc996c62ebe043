// containers-storage/diff-convention.ts — how `podman diff` reports a container's changes (libpod's GetDiff over
// containers/storage's overlay Changes): the upper dir walked (overlay/diff-changes.ts's "upper" rules), minus
// the files podman itself writes into every container's upper dir when it starts it (libpod/diff.go's
// initInodes: mount points and the files it bind-mounts over them). CRI-O keeps the same store and the same
// files; it has no diff of its own, so crifs reports its containers the same way.

import type { DiffConvention } from "../../overlay/diff-changes.js";

export const containersStorageDiff: DiffConvention = {
  rules: "upper",
  hidden: [
    "/dev",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/mtab",
    "/etc/resolv.conf",
    "/proc",
    "/run",
    "/run/.containerenv",
    "/run/notify",
    "/run/podman-init",
    "/run/secrets",
    "/sys",
  ],
};
