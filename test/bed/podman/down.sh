#!/bin/bash
# test/bed/podman/down.sh: stop and remove the podman bed's containers (conmon exits with them), unmount
# whatever is left below the work dir (deepest first) and remove it. Idempotent.
set -uo pipefail
. "$(dirname "$0")/common.sh"
if [ -d "$PMROOT" ]; then
  pm rm -af -t 0 >/dev/null 2>&1
  pm rmi -af >/dev/null 2>&1
fi
for _ in 1 2 3; do
  grep -o " $PODMAN_BED[/ ][^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
done
# never rm below a mount: podman 5's root has the host's /dev and /sys bound in
if grep -q " $PODMAN_BED[/ ]" /proc/self/mountinfo; then
  echo "podman bed: mounts left below $PODMAN_BED:" >&2
  grep " $PODMAN_BED[/ ]" /proc/self/mountinfo >&2
  exit 1
fi
rm -rf --one-file-system "$PODMAN_BED"
