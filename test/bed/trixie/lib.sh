# test/bed/trixie/lib.sh: run a runtime from the cached Debian trixie root (root.sh) for one bed. Sourced by
# the podman and docker bed scripts; defines functions only. Podman 5 and dockerd 26 need trixie's libraries,
# so they run chrooted; their stores must still be where crifs, running on the host, reads them as on a node.
#
#   trixie_up BED DIR...   mount the bed's own view of the root at $BED/trixie/root:
#                            overlay    lower = the cached root (never written), upper = $BED/trixie/upper,
#                                       so the root is a mount point (c/storage remounts / when it unpacks
#                                       a layer, which fails in a bare chroot) and each bed writes its own /etc…
#                            /proc /sys /dev   bound in (recursively); tmpfs on /run and /tmp
#                            each DIR   bound at the same path inside, after making DIR a shared mount of its
#                                       own: the two are peers, so the overlay mounts the runtime makes for its
#                                       containers inside show at the host's path too, as on a node
#   trixie_down BED        unmount all of it (deepest first); the caller removes the dirs
#   in_trixie BED CMD...   run CMD chrooted in the bed's root, with a clean environment
#   trixie_exec BED         the command prefix in_trixie uses, in the array TRIXIE_EXEC (for setsid …)
# Needs unmount_below (test/bed/lib.sh).

TRIXIE_ROOT_SH=$(dirname "${BASH_SOURCE[0]}")/root.sh

trixie_up() {
  local bed=$1 lower r d
  shift
  lower=$(bash "$TRIXIE_ROOT_SH") || return 1
  r=$bed/trixie/root
  mkdir -p "$bed/trixie/upper" "$bed/trixie/work" "$r"
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$bed/trixie/upper,workdir=$bed/trixie/work" "$r"
  mount --make-private "$r"
  mount -t proc proc "$r/proc"
  mount --rbind /sys "$r/sys" && mount --make-rslave "$r/sys"
  mount --rbind /dev "$r/dev" && mount --make-rslave "$r/dev"
  mount -t tmpfs -o mode=0755 tmpfs "$r/run"
  mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
  for d in "$@"; do
    mkdir -p "$d" "$r$d"
    mount --bind "$d" "$d"
    mount --make-shared "$d"
    mount --bind "$d" "$r$d"
  done
}

trixie_down() {
  [ -d "$1/trixie" ] || return 0
  unmount_below "$1/trixie/root" "trixie root" || return 1
}

trixie_exec() {
  TRIXIE_EXEC=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8)
  [ -n "${CONTAINERS_STORAGE_CONF:-}" ] && TRIXIE_EXEC+=("CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF")
  TRIXIE_EXEC+=(chroot "$1/trixie/root")
}

in_trixie() {
  trixie_exec "$1"
  shift
  "${TRIXIE_EXEC[@]}" "$@"
}
