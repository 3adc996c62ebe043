#!/bin/bash
# test/bed/docker/80-dockerd-stop.sh: stop the bed's dockerd by its recorded pid (SIGTERM; SIGKILL after
# 20 s) and wait until it is gone. dockerd stops its containers (10 s grace) and its containerd on the way.
set -euo pipefail
. "$(dirname "$0")/common.sh"

dockerd_is_running || exit 0
p=$(cat "$DK_PIDFILE")
kill "$p" 2>/dev/null || true
for _ in $(seq 1 200); do
  pid_alive "$p" || exit 0
  sleep 0.1
done
echo "docker bed: dockerd $p ignored SIGTERM for 20 s; sending SIGKILL" >&2
kill -9 "$p" 2>/dev/null || true
for _ in $(seq 1 50); do pid_alive "$p" || exit 0; sleep 0.1; done
echo "docker bed: dockerd $p survived SIGKILL" >&2
exit 1
