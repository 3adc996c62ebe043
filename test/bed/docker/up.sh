#!/bin/bash
# test/bed/docker/up.sh: build a whole docker bed: a private dockerd, populated from the given OCI archive
# (the containerd bed's $OCI_ARCHIVE: tags latest and small). On failure the half-built bed stays for
# inspection; remove it with 90-teardown.sh.
# Usage: CRIFS_DBED=<dir> up.sh <oci-archive>
set -euo pipefail
. "$(dirname "$0")/common.sh"
mkdir -p "$CRIFS_DBED"
: > "$DFACTS"
dfact work "$CRIFS_DBED"
dfact tag "$DBED_TAG"
if [ "$DOCKER_VERSION" != 20.10 ]; then
  mkdir -p "$DKROOT" "$DKEXEC"
  case $DOCKER_VERSION in
    26) echo '{}' > "$DKCONF" ;;
    26-containerd) echo '{"features": {"containerd-snapshotter": true}}' > "$DKCONF" ;;
  esac
  trixie_up "$CRIFS_DBED" "$DK"
fi
dfact version "$DOCKER_VERSION"
"$(dirname "$0")/20-dockerd-start.sh"
"$(dirname "$0")/30-populate.sh" "${1:?usage: up.sh OCI_ARCHIVE}"
echo "CRIFS_DBED=$CRIFS_DBED"
