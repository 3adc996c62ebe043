#!/bin/bash
# test/bed/docker/60-fault.sh: inject (or undo) one overlay2 fault of the list below, with dockerd
# stopped or running; prints what it did as key=value lines (also appended to $DFACTS). Docker repairs none
# of these, not even across a restart.
#   missing-link     D1: remove overlay2/l/<short> of the base layer (bb:small's and bb:latest's layer 1);
#                    every mount using it fails. Do it after every `docker inspect` of a container: inspect
#                    readlinks each lower and fails too.
#   restore-link     put that link back (../<cache-id>/diff, as dockerd writes it)
#   container-layer  D3: remove overlay2/<mount-id> of the created container
#   image-layer      D4: remove overlay2/<cache-id> of bb:committed's own (top) layer
# The orphan "<id>-init" dir (D2) is made for real by the suite: a `docker run` while missing-link is in place.
set -euo pipefail
. "$(dirname "$0")/common.sh"
O=$DKROOT/overlay2
LDB=$DKROOT/image/overlay2/layerdb
say() { printf '%s=%s\n' "$1" "$2"; dfact "$1" "$2"; }

base_chain() { for c in "$LDB"/sha256/*; do [ -f "$c/parent" ] || basename "$c"; done | head -1; }
case "${1:?usage: 60-fault.sh missing-link|restore-link|container-layer|image-layer}" in
  missing-link)
    B=$(base_chain); CACHE=$(cat "$LDB/sha256/$B/cache-id"); L=$(cat "$O/$CACHE/link")
    rm "$O/l/$L"
    say fault.link "$O/l/$L"; say fault.linkCacheId "$CACHE"; say fault.linkChainId "sha256:$B"
    ;;
  restore-link)
    B=$(base_chain); CACHE=$(cat "$LDB/sha256/$B/cache-id"); L=$(cat "$O/$CACHE/link")
    [ -L "$O/l/$L" ] || ln -s "../$CACHE/diff" "$O/l/$L"
    say fault.restoredLink "$O/l/$L"
    ;;
  container-layer)
    ID=$(awk -F= '$1 == "container.createdId" { v = $2 } END { print v }' "$DFACTS")
    M=$(cat "$LDB/mounts/$ID/mount-id"); rm -rf "${O:?}/$M"
    say fault.containerLayer "$O/$M"
    ;;
  image-layer)
    TOP=$(awk -F= '$1 == "image.committedTopChainId" { v = $2 } END { print v }' "$DFACTS")
    CACHE=$(cat "$LDB/sha256/${TOP#sha256:}/cache-id"); rm -rf "${O:?}/$CACHE"
    say fault.imageLayer "$O/$CACHE"; say fault.imageLayerChainId "$TOP"
    ;;
  *) echo "60-fault.sh: unknown fault $1" >&2; exit 2 ;;
esac
