#!/bin/bash
# test/bed/podman/pm.sh: run the bed's podman (PODMAN_BED, PODMAN_VERSION) with the bed's flags: what
# test/bed/podman.ts calls, so the flags and the chroot live in common.sh alone.
set -euo pipefail
. "$(dirname "$0")/common.sh"
pm "$@"
