#!/bin/bash
# test/bed/up.sh: build a whole bed: image, containerd, state. Prints CRIFS_BED=<dir> on stdout last.
# CRIFS_CONTAINERD=1.6|1.7|2.1 picks the containerd (default 1.6, Debian 12's; see containerd-fetch.sh).
# On failure the half-built bed stays for inspection; remove it with 90-teardown.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"
mkdir -p "$CRIFS_BED"
: > "$FACTS"
fact work "$CRIFS_BED"
fact tag "$BED_TAG"
mkdir -p "$CTD"
"$BED_DIR/containerd-fetch.sh" "${CRIFS_CONTAINERD:-1.6}" > "$CTD/bindir"
export PATH="$(cat "$CTD/bindir"):$PATH"
fact containerd.bindir "$(cat "$CTD/bindir")"
# "containerd github.com/containerd/containerd 1.7.24~ds1 …": the third word, without a leading v
fact containerd.version "$(containerd --version | awk '{ sub(/^v/, "", $3); print $3 }')"
"$BED_DIR/10-image.sh"
"$BED_DIR/20-containerd-start.sh"
"$BED_DIR/30-populate.sh"
echo "CRIFS_BED=$CRIFS_BED"
