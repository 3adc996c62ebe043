#!/bin/bash
# test/bed/71-churn-gc.sh NS STOPFILE: churn of every kind containerd's GC protects, in namespace NS (and in
# short-lived namespaces NS-i<n>), until STOPFILE exists; then print "cycles=<n>" (complete cycles, all kinds)
# and one "<kind>=<n>" line per kind, then "unprotected=<digest>" for each blob ingested (see ingest), and
# exit 0. Prints "ready" once its setup is done. Five loops run at once, each never cut short mid-cycle:
#   import     ctr images import (--index-name: an image names the index too) into a fresh namespace:
#              blobs written and committed under ctr's lease, the index's and manifests' gc.ref.content
#              labels, images created, layers unpacked into new snapshots under the unpack lease, the
#              config's gc.ref.snapshot label; then images rm --sync (GC at once) and the namespace
#              removed. Every other round imports under new names into NS, where every blob already exists
#              (the lease takes the existing blobs)
#   ingest     ctr content ingest of a new blob (ctr holds no lease for it: garbage once committed, so
#              listed as unprotected), labelled gc.root unless a GC pass took it first, then content rm
#   snapshot   prepare (gc.root) on the image's top layer, commit it, prepare a child of the commit, remove
#              the child and the commit
#   container  create from bb:latest, remove (with its snapshot)
#   lease      create (plain, expiring in 1 s, or gc.flat), delete (every other one with --sync) unless
#              a GC pass removed it for having expired
# Nothing else is garbage for longer than a moment (what images rm --sync releases, until its GC pass
# ends, shorter than doctor's pause between its two reads): doctor must call nothing else unreferenced.
# Ids carry the bed tag and this script's pid, so several loops (and beds) can run at once.
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_bed
NS=$1
STOP=$2
mkdir -p "$CRIFS_BED/churn"
echo $$ > "$CRIFS_BED/churn/$$.pid"
COUNTS=$(mktemp -d "$CRIFS_BED/churn/counts.XXXXXX")
trap 'rm -rf "$CRIFS_BED/churn/$$.pid" "$COUNTS"' EXIT
: > "$COUNTS/unprotected"
LATEST=docker.io/library/bb:latest
if ! ctr_ -n "$NS" images ls -q | grep -qxF "$LATEST"; then
  ctr_ -n "$NS" images import --base-name docker.io/library/bb "$OCI_ARCHIVE" >/dev/null
  # as in 70-churn.sh: a synchronous GC pass takes the index blob the import leaves unreferenced
  ctr_ -n "$NS" leases create --id "crifs-gc-$BED_TAG-$$-gc" >/dev/null
  ctr_ -n "$NS" leases delete --sync "crifs-gc-$BED_TAG-$$-gc" >/dev/null
fi
ID=crifs-gc-$BED_TAG-$$
ctr_ -n "$NS" containers create "$LATEST" "$ID-probe" /bin/true
TOP=$(ctr_ -n "$NS" snapshots ls | awk -v id="$ID-probe" '$1 == id { print $2 }')
ctr_ -n "$NS" containers rm "$ID-probe"
echo ready

import_loop() {
  local n=0 ns
  while [ ! -e "$STOP" ]; do
    if [ $((n % 2)) = 0 ]; then
      ns=$NS-i$$-$n
      ctr_ -n "$ns" images import --index-name "$ID-index" --base-name docker.io/library/bb "$OCI_ARCHIVE" >/dev/null
      ctr_ -n "$ns" images rm --sync "$ID-index" docker.io/library/bb:latest docker.io/library/bb:small >/dev/null
      ctr_ namespaces rm "$ns" >/dev/null 2>&1 || true # not empty if a GC pass is still due: harmless
    else
      ctr_ -n "$NS" images import --index-name "$ID-index-$n" --base-name "docker.io/library/$ID-$n" "$OCI_ARCHIVE" >/dev/null
      ctr_ -n "$NS" images rm --sync "$ID-index-$n" "docker.io/library/$ID-$n:latest" "docker.io/library/$ID-$n:small" >/dev/null
    fi
    n=$((n + 1))
  done
  echo "$n" > "$COUNTS/import"
}

ingest_loop() {
  local n=0 data dgst
  while [ ! -e "$STOP" ]; do
    data="crifs churn $ID $n $RANDOM"
    dgst=sha256:$(printf '%s' "$data" | sha256sum | cut -d' ' -f1)
    echo "$dgst" >> "$COUNTS/unprotected"
    printf '%s' "$data" | ctr_ -n "$NS" content ingest --expected-digest "$dgst" --expected-size ${#data} "$ID-in-$n"
    # unlabelled, the new blob is garbage: a GC pass that comes first takes it (then both fail: not found)
    if ctr_ -n "$NS" content label "$dgst" "containerd.io/gc.root=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >/dev/null 2>&1; then
      ctr_ -n "$NS" content rm "$dgst" >/dev/null
    fi
    n=$((n + 1))
  done
  echo "$n" > "$COUNTS/ingest"
}

snapshot_loop() {
  local n=0
  while [ ! -e "$STOP" ]; do
    ctr_ -n "$NS" snapshots prepare "$ID-a-$n" "$TOP" >/dev/null
    ctr_ -n "$NS" snapshots commit "$ID-c-$n" "$ID-a-$n"
    ctr_ -n "$NS" snapshots prepare "$ID-b-$n" "$ID-c-$n" >/dev/null
    ctr_ -n "$NS" snapshots rm "$ID-b-$n"
    ctr_ -n "$NS" snapshots rm "$ID-c-$n"
    n=$((n + 1))
  done
  echo "$n" > "$COUNTS/snapshot"
}

container_loop() {
  local n=0
  while [ ! -e "$STOP" ]; do
    ctr_ -n "$NS" containers create "$LATEST" "$ID-ct-$n" /bin/true
    ctr_ -n "$NS" containers rm "$ID-ct-$n"
    n=$((n + 1))
  done
  echo "$n" > "$COUNTS/container"
}

lease_loop() {
  local n=0 sync
  while [ ! -e "$STOP" ]; do
    case $((n % 3)) in
      0) ctr_ -n "$NS" leases create --id "$ID-l-$n" crifs.churn=plain >/dev/null ;;
      1) ctr_ -n "$NS" leases create --id "$ID-l-$n" -x 1s >/dev/null ;;
      2) ctr_ -n "$NS" leases create --id "$ID-l-$n" containerd.io/gc.flat=yes >/dev/null ;;
    esac
    sync=()
    [ $((n % 2)) = 0 ] && sync=(--sync)
    # the lease expiring in 1 s may be gone already: a GC pass removes expired leases
    ctr_ -n "$NS" leases delete "${sync[@]}" "$ID-l-$n" >/dev/null 2>&1 || [ $((n % 3)) = 1 ]
    n=$((n + 1))
  done
  echo "$n" > "$COUNTS/lease"
}

pids=()
for loop in import_loop ingest_loop snapshot_loop container_loop lease_loop; do
  $loop &
  pids+=($!)
done
# SIGTERM (90-teardown.sh) ends the loops too, after their current cycle
trap 'touch "$STOP"' TERM INT
failed=0
for p in "${pids[@]}"; do
  while :; do
    rc=0
    wait "$p" || rc=$?
    # a signal interrupted wait (rc > 128) while the loop still runs: wait again
    if [ "$rc" -gt 128 ] && kill -0 "$p" 2>/dev/null; then continue; fi
    break
  done
  [ "$rc" = 0 ] || failed=1
done
[ "$failed" = 0 ] || { echo "71-churn-gc.sh: a churn loop failed" >&2; exit 1; }
# as in 70-churn.sh: a synchronous GC pass removes the dirs of the last removed snapshots
ctr_ -n "$NS" leases create --id "$ID-gc" >/dev/null
ctr_ -n "$NS" leases delete --sync "$ID-gc" >/dev/null
total=0
for kind in import ingest snapshot container lease; do
  c=$(cat "$COUNTS/$kind")
  echo "$kind=$c"
  total=$((total + c))
done
echo "cycles=$total"
sed 's/^/unprotected=/' "$COUNTS/unprotected"
