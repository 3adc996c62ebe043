# test/bed/podman/common.sh: sourced by the podman bed scripts; defines the layout of one podman bed.
#
# Knobs: PODMAN_BED (the work dir, required), OCI_ARCHIVE (the containerd bed's bb-oci.tar, for up.sh) and
# PODMAN_VERSION: 4.3 (default: Debian 12's podman, on the host) or 5 (trixie's podman 5.x, chrooted in the
# bed's view of the cached trixie root, test/bed/trixie/lib.sh; the store dirs are bound in at the same paths).
#
#   $PODMAN_BED/
#     root/      --root (graphroot), overlay driver
#     runroot/   --runroot
#     storage.conf  driver, graphroot, runroot (also what crifs --config reads)
#     tmp/       --tmpdir (podman's own state: events file, …)
#     facts      key=value lines the scripts learnt (read by test/bed/podman.ts)
#     trixie/    podman 5 only: the bed's overlay of the trixie root (root/, upper/, work/)
#
# Outside the work dir podman touches /run/containers/networks and /var/lib/containers/cache (c/image's
# blob-info cache); containers run with --network none.

: "${PODMAN_BED:?set PODMAN_BED to the work dir}"
PODMAN_BED=$(realpath -m "$PODMAN_BED")
export PODMAN_BED
export PMROOT=$PODMAN_BED/root PMRUN=$PODMAN_BED/runroot PMTMP=$PODMAN_BED/tmp
export PMFACTS=$PODMAN_BED/facts
# 8 hex chars derived from the work dir: container names unique per bed
PM_TAG=$(printf '%s' "$PODMAN_BED" | sha256sum | cut -c1-8)
export PM_TAG

# a storage.conf of the bed's own (written by up.sh): nothing comes from the host's config
export PMCONF=$PODMAN_BED/storage.conf
export PODMAN_VERSION=${PODMAN_VERSION:-4.3}
case $PODMAN_VERSION in
  4.3)
    pm() {
      CONTAINERS_STORAGE_CONF=$PMCONF podman --root "$PMROOT" --runroot "$PMRUN" --storage-driver overlay \
        --cgroup-manager cgroupfs --events-backend file --tmpdir "$PMTMP" "$@"
    }
    ;;
  5)
    . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
    . "$(dirname "${BASH_SOURCE[0]}")/../trixie/lib.sh"
    # runc, not crun: crun refuses this host's hybrid cgroup v1/v2 layout. skip_mount_home: c/storage
    # otherwise makes its home a private mount, and the containers' mounts would not show at the host's path
    # (a flag: with --storage-driver podman ignores storage.conf's options)
    pm() {
      CONTAINERS_STORAGE_CONF=$PMCONF in_trixie "$PODMAN_BED" env PODMAN_IGNORE_CGROUPSV1_WARNING=1 \
        podman --root "$PMROOT" --runroot "$PMRUN" --storage-driver overlay \
        --storage-opt overlay.skip_mount_home=true --runtime runc \
        --cgroup-manager cgroupfs --events-backend file --tmpdir "$PMTMP" "$@"
    }
    ;;
  *) echo "podman bed: PODMAN_VERSION is 4.3 or 5, not \"$PODMAN_VERSION\"" >&2; exit 2 ;;
esac
pmfact() { printf '%s=%s\n' "$1" "$2" >> "$PMFACTS"; }
