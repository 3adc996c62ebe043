#!/bin/bash
# test/bed/docker/90-teardown.sh: undo a docker bed completely: remove every container through dockerd
# (starting it again if it was left stopped), stop dockerd by its recorded pid, then by hand whatever the API
# could not remove (runc containers under the bed's exec-root, this bed's shims, found by the socket path
# on their command line, never by name), unmount everything below the work dir (deepest first), remove it.
# Idempotent: safe to run twice, on a half-built bed, or on a bed whose dockerd cannot start.
# Outside the work dir dockerd leaves /etc/docker/key.json and /run/docker/plugins/ (shared, left alone).
set -uo pipefail
. "$(dirname "$0")/common.sh"

if [ -d "$DKROOT" ]; then
  dockerd_is_running || "$(dirname "$0")/20-dockerd-start.sh" || echo "docker bed: dockerd did not start; cleaning up by hand" >&2
  if dockerd_is_running; then
    ids=$(dk ps -aq 2>/dev/null)
    [ -n "$ids" ] && dk rm -f $ids >/dev/null 2>&1
  fi
  "$(dirname "$0")/80-dockerd-stop.sh"
fi

RUNC_ROOT=$DKEXEC/runtime-runc/moby
for d in "$RUNC_ROOT"/*; do
  [ -d "$d" ] && runc --root "$RUNC_ROOT" delete -f "$(basename "$d")" >/dev/null 2>&1
done
kill_shims_of "$DKEXEC/containerd/containerd.sock"
unmount_below "$CRIFS_DBED" "docker bed" || exit 1
rm -rf --one-file-system "$CRIFS_DBED"
