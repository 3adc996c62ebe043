#!/bin/bash
# test/bed/docker/20-dockerd-start.sh: start the bed's private dockerd in the background, record its pid and
# wait until `docker version` answers. Does nothing if it already runs. dockerd starts its own containerd
# (socket under the exec-root, root under <data-root>/containerd/daemon). --live-restore: containers keep
# running while dockerd is stopped, the state crifs must read (the data-root stays as the daemon left it).
set -euo pipefail
. "$(dirname "$0")/common.sh"

dockerd_is_running && exit 0
mkdir -p "$DKROOT" "$DKEXEC"
# setsid: dockerd gets its own session, so the test runner's process-group kill does not take it down;
# it is stopped by its recorded pid only
setsid "${DOCKERD[@]}" --data-root "$DKROOT" --exec-root "$DKEXEC" -H "unix://$DSOCK" --pidfile "$DK/dockerd.pidfile" \
  --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
  --live-restore --shutdown-timeout 2 \
  >> "$DK/dockerd.log" 2>&1 < /dev/null &
pid=$!
echo $pid > "$DK_PIDFILE"
deadline=$(($(date +%s) + 30))
until [ -S "$DSOCK" ] && dk version >/dev/null 2>&1; do
  # pid_alive, not dockerd_is_running: until setsid has exec'd dockerd the process is still named bash/setsid
  if ! pid_alive "$pid" || [ "$(date +%s)" -ge "$deadline" ]; then
    echo "docker bed: dockerd did not come up; last lines of $DK/dockerd.log:" >&2
    tail -n 20 "$DK/dockerd.log" >&2
    exit 1
  fi
  sleep 0.1
done
