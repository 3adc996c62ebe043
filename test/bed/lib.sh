# test/bed/lib.sh: process and mount helpers shared by every bed's scripts (containerd, docker). Sourced by
# test/bed/common.sh and test/bed/docker/common.sh; defines functions only.

# pid_alive PID: the process exists and is not a zombie. Daemons started by a bed are reparented to pid 1,
# which here reaps only about once a second: kill -0 alone would see a stopped daemon as alive.
pid_alive() {
  local state
  state=$(awk '$1 == "State:" { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# kill_shims_of SOCKET: SIGKILL the runc shims serving the containerd at SOCKET (and no other containerd's),
# whichever dir their binary is in (/usr/bin for Debian 12's containerd, the fetched one's for 1.7 and 2.1)
kill_shims_of() {
  local c p
  for c in /proc/[0-9]*/cmdline; do
    if tr '\0' ' ' 2>/dev/null < "$c" | grep -q "^[^ ]*containerd-shim-runc-v2 .*-address $1\( \|$\)"; then
      p=${c#/proc/}
      kill -9 "${p%/cmdline}" 2>/dev/null
    fi
  done
}

# unmount_below DIR LABEL: unmount everything mounted at or below DIR, deepest first (lazily if busy);
# fails, listing them, when mounts are left
unmount_below() {
  local dir=$1 label=$2 m mnts
  for _ in 1 2 3; do
    mapfile -t mnts < <(awk -v w="$dir" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    [ ${#mnts[@]} -eq 0 ] && break
    for m in "${mnts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
  done
  if awk -v w="$dir" '$5 == w || index($5, w "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    echo "$label: mounts left below $dir:" >&2
    grep -F " $dir" /proc/self/mountinfo >&2
    return 1
  fi
}
