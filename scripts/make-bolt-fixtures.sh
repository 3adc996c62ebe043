#!/usr/bin/env bash
# make-bolt-fixtures.sh — makes the real bbolt files under test/fixtures/bbolt/ that the tests of
# src/formats/bbolt read. It starts a private containerd (its own root, state and socket under a temp
# dir; the host's containerd is not touched), makes metadata with ctr, stops containerd by its pid and
# copies its two bbolt files:
#
#   containerd-meta.db        <root>/io.containerd.metadata.v1.bolt/meta.db
#   overlayfs-metadata.db     <root>/io.containerd.snapshotter.v1.overlayfs/metadata.db
#
# What is in them (the tests rely on it):
#   namespaces   default, crifs-a, crifs-b, crifs-leases, crifs-big
#   crifs-leases 300 leases lease-001..lease-300 (no expiry); every 25th has labels: branch pages
#   crifs-big    container big (rootfs-only, never started) whose spec holds the environment
#                variable CRIFS_BIG=<12600 bytes: "crifs-overflow-00001;" .. "crifs-overflow-00600;">,
#                so one value spans an overflow page; namespace labels crifs.test/big-{1,2,3} of
#                4000 bytes each ("crifs-label-<n>-" then "y"s), a leaf of ~12 KB: a second overflow page
#                (both checked below with test/tools/boltdump -stats). containerd refuses a single
#                label of more than 4096 bytes (key + value), hence the spec for the big single value.
#   default      snapshots base (committed) <- mid (committed) <- mid-view (view), work (active,
#                labelled); a committed blob "hello crifs\n"; an abandoned ingest crifs-partial-ref
#                (3000 of 5000 bytes)
#   crifs-a      snapshots a-base (committed) <- a-work (active)
#
# Needs root, containerd and ctr; go (+ golang-github-coreos-bbolt-dev) for the page check.
# Usage: sudo scripts/make-bolt-fixtures.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/test/fixtures/bbolt
[ "$(id -u)" = 0 ] || { echo "make-bolt-fixtures: needs root (containerd)" >&2; exit 1; }
command -v containerd >/dev/null && command -v ctr >/dev/null ||
  { echo "make-bolt-fixtures: needs containerd and ctr" >&2; exit 1; }

tmp=$(mktemp -d /tmp/crifs-bolt-fixtures.XXXXXX)
sock=$tmp/containerd.sock
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/config.toml" <<TOML
version = 2
root = "$tmp/root"
state = "$tmp/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML

containerd --config "$tmp/config.toml" >"$tmp/containerd.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  ctr -a "$sock" version >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/containerd.log" >&2; echo "make-bolt-fixtures: containerd exited" >&2; exit 1; }
  sleep 0.1
done
ctr -a "$sock" version >/dev/null || { echo "make-bolt-fixtures: containerd did not answer on $sock" >&2; exit 1; }

c() { ctr -a "$sock" "$@"; }

for ns in default crifs-a crifs-b crifs-leases crifs-big; do
  c namespaces create "$ns"
done
c namespaces label crifs-b crifs.test/owner=fixtures crifs.test/purpose=small-labels

# Overflow pages. A leaf holding one 12600-byte value spans 4 pages of 4096; bbolt does not split a
# leaf of 4 or fewer elements, so 3 labels of 4000 bytes also make a leaf of ~12 KB.
big=$(seq -f 'crifs-overflow-%05g;' 1 600 | tr -d '\n')
[ "${#big}" = 12600 ] || { echo "make-bolt-fixtures: big value is ${#big} bytes" >&2; exit 1; }
mkdir -p "$tmp/rootfs"
c -n crifs-big containers create --rootfs --env "CRIFS_BIG=$big" "$tmp/rootfs" big
labels=()
for n in 1 2 3; do
  v=crifs-label-$n-$(head -c 3986 /dev/zero | tr '\0' y)
  [ "${#v}" = 4000 ] || { echo "make-bolt-fixtures: label value is ${#v} bytes" >&2; exit 1; }
  labels+=("crifs.test/big-$n=$v")
done
c namespaces label crifs-big "${labels[@]}" crifs.test/small=yes

# Many leases: the leases bucket needs several leaf pages under a branch page. A lease with labels
# holds a labels bucket, so it cannot be inline and costs a page of its own: only every 25th has labels.
for i in $(seq -f '%03g' 1 300); do
  if [ $((10#$i % 25)) = 0 ]; then
    c -n crifs-leases leases create --id "lease-$i" --expires 0 crifs.test/index="$i" crifs.test/kind=labelled
  else
    c -n crifs-leases leases create --id "lease-$i" --expires 0
  fi
done >/dev/null

# Snapshots (no mounts needed: prepare/commit/view only write metadata and directories).
c snapshots prepare base-active >/dev/null
c snapshots commit base base-active
c snapshots prepare mid-active base >/dev/null
c snapshots commit mid mid-active
c snapshots view mid-view mid >/dev/null
c snapshots prepare work mid >/dev/null
c snapshots label work crifs.test/role=work >/dev/null
c -n crifs-a snapshots prepare a-base-active >/dev/null
c -n crifs-a snapshots commit a-base a-base-active
c -n crifs-a snapshots prepare a-work a-base >/dev/null

# Content: one committed blob, one abandoned ingest (3000 of 5000 bytes; ctr fails, the ingest stays).
hello_digest=sha256:$(printf 'hello crifs\n' | sha256sum | cut -d' ' -f1)
printf 'hello crifs\n' | c content ingest --expected-size 12 --expected-digest "$hello_digest" crifs-hello
c content label "$hello_digest" crifs.test/blob=hello >/dev/null
head -c 3000 /dev/zero | c content ingest --expected-size 5000 crifs-partial-ref >/dev/null 2>&1 || true
c content active | grep -q crifs-partial-ref || { echo "make-bolt-fixtures: the partial ingest is missing" >&2; exit 1; }

# Stop containerd so both files are closed cleanly, then copy them.
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
mkdir -p "$out"
cp "$tmp/root/io.containerd.metadata.v1.bolt/meta.db" "$out/containerd-meta.db"
cp "$tmp/root/io.containerd.snapshotter.v1.overlayfs/metadata.db" "$out/overlayfs-metadata.db"
chmod 0644 "$out"/*.db

# Prove the page kinds the tests are about (branch + overflow in meta.db) with the real bbolt library.
if command -v go >/dev/null; then
  (cd "$here" && GO111MODULE=off GOPATH="$tmp/gopath:/usr/share/gocode" GOCACHE="${GOCACHE:-$tmp/gocache}" \
    go build -o "$tmp/boltdump" ./test/tools/boltdump)
  stats=$("$tmp/boltdump" -stats "$out/containerd-meta.db")
  echo "containerd-meta.db: $stats"
  case $stats in *" branch=0 "*) echo "make-bolt-fixtures: no branch page in meta.db" >&2; exit 1 ;; esac
  case $stats in *" overflow=0 "*) echo "make-bolt-fixtures: no overflow page in meta.db" >&2; exit 1 ;; esac
  echo "overlayfs-metadata.db: $("$tmp/boltdump" -stats "$out/overlayfs-metadata.db")"
else
  echo "make-bolt-fixtures: go is missing: branch/overflow pages not checked" >&2
fi
ls -l "$out"
