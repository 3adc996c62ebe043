#!/bin/bash
# test/bed/80-containerd-stop.sh: stop the bed's containerd by its recorded pid (SIGTERM, then SIGKILL
# after 15 s) and wait until it is gone. Shims and their tasks keep running. Idempotent.
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_bed

ctd_is_running || exit 0
p=$(cat "$CTD_PIDFILE")
kill "$p" 2>/dev/null || true
for _ in $(seq 1 150); do
  pid_alive "$p" || exit 0
  sleep 0.1
done
echo "bed: containerd $p ignored SIGTERM for 15 s; sending SIGKILL" >&2
kill -9 "$p" 2>/dev/null || true
for _ in $(seq 1 50); do pid_alive "$p" || exit 0; sleep 0.1; done
echo "bed: containerd $p survived SIGKILL" >&2
exit 1
