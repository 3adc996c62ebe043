#!/bin/bash
# test/bed/docker/30-populate.sh: fill the running bed dockerd with state and write what it made to $DFACTS.
#   images      bb:latest (4 layers) and bb:small (layers 1-2), loaded from docker archives that skopeo made
#               from the containerd bed's OCI archive ($1); bb:committed = bb:latest + dc-exited's changes
#   containers  dc-run-<tag>      running (sleep)
#               dc-created-<tag>  created from bb:small, never started
#               dc-exited-<tag>   exited with status 3 after changing /data and printing a line (its json-file
#                                 log is not empty); committed as bb:committed
# Usage: 30-populate.sh <oci-archive holding the tags latest and small>
set -euo pipefail
. "$(dirname "$0")/common.sh"
OCI=${1:?usage: 30-populate.sh OCI_ARCHIVE}

RUN=dc-run-$DBED_TAG
CREATED=dc-created-$DBED_TAG
EXITED=dc-exited-$DBED_TAG
rm -f "$CRIFS_DBED/bb-docker.tar" "$CRIFS_DBED/bb-small-docker.tar"
skopeo copy -q "oci-archive:$OCI:latest" "docker-archive:$CRIFS_DBED/bb-docker.tar:bb:latest"
skopeo copy -q "oci-archive:$OCI:small" "docker-archive:$CRIFS_DBED/bb-small-docker.tar:bb:small"
# on stdin: a chrooted client (docker 26) does not see the work dir
dk load -q < "$CRIFS_DBED/bb-docker.tar" >/dev/null
dk load -q < "$CRIFS_DBED/bb-small-docker.tar" >/dev/null

dk run -d --network none --name "$RUN" bb:latest /bin/sleep 1000000 >/dev/null
dk create --network none --name "$CREATED" bb:small /bin/sh >/dev/null
dk run --network none --name "$EXITED" bb:latest /bin/sh -c \
  'echo written > /data/written.txt; rm /data/layer2.txt; rm -rf /data/replaced; mkdir /data/replaced;
   echo n > /data/replaced/n.txt; echo crifs-exited-log-line; exit 3' >/dev/null || [ $? -eq 3 ]
dk commit "$EXITED" bb:committed >/dev/null

is_running() { [ "$(dk inspect -f '{{.State.Running}}' "$1")" = true ]; }
wait_for 10 is_running "$RUN"

dfact image.latest bb:latest
dfact image.small bb:small
dfact image.committed bb:committed
dfact container.running "$RUN"
dfact container.created "$CREATED"
dfact container.exited "$EXITED"
dfact container.exitStatus "$(dk inspect -f '{{.State.ExitCode}}' "$EXITED")"
dfact task.running.pid "$(dk inspect -f '{{.State.Pid}}' "$RUN")"
dfact container.runningId "$(dk inspect -f '{{.Id}}' "$RUN")"
dfact container.createdId "$(dk inspect -f '{{.Id}}' "$CREATED")"
dfact container.exitedId "$(dk inspect -f '{{.Id}}' "$EXITED")"
# bb:committed's own layer: the chain id of its last diff id (chainN = sha256("chainN-1 diffN"))
chain=""
for d in $(dk image inspect -f '{{range .RootFS.Layers}}{{.}} {{end}}' bb:committed); do
  if [ -z "$chain" ]; then chain=$d; else chain=sha256:$(printf '%s %s' "$chain" "$d" | sha256sum | cut -d' ' -f1); fi
done
dfact image.committedTopChainId "$chain"
dfact serverVersion "$(dk version -f '{{.Server.Version}}')"
