#!/bin/bash
# test/bed/trixie/root.sh: make sure the cached Debian trixie root exists and print its path. Podman 5 and
# dockerd 26 need newer libraries than Debian 12's, so the beds run them chrooted in this root (see
# enter.sh); it is made once by mmdebstrap from Debian's packages (~90 s, ~500 MB) and kept under
# $CRIFS_CACHE (default /var/cache/crifs) between runs. The beds never write to it: each one mounts it
# as the lower layer of its own overlay.
#
#   $CRIFS_CACHE/trixie/root/   the root (read-only to the beds)
#   $CRIFS_CACHE/trixie/stamp   the package list it was made with; another list makes it again
#   $CRIFS_CACHE/trixie.lock    flock: two suites (or two checkouts) asking at once build it once
set -euo pipefail
CACHE=${CRIFS_CACHE:-/var/cache/crifs}
PKGS=podman,crun,conmon,catatonit,netavark,golang-github-containers-common,docker.io,docker-cli,containerd,runc,tini,iptables,busybox-static
STAMP="suite=trixie include=$PKGS"
T=$CACHE/trixie
mkdir -p "$CACHE"
exec 9> "$CACHE/trixie.lock"
flock 9
if [ -f "$T/stamp" ] && [ "$(cat "$T/stamp")" = "$STAMP" ] && [ -x "$T/root/usr/bin/podman" ]; then
  echo "$T/root"
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "trixie root: mmdebstrap is missing (apt-get install mmdebstrap)" >&2; exit 1; }
rm -rf "$T.new" "$T.old"
mkdir -p "$T.new"
# no docs, man pages or locales: a third of the size, none of it used
mmdebstrap --quiet --variant=apt --include="$PKGS" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  trixie "$T.new/root" http://deb.debian.org/debian >&2
printf '%s\n' "$STAMP" > "$T.new/stamp"
[ -d "$T" ] && mv "$T" "$T.old"
mv "$T.new" "$T"
rm -rf "$T.old"
echo "$T/root"
