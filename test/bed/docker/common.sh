# test/bed/docker/common.sh: sourced by every docker bed script; defines the layout of one docker bed.
#
# Knobs: CRIFS_DBED, the work dir (made by the caller, e.g. /var/tmp/crifs-dbed.XXXXXX), and DOCKER_VERSION:
#   20.10            Debian 12's dockerd (package docker.io), on the host, overlay2 (the default)
#   26               trixie's dockerd 26, chrooted in the bed's view of the cached trixie root
#                    (test/bed/trixie/lib.sh; docker/ is bound in at the same path), overlay2
#   26-containerd    the same with "features": {"containerd-snapshotter": true}: images and layers in
#                    dockerd's containerd (namespace moby, root <data-root>/containerd/daemon), no overlay2
# Everything is private to the work dir: data-root, exec-root (dockerd starts its own containerd below it),
# socket, pid file, daemon.json; no iptables, no bridge.
#
#   $CRIFS_DBED/
#     bb-docker.tar   bb-small-docker.tar   the bed's OCI archive converted with skopeo (docker-archive)
#     docker/root/    dockerd --data-root
#     docker/exec/    dockerd --exec-root (embedded containerd, runc state)
#     docker/docker.sock  docker/dockerd.pid  docker/dockerd.log  docker/daemon.json (26 and later)
#     trixie/         26 and later: the bed's overlay of the trixie root (root/, upper/, work/)
#     facts           key=value lines the scripts learnt (read by test/bed/docker-bed.ts)

if [ -z "${CRIFS_DBED:-}" ]; then
  echo "$(basename "$0"): set CRIFS_DBED to the docker bed's work dir" >&2
  exit 2
fi
CRIFS_DBED=$(realpath -m "$CRIFS_DBED")
export CRIFS_DBED
DBED_TAG=$(printf '%s' "$CRIFS_DBED" | sha256sum | cut -c1-8)
export DBED_TAG
export DK=$CRIFS_DBED/docker
export DKROOT=$DK/root
export DKEXEC=$DK/exec
export DSOCK=$DK/docker.sock
export DK_PIDFILE=$DK/dockerd.pid
export DFACTS=$CRIFS_DBED/facts
export DKCONF=$DK/daemon.json
# Debian's client (20.10) by its full path: another docker client may come first on PATH
export DOCKER_BIN=${DOCKER_BIN:-/usr/bin/docker}
export DOCKER_VERSION=${DOCKER_VERSION:-20.10}

# pid_alive, kill_shims_of, unmount_below
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

case $DOCKER_VERSION in
  20.10)
    dk() { "$DOCKER_BIN" -H "unix://$DSOCK" "$@"; }
    # DOCKERD: dockerd with the bed's version's own flags, to start with setsid
    DOCKERD=(dockerd --storage-driver overlay2)
    ;;
  26 | 26-containerd)
    . "$(dirname "${BASH_SOURCE[0]}")/../trixie/lib.sh"
    # trixie's client (the daemon's own version) in the root; the socket is at the same path inside
    dk() { in_trixie "$CRIFS_DBED" /usr/bin/docker -H "unix://$DSOCK" "$@"; }
    trixie_exec "$CRIFS_DBED"
    DOCKERD=("${TRIXIE_EXEC[@]}" /usr/sbin/dockerd --config-file "$DKCONF")
    ;;
  *) echo "docker bed: DOCKER_VERSION is 20.10, 26 or 26-containerd, not \"$DOCKER_VERSION\"" >&2; exit 2 ;;
esac

# dockerd_is_running: the recorded pid is alive and still dockerd (guards against pid reuse)
dockerd_is_running() {
  local p
  p=$(cat "$DK_PIDFILE" 2>/dev/null) || return 1
  [ -n "$p" ] && pid_alive "$p" || return 1
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dockerd ]
}

# dfact KEY VALUE: record what a script learnt; a later line for the same key wins
dfact() { printf '%s=%s\n' "$1" "$2" >> "$DFACTS"; }

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; fail after SECONDS of wall time
wait_for() {
  local deadline=$(($(date +%s%N) + $1 * 1000000000))
  shift
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s%N)" -ge "$deadline" ]; then
      echo "docker bed: timed out waiting for: $*" >&2
      return 1
    fi
    sleep 0.1
  done
}
