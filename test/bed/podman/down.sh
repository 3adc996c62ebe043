#!/bin/bash
# test/bed/podman/down.sh: stop and remove the podman bed's containers (conmon exits with them), unmount
# whatever is left below the work dir (deepest first) and remove it. Idempotent.
set -uo pipefail
. "$(dirname "$0")/common.sh"
if [ -d "$PMROOT" ]; then
  pm rm -af -t 0 >/dev/null 2>&1
  pm rmi -af >/dev/null 2>&1
fi
grep -o " $PODMAN_BED[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
rm -rf "$PODMAN_BED"
