// explain/patterns.ts — the error messages `crifs explain` knows: one entry per message that the runtimes,
// kubelet or the CRI print, with where upstream prints it (repo and file, function), what it means, the doctor
// checks that find its cause on disk, and the next step. A plain array: adding a message is one entry here
// and its samples in patterns.test.ts (each sample is the upstream wording, as Go formats it).
//
// Regexes run on one line at a time (ANSI escapes removed, at most MAX_LINE characters): no nested
// quantifiers, so no line can make one backtrack for long. Matching is case-insensitive: journald, kubelet's
// events and `kubectl describe` capitalise some of these.

import type { RuntimeId } from "../model/store.js";

/** Who prints a message: a runtime, or kubelet (its events and logs). */
export type Speaker = RuntimeId | "kubelet";

/** Where upstream prints (or builds) a message. */
export interface MessageSource {
  /** owner/name on GitHub. */
  readonly repo: string;
  /** File in that repo (its default branch when this table was written). */
  readonly path: string;
  /** The function or value that prints it. */
  readonly where: string;
}

export interface MessagePattern {
  /** Stable kebab-case id (JSON, docs, tests). */
  readonly id: string;
  /** The message as an operator would search for it, with … for the parts that vary. */
  readonly title: string;
  readonly regex: RegExp;
  /** Who prints it. */
  readonly speakers: readonly Speaker[];
  /** The stores whose checks can explain it: the runtimes of `speakers`, every runtime for kubelet's. */
  readonly stores: readonly RuntimeId[];
  readonly sources: readonly MessageSource[];
  readonly meaning: string;
  /** Doctor check ids (src/checks/index.ts) whose findings explain it, most telling first. */
  readonly checks: readonly string[];
  /** What to do: crifs repair where it mends the cause, else the runtime's own commands. */
  readonly next: string;
}

const EVERY: readonly RuntimeId[] = ["containerd", "podman", "crio", "docker"];
const CS: readonly RuntimeId[] = ["podman", "crio"];
const OVERLAY_DRIVERS: readonly RuntimeId[] = ["podman", "crio", "docker"];

/** Checks of leaked space: what can fill a disk that no runtime command frees. */
const SPACE_CHECKS = [
  "orphan-snapshot-dir",
  "unreferenced-snapshot",
  "unreferenced-blob",
  "stale-ingest",
  "tmpmount-leftover",
  "orphan-layer-dir",
  "orphan-log-dir",
] as const;

export const messagePatterns: readonly MessagePattern[] = [
  {
    id: "mount-temp-dir-not-removed",
    title: "failed to remove mount temp dir",
    regex: /failed to remove mount temp dir/i,
    speakers: ["containerd", "docker"],
    stores: ["containerd", "docker"],
    sources: [
      { repo: "containerd/containerd", path: "core/mount/temp.go", where: "WithTempMount" },
      { repo: "moby/moby", path: "daemon/snapshotter/mount.go", where: "Unmount (containerd image store)" },
    ],
    meaning:
      "the runtime mounted an image's layers on a temp dir under <root>/tmpmounts (to read or unpack them) and could not remove the dir afterwards, usually because it was still mounted or busy: the dir, and maybe its mount, stay behind",
    checks: ["tmpmount-leftover", "stale-mount"],
    next: "an unmounted leftover is moved aside by crifs repair; a still-mounted one (stale-mount) needs `umount <dir>` once nothing uses it",
  },
  {
    id: "parent-snapshot-missing",
    title: "parent snapshot … does not exist",
    regex: /parent snapshot \S+ does not exist/i,
    speakers: ["containerd"],
    stores: ["containerd"],
    sources: [
      {
        repo: "containerd/containerd",
        path: "core/metadata/snapshot.go",
        where: "snapshotter.createSnapshot, Commit, Remove",
      },
    ],
    meaning:
      "a snapshot record names a parent that meta.db no longer holds (removed while a child still pointed to it, or lost with a damaged meta.db): containerd can neither prepare on, commit nor remove the child",
    checks: ["dangling-parent", "missing-snapshot-dir", "metadata-corrupt"],
    next: "crifs repair removes the orphaned child through containerd's API; then pull the image again (crictl pull, ctr images pull)",
  },
  {
    id: "snapshot-parent-dir-missing",
    title: "failed to stat parent: stat …/snapshots/<id>/fs: no such file or directory",
    regex: /failed to stat parent: stat \S+: no such file or directory/i,
    speakers: ["containerd"],
    stores: ["containerd"],
    sources: [
      {
        repo: "containerd/containerd",
        path: "plugins/snapshots/overlay/overlay.go",
        where: "snapshotter.createSnapshot",
      },
    ],
    meaning:
      "the overlayfs snapshotter went to prepare a snapshot (a container's, or the next layer of an unpack) on a parent whose fs/ dir is gone while its record remains: the layer's files were deleted or lost",
    checks: ["missing-snapshot-dir", "dangling-parent"],
    next: "remove the image and pull it again so its layers are unpacked anew (crictl rmi + crictl pull, or ctr images rm + ctr images pull); crifs repair removes the records whose dirs are gone through containerd's API",
  },
  {
    id: "task-rootfs-missing",
    title: "failed to create containerd task: … no such file or directory",
    regex:
      /failed to (?:create containerd task|create shim task|mount rootfs component)\b.*?no such file or directory/i,
    speakers: ["containerd"],
    stores: ["containerd"],
    sources: [
      {
        repo: "containerd/containerd",
        path: "internal/cri/server/container_start.go",
        where: "StartContainer",
      },
      { repo: "containerd/containerd", path: "core/runtime/v2/task_manager.go", where: "TaskManager.Create" },
      {
        repo: "containerd/containerd",
        path: "cmd/containerd-shim-runc-v2/runc/container.go",
        where: "NewContainer",
      },
    ],
    meaning:
      "the container's root could not be mounted: a dir the overlay mount stacks (a snapshot's fs/ dir, or its parent's) is gone while its record remains (a missing volume source gives the same words and is not a store fault)",
    checks: ["missing-snapshot-dir", "dangling-parent", "metadata-mismatch"],
    next: "remove the image and pull it again so its layers are unpacked anew (crictl rmi + crictl pull, or ctr images rm + ctr images pull); crifs repair removes the records whose dirs are gone through containerd's API",
  },
  {
    id: "layer-not-known",
    title: "layer not known",
    regex: /\blayer not known\b/i,
    speakers: ["podman", "crio"],
    stores: CS,
    sources: [
      { repo: "containers/storage", path: "types/errors.go", where: "ErrLayerUnknown" },
      { repo: "containers/storage", path: "layers.go", where: "layerStore.Get, Mount, Diff…" },
    ],
    meaning:
      "containers/storage was asked for a layer that layers.json does not hold: an image or container names a layer whose record is gone, or layers.json could not be parsed (containers/storage then reads it as empty)",
    checks: ["metadata-corrupt", "image-missing-layer", "container-missing-layer", "dangling-parent"],
    next: "a corrupt layers.json: restore it from a backup (crifs names the byte where it breaks); else remove the image (podman rmi -f, crictl rmi) and pull it again, and recreate a container that lost its layer",
  },
  {
    id: "layer-not-found-in-tree",
    title: "layer … not found (in layer tree)",
    regex: /\blayer [0-9a-f]{12,64}\b[^\n]{0,120}?\bnot found\b/i,
    speakers: ["podman", "crio"],
    stores: CS,
    sources: [
      {
        repo: "containers/common",
        path: "libimage/layer_tree.go",
        where: "layerTree (now go.podman.io/common, vendored by podman)",
      },
    ],
    meaning:
      "an image's top layer (or a layer below it) has no record in layers.json: the layer was removed, or layers.json lost it, while images.json still names it",
    checks: ["image-missing-layer", "missing-layer-dir", "metadata-corrupt", "dangling-parent"],
    next: "remove the image (podman rmi -f <image>, crictl rmi) and pull it again; `podman system reset` would wipe the whole store",
  },
  {
    id: "no-space-left",
    title: "no space left on device",
    regex: /no space left on device/i,
    speakers: ["containerd", "podman", "crio", "docker", "kubelet"],
    stores: EVERY,
    sources: [{ repo: "golang/go", path: "src/syscall/zerrors_linux_amd64.go", where: "errors[ENOSPC]" }],
    meaning:
      "the filesystem holding the store is full, of blocks or of inodes (`df -i` tells which): leaked snapshot or layer dirs, stale ingests and unreferenced content take space that no runtime command frees",
    checks: [...SPACE_CHECKS],
    next: "crifs du attributes every byte; crifs repair --apply moves the leaks aside and crifs repair --purge frees them; prune unused images with the runtime (crictl rmi --prune, podman image prune -a, docker image prune -a)",
  },
  {
    id: "overlay-mount-check-failed",
    title: "failed to mount overlay",
    regex: /failed to mount overlay\b/i,
    speakers: ["containerd", "podman", "crio"],
    stores: ["containerd", "podman", "crio"],
    sources: [
      {
        repo: "containerd/containerd",
        path: "plugins/snapshots/overlay/overlayutils/check.go",
        where: "SupportsMultipleLowerDir",
      },
      { repo: "containers/storage", path: "drivers/overlay/check.go", where: "doesSupportNativeDiff" },
    ],
    meaning:
      "the runtime's test mount of overlayfs in its root failed: the root's filesystem cannot hold an overlay upper dir (overlay on overlay, xfs without d_type, some network filesystems), the kernel lacks overlay, or the root is not what it seems (a symlink elsewhere)",
    checks: ["root-link-unsafe", "unreadable-path", "stale-mount"],
    next: "`findmnt -T <root>` shows the filesystem under the root: put the root on ext4 or xfs (ftype=1); `modprobe overlay`",
  },
  {
    id: "snapshot-already-exists",
    title: "snapshot … already exists",
    regex: /snapshot "?[^"\s]+"?: already exists/i,
    speakers: ["containerd"],
    stores: ["containerd"],
    sources: [
      { repo: "containerd/containerd", path: "core/snapshots/storage/bolt.go", where: "CreateSnapshot" },
      {
        repo: "containerd/containerd",
        path: "core/metadata/snapshot.go",
        where: "snapshotter.createSnapshot",
      },
    ],
    meaning:
      "containerd tried to create a snapshot under a key already taken: an unpack interrupted by a crash, OOM kill or reboot left its snapshot behind, and the next pull or unpack trips over it",
    checks: ["unreferenced-snapshot", "orphan-snapshot-dir", "metadata-mismatch", "stale-mount"],
    next: "crifs repair removes unreferenced snapshots through containerd's API and moves orphan dirs aside; then pull again (`ctr -n <ns> snapshots ls` shows the key)",
  },
  {
    id: "content-digest-not-found",
    title: "content digest … not found",
    regex: /content digest \S+: not found/i,
    speakers: ["containerd"],
    stores: ["containerd"],
    sources: [
      {
        repo: "containerd/containerd",
        path: "core/metadata/content.go",
        where: "contentStore.Info, Update, Delete, checkAccess",
      },
    ],
    meaning:
      "meta.db has no record of this blob in the namespace asked: the garbage collector or an interrupted import removed the record (its file may still be on disk, unreferenced, or gone too) while an image or label still names it",
    checks: ["missing-blob", "unreferenced-blob", "stale-ingest"],
    next: "pull or import the image again in that namespace (crictl pull, ctr -n <ns> images pull); crifs repair deletes blob files that no record names",
  },
  {
    id: "blob-file-missing",
    title: "blob … expected at …: not found",
    regex: /blob \S+ expected at \S+/i,
    speakers: ["containerd"],
    stores: ["containerd"],
    sources: [
      { repo: "containerd/containerd", path: "plugins/content/local/store.go", where: "store.ReaderAt" },
    ],
    meaning: "meta.db records this blob, but its file under the content store's blobs/ is gone",
    checks: ["missing-blob"],
    next: "content removed from disk comes back only from a registry or an archive: pull (crictl pull, ctr images pull) or import (ctr images import) the image again",
  },
  {
    id: "overlay-mount-error",
    title: "error creating overlay mount to …",
    regex: /(?:error )?creating overlay mount to \S+/i,
    speakers: ["docker", "podman", "crio"],
    stores: OVERLAY_DRIVERS,
    sources: [
      { repo: "moby/moby", path: "daemon/graphdriver/overlay2/overlay.go", where: "Driver.Get" },
      { repo: "containers/storage", path: "drivers/overlay/overlay.go", where: "Driver.get" },
    ],
    meaning:
      "the overlay mount of a container's layers failed: a lower named in a layer's `lower` file (an l/<short> link) is missing or leads nowhere, or a layer dir is gone",
    checks: [
      "missing-short-link",
      "broken-lower",
      "dangling-short-link",
      "missing-layer-dir",
      "image-missing-layer",
      "container-missing-layer",
    ],
    next: "crifs repair rebuilds l/ links from each layer's link file (podman and CRI-O rebuild them on next use, docker never); a missing layer dir needs the image pulled again",
  },
  {
    id: "short-link-readlink",
    title: "readlink …/l/…: invalid argument",
    regex: /readlink \S*\/l\/[A-Za-z0-9]+: (?:invalid argument|no such file or directory)/i,
    speakers: ["docker"],
    stores: ["docker"],
    sources: [
      { repo: "moby/moby", path: "daemon/graphdriver/overlay2/overlay.go", where: "Driver.getLowerDirs" },
    ],
    meaning:
      "docker read a layer's `lower` file and one of its l/<short> entries is not a symlink (invalid argument) or is gone (no such file or directory): every mount and `docker inspect` of a container on that layer fails",
    checks: ["missing-short-link", "broken-lower", "dangling-short-link"],
    next: "crifs repair puts the link back (ln -sfn ../<layer dir>/diff <home>/l/<short>); docker never repairs it, not even on restart",
  },
  {
    id: "layer-dir-missing",
    title: "stat …/overlay/<layer>: no such file or directory",
    regex: /stat \S*\/overlay2?\/[0-9a-f]{64}(?:-init)?: no such file or directory/i,
    speakers: ["docker", "podman", "crio"],
    stores: OVERLAY_DRIVERS,
    sources: [
      { repo: "moby/moby", path: "daemon/graphdriver/overlay2/overlay.go", where: "Driver.Get" },
      { repo: "containers/storage", path: "drivers/overlay/overlay.go", where: "Driver.get" },
    ],
    meaning: "the layer dir the runtime went to mount is gone while its record still names it",
    checks: ["missing-layer-dir", "container-missing-layer", "image-missing-layer", "dangling-short-link"],
    next: "a container's own layer: remove and recreate the container (docker rm, podman rm); an image layer: remove the image and pull it again",
  },
  {
    id: "parent-layer-dir-missing",
    title: "open …/overlay2/<layer>/committed: no such file or directory",
    regex: /open \S*\/overlay2\/[0-9a-f]{64}\/committed: no such file or directory/i,
    speakers: ["docker"],
    stores: ["docker"],
    sources: [{ repo: "moby/moby", path: "daemon/graphdriver/overlay2/overlay.go", where: "Driver.create" }],
    meaning:
      "docker created a layer on a parent whose dir is gone: an image layer's layerdb entry names a cache-id dir that was deleted",
    checks: ["image-missing-layer", "missing-layer-dir"],
    next: "remove the image (docker image rm -f <image>) and pull or load it again",
  },
  {
    id: "snapshot-has-child",
    title: "cannot remove snapshot with child",
    regex: /cannot remove snapshot with child/i,
    speakers: ["containerd"],
    stores: ["containerd"],
    sources: [
      { repo: "containerd/containerd", path: "core/metadata/snapshot.go", where: "snapshotter.Remove" },
      { repo: "containerd/containerd", path: "core/snapshots/storage/bolt.go", where: "Remove" },
    ],
    meaning:
      "a snapshot still has a child: either in use (then this is right), or its child's own parent record is gone and the GC can remove neither",
    checks: ["dangling-parent", "unreferenced-snapshot"],
    next: "crifs repair removes a child whose parent is gone through containerd's API; the parent then goes with the next GC",
  },
  {
    id: "readdir-io-error",
    title: "readdirent …: input/output error / structure needs cleaning",
    regex: /readdirent \S+: input\/output error|structure needs cleaning/i,
    speakers: ["containerd", "podman", "crio", "docker", "kubelet"],
    stores: EVERY,
    sources: [
      { repo: "golang/go", path: "src/os/dir_unix.go", where: "File.readdir (PathError op readdirent)" },
      {
        repo: "golang/go",
        path: "src/syscall/zerrors_linux_amd64.go",
        where: "errors[EIO], errors[EUCLEAN]",
      },
    ],
    meaning:
      "the filesystem under the store returned an I/O error, or found one of its own structures damaged (EUCLEAN from ext4 or xfs): the disk or the filesystem is damaged, not the runtime's records",
    checks: ["unreadable-path", "metadata-corrupt", "missing-snapshot-dir", "missing-layer-dir"],
    next: "`dmesg` names the device; copy off what matters, stop the runtime, unmount and run fsck (xfs_repair for xfs)",
  },
  {
    id: "database-locked",
    title: "timeout (bolt lock) / database is locked",
    regex:
      /\bdatabase is locked\b|\b(?:bolt|meta\.db|metadata\.db|local-kv\.db|metadata database)\b[^\n]{0,160}?:\s*timeout\b/i,
    speakers: ["containerd", "docker", "podman"],
    stores: ["containerd", "docker", "podman"],
    sources: [
      {
        repo: "etcd-io/bbolt",
        path: "errors/errors.go",
        where: "ErrTimeout (Open: flock not granted in time)",
      },
      {
        repo: "containerd/containerd",
        path: "plugins/metadata/plugin.go",
        where: "io.containerd.timeout.bolt.open",
      },
      { repo: "containers/podman", path: "libpod/sqlite_state.go", where: "SQLite SQLITE_BUSY" },
    ],
    meaning:
      "another process holds the database's lock: a second daemon on the same root, an old instance that did not exit, or a tool that opened the file for writing",
    checks: ["metadata-corrupt", "unreadable-path"],
    next: "`fuser -v <file>` (or lsof) names the holder: stop it; crifs itself reads without taking the lock",
  },
  {
    id: "image-in-use",
    title: "image is being used by running container",
    regex: /image is being used by running container|image is in use by a container/i,
    speakers: ["docker", "podman", "crio"],
    stores: OVERLAY_DRIVERS,
    sources: [
      {
        repo: "moby/moby",
        path: "daemon/images/image_delete.go",
        where: "ImageService.checkImageDeleteConflict",
      },
      { repo: "containers/storage", path: "types/errors.go", where: "ErrImageUsedByContainer" },
    ],
    meaning:
      "not damage: a container uses the image, so it cannot be removed (docker refuses even with -f while the container runs)",
    checks: ["container-missing-layer", "image-missing-layer"],
    next: "`crifs why <image>` shows what holds it; stop and remove the container first (docker rm -f, podman rm -f), then remove the image",
  },
  {
    id: "cri-container-status-failed",
    title: "failed to get container status",
    regex: /failed to get container status/i,
    speakers: ["kubelet"],
    stores: EVERY,
    sources: [
      {
        repo: "kubernetes/kubernetes",
        path: "pkg/kubelet/kuberuntime/kuberuntime_container.go",
        where: "kubeGenericRuntimeManager.removeContainerLog",
      },
      {
        repo: "kubernetes/kubernetes",
        path: "pkg/kubelet/logs/container_log_manager.go",
        where: "rotateLog",
      },
    ],
    meaning:
      "kubelet asked the runtime (CRI ContainerStatus) about a container and got an error: the runtime no longer knows it, or cannot read its record or layer",
    checks: ["container-missing-layer", "metadata-mismatch", "dangling-log-link", "log-link-mismatch"],
    next: "`crictl inspect <id>` shows the runtime's answer and `crifs inspect <id>` the files; a container that lost its layer must be recreated (delete its pod)",
  },
  {
    id: "image-gc-failed",
    title: "failed to garbage collect required amount of images / ImageGCFailed",
    regex: /failed to garbage collect required amount of images|\bImageGCFailed\b|\bFreeDiskSpaceFailed\b/i,
    speakers: ["kubelet"],
    stores: EVERY,
    sources: [
      {
        repo: "kubernetes/kubernetes",
        path: "pkg/kubelet/images/image_gc_manager.go",
        where: "GarbageCollect",
      },
      {
        repo: "kubernetes/kubernetes",
        path: "pkg/kubelet/events/event.go",
        where: "ImageGCFailed, FreeDiskSpaceFailed",
      },
    ],
    meaning:
      "kubelet's image GC removed every unused image it could and the image filesystem is still over its high threshold: the space is held by what image GC cannot free (leaked snapshot or layer dirs, stale ingests, unreferenced content, logs, big writable layers)",
    checks: [...SPACE_CHECKS],
    next: "crifs du attributes every byte; crifs repair --apply moves the leaks aside and crifs repair --purge frees them",
  },
  {
    id: "image-fs-capacity-zero",
    title: "invalid capacity 0 on image filesystem",
    regex: /invalid capacity 0 on (?:image filesystem|device)/i,
    speakers: ["kubelet"],
    stores: EVERY,
    sources: [
      {
        repo: "kubernetes/kubernetes",
        path: "pkg/kubelet/images/image_gc_manager.go",
        where: "GarbageCollect",
      },
    ],
    meaning:
      "the image filesystem's stats came back with capacity 0: kubelet (cadvisor) could not map the runtime's root to a mounted filesystem (a root behind a symlink, a mount cadvisor does not see, an ImageFsInfo naming the wrong mountpoint)",
    checks: ["root-link-unsafe", "unreadable-path"],
    next: "`crifs imagefsinfo` shows what the root is on and `crictl imagefsinfo` what the runtime answers; make the root a real dir on a mounted filesystem, not a symlink",
  },
  {
    id: "log-file-missing",
    title: "failed to try resolving symlinks in path / failed to open log file: no such file or directory",
    regex:
      /failed to (?:try resolving symlinks in path|open log file) [^\n]{0,400}?no such file or directory/i,
    speakers: ["kubelet"],
    stores: EVERY,
    sources: [
      { repo: "kubernetes/kubernetes", path: "pkg/kubelet/kuberuntime/logs/logs.go", where: "ReadLogs" },
    ],
    meaning:
      "the container's log file, or the pod log dir above it, is gone: the pod's log dir was removed under kubelet, or a /var/log/containers link points at a deleted file",
    checks: ["dangling-log-link", "log-link-mismatch", "orphan-log-dir"],
    next: "crifs repair moves dead log links aside; kubelet writes a new log file when the container starts again",
  },
];

export function patternById(id: string): MessagePattern | undefined {
  return messagePatterns.find((p) => p.id === id);
}
