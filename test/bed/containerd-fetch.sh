#!/bin/bash
# test/bed/containerd-fetch.sh: bring a newer containerd (1.7 from Debian trixie, 2.1 from Debian sid) onto this
# Debian 12 machine without touching its own apt sources or packages, and print the dir holding its binaries.
#
# usage: containerd-fetch.sh 1.6|1.7|2.1      (prints the bin dir on stdout: /usr/bin for 1.6, Debian 12's own)
#
# How: a private apt configuration per suite (its own sources.list, lists and cache under
# /var/cache/crifs/apt-<suite>/, Debian's keyring), `apt-get download containerd=<the suite's version>`, then
# `dpkg -x` into /var/cache/crifs/containerd-<upstream version>/ (usr/bin: containerd, ctr,
# containerd-shim-runc-v2). The .deb's Go binaries are static enough to run on Debian 12 as they are; runc stays
# Debian 12's (1.1.5): containerd 1.7 and 2.1 both run their tasks with it. Idempotent and cached: once a
# version is extracted (and its `containerd --version` answers) nothing is fetched again, so later runs need no
# network. A lock (flock) keeps two runs from fetching the same suite at once.
set -euo pipefail

want=${1:?usage: containerd-fetch.sh 1.6|1.7|2.1}
case $want in
  1.6) echo /usr/bin; exit 0 ;; # Debian 12's own package (scripts/test.sh installs it)
  1.7) suite=trixie ;;
  2.1) suite=sid ;;
  *) echo "containerd-fetch.sh: unknown containerd version \"$want\" (know 1.6, 1.7, 2.1)" >&2; exit 64 ;;
esac

CACHE=${CRIFS_CACHE:-/var/cache/crifs}
mkdir -p "$CACHE"

# cached_bin: the bin dir of an extracted containerd $want.x that runs, or nothing (Debian's builds say
# "containerd github.com/containerd/containerd 1.7.24~ds1 …", upstream's "… v1.7.24 <commit>")
cached_bin() {
  local d
  for d in "$CACHE"/containerd-"$want".*/usr/bin; do
    [ -x "$d/containerd" ] && [ -x "$d/ctr" ] && [ -x "$d/containerd-shim-runc-v2" ] || continue
    "$d/containerd" --version 2>/dev/null | grep -Eq " v?$want\." || continue
    echo "$d"
    return 0
  done
  return 1
}

if bin=$(cached_bin); then echo "$bin"; exit 0; fi

APT=$CACHE/apt-$suite
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/debs"
exec 9> "$APT/lock"
flock 9
# another run may have finished the job while this one waited for the lock
if bin=$(cached_bin); then echo "$bin"; exit 0; fi

echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" > "$APT/sources.list"
# every path apt would read or write outside $APT is pointed into it; the machine's own sources.list.d is ignored
aptopts=(-q -o "Dir::Etc::sourcelist=$APT/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "Dir::Cache::archives=$APT/cache/archives"
  -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
apt-get "${aptopts[@]}" update >&2
# the suite's newest containerd of the wanted minor version (sid may move on; then this says so)
ver=$(apt-cache "${aptopts[@]}" madison containerd | awk -v w="$want." '$3 ~ "^" w { print $3; exit }')
if [ -z "$ver" ]; then
  echo "containerd-fetch.sh: Debian $suite has no containerd $want.x any more ($(apt-cache "${aptopts[@]}" madison containerd | awk '{ print $3 }' | tr '\n' ' ')); pick the suite that has it" >&2
  exit 69
fi
deb=$(ls "$APT"/debs/containerd_"${ver/*:/}"_*.deb 2>/dev/null) ||
  deb=$(cd "$APT/debs" && apt-get "${aptopts[@]}" download "containerd=$ver" >&2 && ls "$PWD"/containerd_"${ver/*:/}"_*.deb)
upstream=${ver%%[~+-]*}
dest=$CACHE/containerd-$upstream
# extracted beside it under a name cached_bin does not match, then renamed: a killed run leaves no half dir
tmp=$CACHE/.containerd-$upstream.new
rm -rf "$tmp"
dpkg -x "$deb" "$tmp"
"$tmp/usr/bin/containerd" --version | grep -Eq " v?$want\." || {
  echo "containerd-fetch.sh: $deb holds no containerd $want.x: $("$tmp/usr/bin/containerd" --version)" >&2
  exit 65
}
rm -rf "$dest"
mv "$tmp" "$dest"
echo "$dest/usr/bin"
