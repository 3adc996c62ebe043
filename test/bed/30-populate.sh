#!/bin/bash
# test/bed/30-populate.sh: fill the running bed containerd (20-containerd-start.sh) with state and write
# what it made to $FACTS:
#   default  images bb:latest, bb:small, bb:index (--index-name); namespace label crifs.test=yes
#            crifs-run-<tag>      running task (sleep), label app=demo
#            crifs-created-<tag>  container from bb:small, no task
#            crifs-exited-<tag>   task STOPPED with exit status 3 after changing /data: its upper dir holds
#                                 a new file, a whiteout and an opaque dir written by the kernel, and
#                                 data/sparse-upper.img, 1 GiB apparent and truly sparse (unlike the
#                                 unpacked data/sparse.img of layer 1, see 10-image.sh)
#            crifs-view           view snapshot of bb:latest's top layer (labelled gc.root: see below)
#            crifs-active         active snapshot on bb:latest's top layer (ctr adds gc.root itself)
#            leases crifs-lease (no expiry) and crifs-lease-1h (gc.expire +1 h)
#   k8s.io   images bb:latest, bb:small (+ the CRI plugin's sha256:<config> records)
#            crifs-k8s-run-<tag>  running task (sleep)
# Container ids carry the bed tag because runc state (/run/containerd/runc/<ns>/<id>) and cgroups
# (/<ns>/<id>) are shared by every containerd on the host.
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_bed

RUN=crifs-run-$BED_TAG
CREATED=crifs-created-$BED_TAG
EXITED=crifs-exited-$BED_TAG
K8SRUN=crifs-k8s-run-$BED_TAG
LATEST=docker.io/library/bb:latest
SMALL=docker.io/library/bb:small

# the host side of data/host-only-link
mkdir -p "$(dirname "$HOSTONLY")"
echo "crifs host-only secret $BED_TAG" > "$HOSTONLY"

ctr_ -n default images import --base-name docker.io/library/bb --index-name docker.io/library/bb:index \
  "$OCI_ARCHIVE" >/dev/null
ctr_ -n k8s.io images import --base-name docker.io/library/bb "$OCI_ARCHIVE" >/dev/null

ctr_ -n default run -d --label app=demo "$LATEST" "$RUN" /bin/sleep 1000000 >/dev/null
ctr_ -n default containers create "$SMALL" "$CREATED" /bin/sh
ctr_ -n default run -d "$LATEST" "$EXITED" /bin/sh -c \
  'echo written > /data/written.txt; rm /data/layer2.txt; rm -rf /data/replaced; mkdir /data/replaced;
   echo n > /data/replaced/n.txt; truncate -s 1G /data/sparse-upper.img; exit 3' >/dev/null
ctr_ -n k8s.io run -d "$LATEST" "$K8SRUN" /bin/sleep 1000000 >/dev/null

status_of() { ctr_ -n "$1" tasks ls | awk -v id="$2" '$1 == id { print $3 }'; }
is_status() { [ "$(status_of "$1" "$2")" = "$3" ]; }
wait_for 10 is_status default "$EXITED" STOPPED
wait_for 10 is_status default "$RUN" RUNNING
wait_for 10 is_status k8s.io "$K8SRUN" RUNNING

# the container snapshots' parent is the chain id of bb:latest's top layer
TOP=$(ctr_ -n default snapshots ls | awk -v id="$RUN" '$1 == id { print $2 }')
SMALLTOP=$(ctr_ -n default snapshots ls | awk -v id="$CREATED" '$1 == id { print $2 }')
# a view has no gc.root label, so any GC pass (e.g. from a churn loop) would remove it: pin it. ctr holds the
# view by a temporary lease that it deletes on exit, and that deletion schedules a GC pass: one that runs
# before the label lands takes the view (seen on containerd 1.7, "snapshot crifs-view does not exist"), so
# make it again until the label holds it
pinned=
for _ in 1 2 3 4 5; do
  ctr_ -n default snapshots view crifs-view "$TOP" >/dev/null 2>&1 || true
  if ctr_ -n default snapshots label crifs-view "containerd.io/gc.root=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >/dev/null 2>&1; then
    pinned=yes
    break
  fi
done
[ -n "$pinned" ] || { echo "bed: cannot pin the view crifs-view: a GC pass took it 5 times" >&2; exit 1; }
ctr_ -n default snapshots prepare crifs-active "$TOP" >/dev/null
ctr_ -n default leases create --id crifs-lease --expires 0 >/dev/null
ctr_ -n default leases create --id crifs-lease-1h --expires 1h >/dev/null
ctr_ namespaces label default crifs.test=yes

# snapshot dir ids (snapshots/<id>/fs): layers nearest-first from the lowerdir of a mount
SN=$CTD_ROOT/io.containerd.snapshotter.v1.overlayfs/snapshots
lower_ids() { ctr_ -n "$1" snapshots mounts /x "$2" | grep -o 'lowerdir=[^ ,]*' | grep -o 'snapshots/[0-9]*/fs' | cut -d/ -f2 | paste -sd, -; }
upper_id() { ctr_ -n "$1" snapshots mounts /x "$2" | grep -o 'upperdir=[^ ,]*' | grep -o 'snapshots/[0-9]*/fs' | cut -d/ -f2; }
pid_of() { ctr_ -n "$1" tasks ls | awk -v id="$2" '$1 == id { print $2 }'; }

fact containerd.pid "$(cat "$CTD_PIDFILE")"
fact container.running "$RUN"
fact container.created "$CREATED"
fact container.exited "$EXITED"
fact container.exitStatus 3
fact container.k8sRunning "$K8SRUN"
fact task.running.pid "$(pid_of default "$RUN")"
fact task.k8sRunning.pid "$(pid_of k8s.io "$K8SRUN")"
fact sparse.upperPath data/sparse-upper.img
fact sparse.upperSize $((1024 * 1024 * 1024))
fact snapshot.view crifs-view
fact snapshot.active crifs-active
fact snapshot.topChainId "$TOP"
fact snapshot.smallTopChainId "$SMALLTOP"
fact snapshotDirs.defaultLayers "$(lower_ids default "$RUN")"
fact snapshotDirs.k8sLayers "$(lower_ids k8s.io "$K8SRUN")"
fact snapshotDir.running "$(upper_id default "$RUN")"
fact snapshotDir.exited "$(upper_id default "$EXITED")"
fact snapshotDir.created "$(upper_id default "$CREATED")"
fact snapshotDir.k8sRunning "$(upper_id k8s.io "$K8SRUN")"
fact snapshotDir.active "$(upper_id default crifs-active)"
fact lease.forever crifs-lease
fact lease.expiring crifs-lease-1h
fact namespace.label crifs.test=yes
fact snapshotsDir "$SN"
