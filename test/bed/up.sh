#!/bin/bash
# test/bed/up.sh: build a whole bed: image, containerd, state. Prints CRIFS_BED=<dir> on stdout last.
# On failure the half-built bed stays for inspection; remove it with 90-teardown.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"
mkdir -p "$CRIFS_BED"
: > "$FACTS"
fact work "$CRIFS_BED"
fact tag "$BED_TAG"
"$BED_DIR/10-image.sh"
"$BED_DIR/20-containerd-start.sh"
"$BED_DIR/30-populate.sh"
echo "CRIFS_BED=$CRIFS_BED"
