# test/bed/common.sh: sourced by every bed script; defines the layout of one bed.
#
# The knobs: CRIFS_BED, the work dir. Unset, a fresh /var/tmp/crifs-bed.XXXXXX is made (and announced on
# stderr); pass the same CRIFS_BED to every later script of the same bed. CRIFS_CONTAINERD, the containerd
# version up.sh starts (1.6 = Debian 12's, default; 1.7, 2.1 = fetched by containerd-fetch.sh): up.sh writes
# the dir of its binaries to containerd/bindir, and every later script puts that dir first on PATH, so
# containerd, ctr and the shim containerd spawns are that version's (runc stays Debian 12's).
#
#   $CRIFS_BED/
#     img/                 umoci layout (L), bundle (B), bb-oci.tar (the OCI archive ctr imports)
#     containerd/          bindir, config.toml, containerd.pid, containerd.log, c.sock, root/, state/, opt/, cni/
#     facts                key=value lines the scripts learnt (read by test/bed/bed.ts)
#     churn/               stop files and logs of churn loops
#
# Outside the work dir (shared by every containerd on the host, hence ids carry $BED_TAG):
#   /run/containerd/runc/<ns>/<id>, /run/containerd/s/<hex>, /run/containerd/fifo/, cgroups /<ns>/<id>,
#   and the host-only symlink target $HOSTONLY.

if [ -z "${CRIFS_BED:-}" ]; then
  CRIFS_BED=$(mktemp -d /var/tmp/crifs-bed.XXXXXX)
  echo "crifs bed: CRIFS_BED=$CRIFS_BED" >&2
fi
CRIFS_BED=$(realpath -m "$CRIFS_BED")
export CRIFS_BED
# 8 hex chars derived from the work dir: makes container ids and the host-only path unique per bed
BED_TAG=$(printf '%s' "$CRIFS_BED" | sha256sum | cut -c1-8)
export BED_TAG
BED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export BED_DIR

export IMG=$CRIFS_BED/img
export OCI_ARCHIVE=$IMG/bb-oci.tar
export CTD=$CRIFS_BED/containerd
export CTD_ROOT=$CTD/root
export CTD_STATE=$CTD/state
export CTD_CONFIG=$CTD/config.toml
export CTD_PIDFILE=$CTD/containerd.pid
export CSOCK=$CTD/c.sock
export FACTS=$CRIFS_BED/facts
if [ -f "$CTD/bindir" ]; then
  PATH="$(cat "$CTD/bindir"):$PATH"
  export PATH
fi
# absolute symlink target baked into layer 2; it exists on the host only, never inside the image
export HOSTONLY=/tmp/crifs-host-only-$BED_TAG/secret

# the busybox applets layer 1 links to /bin/busybox (relative links "busybox")
export BB_APPLETS="sh ls cat echo sleep mkdir rm mv cp ln touch id ps wc grep sed true false truncate dd stat"

# --connect-timeout: without it ctr waits 10 s for a socket nobody listens on (containerd stopped)
ctr_() { ctr -a "$CSOCK" --connect-timeout 2s "$@"; }

# pid_alive, kill_shims_of, unmount_below
. "$BED_DIR/lib.sh"

# ctd_is_running: the recorded containerd pid is alive and still containerd (guards against pid reuse)
ctd_is_running() {
  local p
  p=$(cat "$CTD_PIDFILE" 2>/dev/null) || return 1
  [ -n "$p" ] && pid_alive "$p" || return 1
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = containerd ]
}

# require_bed: for scripts that act on an existing bed (its containerd config must be there)
require_bed() {
  if [ ! -f "$CTD_CONFIG" ]; then
    echo "$(basename "$0"): no bed at $CRIFS_BED (run up.sh, and pass its CRIFS_BED)" >&2
    exit 2
  fi
}

# fact KEY VALUE: record what a script learnt; a later line for the same key wins
fact() { printf '%s=%s\n' "$1" "$2" >> "$FACTS"; }

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; fail after SECONDS of wall time
# (a deadline, not a try count: one ctr call can itself take its 2 s connect timeout)
wait_for() {
  local deadline=$(($(date +%s%N) + $1 * 1000000000))
  shift
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s%N)" -ge "$deadline" ]; then
      echo "bed: timed out waiting for: $*" >&2
      return 1
    fi
    sleep 0.1
  done
}
