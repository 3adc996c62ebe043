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
for c in /proc/[0-9]*/cmdline; do
  if tr '\0' ' ' 2>/dev/null < "$c" | grep -q "^/usr/bin/containerd-shim-runc-v2 .*-address $DKEXEC/containerd/containerd.sock\( \|$\)"; then
    p=${c#/proc/}
    kill -9 "${p%/cmdline}" 2>/dev/null
  fi
done

for _ in 1 2 3; do
  mapfile -t mnts < <(awk -v w="$CRIFS_DBED" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  [ ${#mnts[@]} -eq 0 ] && break
  for m in "${mnts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
done
if awk -v w="$CRIFS_DBED" '$5 == w || index($5, w "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
  echo "docker bed: mounts left below $CRIFS_DBED:" >&2
  grep -F " $CRIFS_DBED" /proc/self/mountinfo >&2
  exit 1
fi
rm -rf "$CRIFS_DBED"
