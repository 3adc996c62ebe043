# test/bed/podman/common.sh: sourced by the podman bed scripts; defines the layout of one podman bed.
#
# Knobs: PODMAN_BED (the work dir, required) and OCI_ARCHIVE (the containerd bed's bb-oci.tar, for up.sh).
#
#   $PODMAN_BED/
#     root/      --root (graphroot), overlay driver
#     runroot/   --runroot
#     storage.conf  driver, graphroot, runroot (also what crifs --config reads)
#     tmp/       --tmpdir (podman's own state: events file, …)
#     facts      key=value lines the scripts learnt (read by test/bed/podman.ts)
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
pm() {
  CONTAINERS_STORAGE_CONF=$PMCONF podman --root "$PMROOT" --runroot "$PMRUN" --storage-driver overlay \
    --cgroup-manager cgroupfs --events-backend file --tmpdir "$PMTMP" "$@"
}
pmfact() { printf '%s=%s\n' "$1" "$2" >> "$PMFACTS"; }
