#!/bin/bash
# test/bed/20-containerd-start.sh: start the bed's private containerd in the background (writes the config
# on first use), record its pid and wait until `ctr version` answers. Does nothing if it already runs.
#
# Everything containerd would otherwise put on the host is pointed into $CTD: root, state, the gRPC and
# ttrpc sockets, the opt plugin dir (default /opt/containerd) and the CNI dirs (default /etc/cni/net.d,
# /opt/cni/bin). The CRI plugin stays enabled, as on a Kubernetes node: without a CNI config it logs
# "failed to load cni during init" and serves anyway (sandboxes would fail; the bed runs none).
set -euo pipefail
. "$(dirname "$0")/common.sh"

if ctd_is_running; then
  exit 0
fi
mkdir -p "$CTD" "$CTD/opt" "$CTD/cni/net.d" "$CTD/cni/bin"
# "containerd github.com/containerd/containerd/v2 2.1.9+unknown": 2.x reads config version 3, where the CRI
# plugin is split in io.containerd.cri.v1.images (snapshotter, pinned_images.sandbox) and
# io.containerd.cri.v1.runtime (cni, runtimes); version 2 keeps it all under io.containerd.grpc.v1.cri.
# 1.7 and 2.1 name no sandbox image, so their own defaults stand (pause:3.8, pause:3.10), as on a node
# that never set one; 1.6's default (pause:3.6) is named, as the bed always did.
major=$(containerd --version | awk '{ sub(/^v/, "", $3); split($3, v, "."); print v[1] }')
if [ ! -f "$CTD_CONFIG" ] && [ "$major" -ge 2 ]; then
  # NRI is on by default in 2.x and listens on the host's /var/run/nri/nri.sock: off, so beds do not clash
  cat > "$CTD_CONFIG" <<EOT
version = 3
root = "$CTD_ROOT"
state = "$CTD_STATE"

[grpc]
  address = "$CSOCK"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD/opt"

[plugins."io.containerd.nri.v1.nri"]
  disable = true

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"

[plugins."io.containerd.cri.v1.runtime".cni]
  bin_dirs = ["$CTD/cni/bin"]
  conf_dir = "$CTD/cni/net.d"
EOT
elif [ ! -f "$CTD_CONFIG" ]; then
  sandbox=$(containerd --version | grep -q ' v\?1\.6\.' && echo 'sandbox_image = "registry.k8s.io/pause:3.6"' || true)
  cat > "$CTD_CONFIG" <<EOT
version = 2
root = "$CTD_ROOT"
state = "$CTD_STATE"

[grpc]
  address = "$CSOCK"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD/opt"

[plugins."io.containerd.grpc.v1.cri"]
  $sandbox

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "$CTD/cni/bin"
  conf_dir = "$CTD/cni/net.d"
EOT
fi
# setsid: containerd gets its own session, so a Ctrl-C or the test runner's process-group kill of the
# caller does not take it down behind the bed's back; it is stopped by its recorded pid only
setsid containerd --config "$CTD_CONFIG" >> "$CTD/containerd.log" 2>&1 < /dev/null &
echo $! > "$CTD_PIDFILE"
# up = answering; a containerd that exits (bad config, socket in use) ends the wait at once
is_up() { [ -S "$CSOCK" ] && ctr_ version; }
deadline=$(($(date +%s) + 20))
# the pid was recorded a moment ago, so alive is enough: until setsid execs containerd its name is still
# "setsid", and ctd_is_running's name check would end the wait before containerd started (seen in CI runs)
until is_up >/dev/null 2>&1; do
  if ! pid_alive "$(cat "$CTD_PIDFILE")" || [ "$(date +%s)" -ge "$deadline" ]; then
    echo "bed: containerd did not come up; last lines of $CTD/containerd.log:" >&2
    tail -n 20 "$CTD/containerd.log" >&2
    exit 1
  fi
  sleep 0.1
done
