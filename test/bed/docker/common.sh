# test/bed/docker/common.sh: sourced by every docker bed script; defines the layout of one docker bed.
#
# The only knob is CRIFS_DBED, the work dir (made by the caller, e.g. /var/tmp/crifs-dbed.XXXXXX). The bed
# runs Debian's dockerd 20.10 (package docker.io) with everything private to the work dir: data-root,
# exec-root (it starts its own containerd below it), socket, pid file; no iptables, no bridge.
#
#   $CRIFS_DBED/
#     bb-docker.tar   bb-small-docker.tar   the bed's OCI archive converted with skopeo (docker-archive)
#     docker/root/    dockerd --data-root
#     docker/exec/    dockerd --exec-root (embedded containerd, runc state)
#     docker/docker.sock  docker/dockerd.pid  docker/dockerd.log
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
# Debian's client (20.10) by its full path: another docker client may come first on PATH
export DOCKER_BIN=${DOCKER_BIN:-/usr/bin/docker}

dk() { "$DOCKER_BIN" -H "unix://$DSOCK" "$@"; }

# pid_alive, kill_shims_of, unmount_below
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

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
