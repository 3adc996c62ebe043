#!/bin/bash
# test/bed/podman/up.sh: a podman store on a private root (overlay driver) with the bed's two images and
# three containers: running (sleep), created (never started), exited (wrote, deleted and replaced files).
# No daemon: every pm call is a whole podman process. Records ids in $PODMAN_BED/facts.
set -euo pipefail
. "$(dirname "$0")/common.sh"
: "${OCI_ARCHIVE:?set OCI_ARCHIVE to the bb-oci.tar of the bed}"
mkdir -p "$PMROOT" "$PMRUN" "$PMTMP"
: > "$PMFACTS"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' "$PMROOT" "$PMRUN" > "$PMCONF"
if [ "$PODMAN_VERSION" = 5 ]; then
  printf '[storage.options.overlay]\nskip_mount_home = "true"\n' >> "$PMCONF"
  cp "$OCI_ARCHIVE" "$PMTMP/bb-oci.tar" # the chrooted podman sees the bed's dirs only
  OCI_ARCHIVE=$PMTMP/bb-oci.tar
  trixie_up "$PODMAN_BED" "$PMROOT" "$PMRUN" "$PMTMP"
  touch "$PODMAN_BED/trixie/root$PMCONF" && mount --bind "$PMCONF" "$PODMAN_BED/trixie/root$PMCONF"
fi
# 'podman load' rejects an OCI archive holding two images: pull each tag (it names it localhost/<tag>)
pm pull -q "oci-archive:$OCI_ARCHIVE:latest" >/dev/null
pm tag localhost/latest:latest localhost/bb:latest
pm rmi localhost/latest:latest >/dev/null
pm pull -q "oci-archive:$OCI_ARCHIVE:small" >/dev/null
pm tag localhost/small:latest localhost/bb:small
pm rmi localhost/small:latest >/dev/null
# podman's default rlimits fail where root lacks CAP_SYS_RESOURCE
U=(--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
pmfact running "$(pm run -d "${U[@]}" --name "pr-$PM_TAG" localhost/bb:latest /bin/sleep 1000000)"
pmfact created "$(pm create "${U[@]}" --name "pc-$PM_TAG" localhost/bb:small /bin/sh)"
pm run "${U[@]}" --name "pe-$PM_TAG" localhost/bb:latest /bin/sh -c \
  'echo hi > /data/written.txt; rm -f /data/layer2.txt; rm -rf /data/replaced; mkdir /data/replaced' >/dev/null
pmfact exited "$(pm inspect --format '{{.Id}}' "pe-$PM_TAG")"
pmfact tag "$PM_TAG"
pmfact version "$(pm version --format '{{.Client.Version}}')"
