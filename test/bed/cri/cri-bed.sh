#!/bin/bash
# test/bed/cri/cri-bed.sh — the CRI bed: a private containerd (1.6, or CONTAINERD=1.7|2.1 fetched by
# test/bed/containerd-fetch.sh: its dir is written to $TB/ctd/bindir and put first on PATH) with its CRI plugin, a private netns with
# a CNI bridge (containernetworking-plugins) and a docker-registry on 127.0.0.1:5000 holding a pause and an
# app image built offline (umoci + busybox-static) and pushed with skopeo. Three things it needs:
# restrict_oom_score_adj = true (where root lacks CAP_SYS_RESOURCE, runc cannot lower a sandbox's
# oom_score_adj and RunPodSandbox fails with "can't get final child's PID from pipe: EOF"); nsenter --net,
# not `ip netns exec`, which also makes a mount namespace and would hide the rootfs overlays from crifs on the
# host; and its own root, state, sockets and cgroup parent, away from any other containerd on the host.
# The pods are driven from Node (test/bed/cri-bed.ts), not from here.
#
# usage: TB=<short dir> NETNS=<name> CG=<cgroup parent root> [CONTAINERD=1.6|1.7|2.1] cri-bed.sh up|down
#        (TB must stay short: $TB/ctd/containerd.sock must be under 108 characters)
set -euo pipefail
TB=${TB:?set TB}; NETNS=${NETNS:?set NETNS}; CG=${CG:?set CG}
ROOT=$TB/ctd/root STATE=$TB/ctd/state SOCK=$TB/ctd/containerd.sock
BED=$(cd "$(dirname "$0")/.." && pwd)
IN="nsenter --net=/run/netns/$NETNS"
if [ -f "$TB/ctd/bindir" ]; then PATH="$(cat "$TB/ctd/bindir"):$PATH"; fi

build_images() {
  mkdir -p "$TB/img"; cd "$TB/img"
  mk() { local name=$1 tag=$2; shift 2
    umoci init --layout "$name"; umoci new --image "$name:$tag"
    umoci unpack --rootless --image "$name:$tag" "$name-b" >/dev/null
    local r="$name-b/rootfs"; mkdir -p "$r"/{bin,etc,tmp,proc,sys,dev}
    cp /bin/busybox "$r/bin/busybox"
    for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$r/etc/passwd"; echo 'root:x:0:' > "$r/etc/group"
    umoci repack --image "$name:$tag" "$name-b"
    umoci config --image "$name:$tag" --config.env PATH=/bin --config.workingdir / "$@"
    umoci gc --layout "$name"; rm -rf "$name-b"
    (cd "$name" && tar -cf "../$name.oci.tar" .)
  }
  mk pause 3.9 --config.cmd /bin/sleep --config.cmd 2147483647
  # the app traps TERM (as PID 1, sh ignores it: StopContainer would wait its whole timeout)
  mk bb latest --config.cmd /bin/sh --config.cmd -c --config.cmd \
    'trap "exit 0" TERM; i=0; while true; do echo "hello $i"; echo "err $i" >&2; i=$((i+1)); sleep 1 & wait $!; done'
  cd - >/dev/null
}

write_configs() {
  mkdir -p "$TB/reg/data" "$ROOT" "$STATE" "$TB/ctd/cni/net.d" "$TB/ctd/cni/ipam" "$TB/ctd/certs.d/127.0.0.1:5000" "$TB/logs"
  cat > "$TB/reg/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $TB/reg/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
EOF
  cat > "$TB/ctd/certs.d/127.0.0.1:5000/hosts.toml" <<'EOF'
server = "http://127.0.0.1:5000"

[host."http://127.0.0.1:5000"]
  capabilities = ["pull", "resolve", "push"]
  skip_verify = true
EOF
  cat > "$TB/ctd/cni/net.d/10-crifs.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "crifs-bridge",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "crifs0",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "10.88.0.0/24" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$TB/ctd/cni/ipam"
      }
    }
  ]
}
EOF
  # containerd 2.x: config version 3, where the CRI plugin is split in io.containerd.cri.v1.images (snapshotter,
  # pinned_images.sandbox, registry) and io.containerd.cri.v1.runtime (runtimes, cni, the security knobs);
  # streaming stays in io.containerd.grpc.v1.cri. NRI (on by default in 2.x) would listen on the host's
  # /var/run/nri/nri.sock: off.
  if [ "$(containerd --version | awk '{ sub(/^v/, "", $3); split($3, v, "."); print v[1] }')" -ge 2 ]; then
    cat > "$TB/ctd/config.toml" <<EOF
version = 3
root = "$ROOT"
state = "$STATE"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.blockfile", "io.containerd.snapshotter.v1.erofs"]

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[plugins]
  [plugins."io.containerd.cri.v1.images"]
    snapshotter = "overlayfs"
    [plugins."io.containerd.cri.v1.images".pinned_images]
      sandbox = "127.0.0.1:5000/pause:3.9"
    [plugins."io.containerd.cri.v1.images".registry]
      config_path = "$TB/ctd/certs.d"
  [plugins."io.containerd.cri.v1.runtime"]
    enable_selinux = false
    disable_apparmor = true
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    [plugins."io.containerd.cri.v1.runtime".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "$STATE/runc"
    [plugins."io.containerd.cri.v1.runtime".cni]
      bin_dirs = ["/usr/lib/cni"]
      conf_dir = "$TB/ctd/cni/net.d"
      max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri"]
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
  [plugins."io.containerd.nri.v1.nri"]
    disable = true
  [plugins."io.containerd.internal.v1.opt"]
    path = "$TB/ctd/opt"
EOF
    return
  fi
  cat > "$TB/ctd/config.toml" <<EOF
version = 2
root = "$ROOT"
state = "$STATE"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "127.0.0.1:5000/pause:3.9"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    disable_apparmor = true
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "$STATE/runc"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$TB/ctd/cni/net.d"
      max_conf_num = 1
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "$TB/ctd/certs.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "$TB/ctd/opt"
EOF
}

up() {
  mkdir -p "$TB/ctd"
  "$BED/containerd-fetch.sh" "${CONTAINERD:-1.6}" > "$TB/ctd/bindir"
  PATH="$(cat "$TB/ctd/bindir"):$PATH"
  build_images
  write_configs
  ip netns add "$NETNS"; ip -n "$NETNS" link set lo up
  $IN setsid docker-registry serve "$TB/reg/config.yml" > "$TB/reg/log" 2>&1 < /dev/null & echo $! > "$TB/reg/pid"
  for _ in $(seq 500); do $IN busybox wget -q -O /dev/null http://127.0.0.1:5000/v2/ 2>/dev/null && break; sleep 0.02; done
  $IN skopeo copy -q --dest-tls-verify=false "oci-archive:$TB/img/pause.oci.tar:3.9" docker://127.0.0.1:5000/pause:3.9
  $IN skopeo copy -q --dest-tls-verify=false "oci-archive:$TB/img/bb.oci.tar:latest" docker://127.0.0.1:5000/bb:latest
  $IN setsid containerd --config "$TB/ctd/config.toml" > "$TB/ctd/log" 2>&1 < /dev/null & echo $! > "$TB/ctd/pid"
  for _ in $(seq 500); do ctr --address "$SOCK" version >/dev/null 2>&1 && break; sleep 0.02; done
  ctr --address "$SOCK" version >/dev/null
}

down() {
  for f in "$TB/ctd/pid" "$TB/reg/pid"; do
    [ -f "$f" ] || continue; p=$(cat "$f")
    if kill -0 "$p" 2>/dev/null; then kill -TERM "$p"; for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.02; done; fi
  done
  if [ -d "$STATE/runc/k8s.io" ]; then
    for id in $(runc --root "$STATE/runc/k8s.io" list -q); do runc --root "$STATE/runc/k8s.io" delete --force "$id" || true; done
  fi
  # shims of THIS containerd only (matched by our socket path)
  for p in $(ps -eo pid=,args= | awk -v s="-address $SOCK" 'index($0, s) && /containerd-shim/ {print $1}'); do kill -KILL "$p" 2>/dev/null || true; done
  { grep -F " $TB/" /proc/self/mountinfo || true; } | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" || true; done
  ip netns del "$NETNS" 2>/dev/null || true
  for c in /sys/fs/cgroup/*/"$CG" /sys/fs/cgroup/"$CG"; do if [ -d "$c" ]; then find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi; done
  rm -rf "$TB"
}

"$@"
