#!/bin/bash
# test/bed/70-churn.sh NS STOPFILE: create and remove containers and snapshots in namespace NS as fast as
# ctr allows, until STOPFILE exists; then print "cycles=<n>" (complete cycles) and exit 0. Prints "ready"
# once its setup is done (Churn.ready in bed.ts).
# One cycle: create a container from bb:latest, prepare an active snapshot on its top layer, remove the
# snapshot, remove the container (each removal lets containerd's GC run). A cycle is never cut short, so
# a stopped loop leaves nothing behind. Imports bb:latest into NS first if NS lacks it.
# Ids carry the bed tag and this loop's pid, so several loops (and beds) can run at once.
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_bed
NS=$1
STOP=$2
mkdir -p "$CRIFS_BED/churn"
echo $$ > "$CRIFS_BED/churn/$$.pid"
trap 'rm -f "$CRIFS_BED/churn/$$.pid"' EXIT
LATEST=docker.io/library/bb:latest
if ! ctr_ -n "$NS" images ls -q | grep -qxF "$LATEST"; then
  ctr_ -n "$NS" images import --base-name docker.io/library/bb "$OCI_ARCHIVE" >/dev/null
  # the import leaves the archive's index blob unreferenced (no image names it once ctr's lease is gone)
  # until containerd's next GC pass, which its scheduler may delay by seconds: true garbage that doctor
  # --grace 0 rightly reports. A synchronous pass takes it before the loop says it is ready
  ctr_ -n "$NS" leases create --id "crifs-churn-$BED_TAG-$$-gc" >/dev/null
  ctr_ -n "$NS" leases delete --sync "crifs-churn-$BED_TAG-$$-gc" >/dev/null
fi
# the chain id of the top layer: a throwaway container's snapshot names it as its parent
ID=crifs-churn-$BED_TAG-$$
ctr_ -n "$NS" containers create "$LATEST" "$ID-probe" /bin/true
TOP=$(ctr_ -n "$NS" snapshots ls | awk -v id="$ID-probe" '$1 == id { print $2 }')
ctr_ -n "$NS" containers rm "$ID-probe"
echo ready
n=0
while [ ! -e "$STOP" ]; do
  ctr_ -n "$NS" containers create "$LATEST" "$ID-$n" /bin/true
  ctr_ -n "$NS" snapshots prepare "$ID-snap-$n" "$TOP" >/dev/null
  ctr_ -n "$NS" snapshots rm "$ID-snap-$n"
  ctr_ -n "$NS" containers rm "$ID-$n"
  n=$((n + 1))
done
# the overlayfs snapshotter removes a snapshot's dir only in the cleanup after a GC pass: a containerd stopped
# right after the loop kept the last one as an orphan dir (seen by the hostroot suite). A synchronous pass
# runs that cleanup before the loop reports, so nothing is left behind on disk either
ctr_ -n "$NS" leases create --id "$ID-gc" >/dev/null
ctr_ -n "$NS" leases delete --sync "$ID-gc" >/dev/null
echo "cycles=$n"
