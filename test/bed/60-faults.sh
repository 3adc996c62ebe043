#!/bin/bash
# test/bed/60-faults.sh: inject the containerd faults listed below (F1–F7) into the bed,
# plus a relative symlink to the root, and leave containerd STOPPED (shims and tasks keep running). Prints
# what it made as key=value lines on stdout (and appends them to $FACTS):
#   fault.F1.path  orphan snapshot dir snapshots/9999 (fs/orphan.txt, work/), known to neither bolt file
#   fault.F2.path  snapshots/<id> of crifs-active, removed: its records stay
#   fault.F3.path  a blob file with no record in any namespace
#   fault.F4.path  the ingest dir of a write that sent 3000 of 5000 bytes (ref crifs-partial-ref, default)
#   fault.F5.path  a plain dir left in <root>/tmpmounts
#   fault.F6.path  snapshots/<id> of snapshot "child" in namespace "faults", whose parent "base" lost its
#                  meta.db record (edited with a throwaway Go tool built on Debian's bbolt, containerd stopped)
#   fault.F7.path  the index blob of bb:index, removed: its record in "default" stays
#   fault.F8.path  snapshots/<id>/fs of bb:latest's layer 2 in "default", whose data/layer2.txt was zero-filled
#                  in place, size kept (fault.F8.file): what a power loss can leave of a fresh unpack
#   fault.rootLink a relative symlink "rootlink" -> containerd/root in the work dir
# Faults are not undone: a suite that runs this must run last (teardown removes everything).
# Needs: go and golang-github-coreos-bbolt-dev (GO111MODULE=off GOPATH=…:/usr/share/gocode).
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_bed

R=$CTD_ROOT
SN=$R/io.containerd.snapshotter.v1.overlayfs/snapshots
CS=$R/io.containerd.content.v1.content
out() { printf '%s=%s\n' "$1" "$2"; fact "$1" "$2"; }

# the bolt editor, built before anything is touched so that a missing toolchain changes nothing
G=$CRIFS_BED/gopath
mkdir -p "$G/src/boltedit" "$CRIFS_BED/bin"
cat > "$G/src/boltedit/main.go" <<'EOF'
// boltedit DB rmbucket BUCKET... NAME: delete bucket NAME below the bucket path (offline: needs the flock)
package main

import (
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

func main() {
	if len(os.Args) < 5 || os.Args[2] != "rmbucket" {
		fmt.Fprintln(os.Stderr, "usage: boltedit DB rmbucket BUCKET... NAME")
		os.Exit(2)
	}
	db, err := bolt.Open(os.Args[1], 0600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // "timeout": containerd still holds the file
		os.Exit(1)
	}
	defer db.Close()
	path, name := os.Args[3:len(os.Args)-1], os.Args[len(os.Args)-1]
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(path[0]))
		for _, p := range path[1:] {
			if b == nil {
				break
			}
			b = b.Bucket([]byte(p))
		}
		if b == nil {
			return fmt.Errorf("bucket path %q not found", path)
		}
		return b.DeleteBucket([]byte(name))
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
EOF
(cd "$G/src/boltedit" && GO111MODULE=off GOPATH="$G:/usr/share/gocode" GOCACHE="$CRIFS_BED/gocache" \
  go build -o "$CRIFS_BED/bin/boltedit" .)

# --- lookups and API-driven faults while the daemon runs
"$BED_DIR/20-containerd-start.sh"
ACTIVE_ID=$(awk -F= '$1 == "snapshotDir.active" { v = $2 } END { print v }' "$FACTS")
[ -n "$ACTIVE_ID" ] || { echo "60-faults.sh: no snapshotDir.active fact" >&2; exit 1; }
IDX=$(ctr_ -n default images ls | awk '$1 == "docker.io/library/bb:index" { print $3 }')
[ -n "$IDX" ] || { echo "60-faults.sh: no image docker.io/library/bb:index" >&2; exit 1; }

# F4 a write that stops after 3000 of 5000 expected bytes
head -c 5000 /dev/urandom > "$CRIFS_BED/part.bin"
head -c 3000 "$CRIFS_BED/part.bin" | ctr_ -n default content ingest --expected-size 5000 \
  --expected-digest "sha256:$(sha256sum "$CRIFS_BED/part.bin" | cut -d' ' -f1)" crifs-partial-ref >/dev/null 2>&1 || true
INGEST=
for d in "$CS"/ingest/*; do
  [ -f "$d/ref" ] && case "$(cat "$d/ref")" in default/*/crifs-partial-ref) INGEST=$d ;; esac
done
[ -n "$INGEST" ] || { echo "60-faults.sh: the partial ingest left no dir" >&2; exit 1; }

# F6 (set-up) committed "base" and active "child" on it, in namespace "faults"
ctr_ -n faults snapshots prepare base-active >/dev/null
ctr_ -n faults snapshots commit base base-active
ctr_ -n faults snapshots prepare child base >/dev/null
CHILD_ID=$(ctr_ -n faults snapshots mounts /x child | grep -o 'upperdir=[^,]*' | grep -o 'snapshots/[0-9]*/fs' | cut -d/ -f2)
[ -n "$CHILD_ID" ] || { echo "60-faults.sh: cannot find the dir of snapshot child" >&2; exit 1; }

# a synchronous GC first: stopping containerd in the middle of one (say, after a churn loop's last removal)
# could leave a real orphan dir that is not one of the faults
ctr_ -n faults leases create --id crifs-settle >/dev/null
ctr_ -n faults leases rm --sync crifs-settle
# --- the daemon stopped (it releases the flock on both bolt files)
"$BED_DIR/80-containerd-stop.sh"

# F6 dangling parent: base's meta.db record goes; the snapshotter keeps its own, and child still names it
"$CRIFS_BED/bin/boltedit" "$R/io.containerd.metadata.v1.bolt/meta.db" rmbucket v1 faults snapshots overlayfs base
# F1 orphan snapshot dir
mkdir -p "$SN/9999/fs" "$SN/9999/work"
echo orphan > "$SN/9999/fs/orphan.txt"
# F2 the dir of the active snapshot crifs-active
rm -rf "${SN:?}/$ACTIVE_ID"
# F3 a blob file no namespace records
printf 'crifs unreferenced blob %s\n' "$BED_TAG" > "$CRIFS_BED/unref.bin"
U=$(sha256sum "$CRIFS_BED/unref.bin" | cut -d' ' -f1)
install -m 0444 "$CRIFS_BED/unref.bin" "$CS/blobs/sha256/$U"
# F5 a plain dir in tmpmounts (containerd only cleans up mounted ones)
mkdir -p "$R/tmpmounts/containerd-mount1234567890"
# F7 the index blob of bb:index
rm -f "$CS/blobs/sha256/${IDX#sha256:}"
# F8 a committed layer file zero-filled in place (size kept), as a power loss after an unpack leaves it
L2=$(awk -F= '$1 == "snapshotDirs.defaultLayers" { v = $2 } END { print v }' "$FACTS" | cut -d, -f3)
[ -n "$L2" ] || { echo "60-faults.sh: no snapshotDirs.defaultLayers fact with a layer 2" >&2; exit 1; }
ZEROED=$SN/$L2/fs/data/layer2.txt
dd if=/dev/zero of="$ZEROED" bs=1 count="$(stat -c %s "$ZEROED")" conv=notrunc status=none
# a relative symlink to the root
ln -sfn containerd/root "$CRIFS_BED/rootlink"

out fault.F1.path "$SN/9999"
out fault.F2.path "$SN/$ACTIVE_ID"
out fault.F3.path "$CS/blobs/sha256/$U"
out fault.F4.path "$INGEST"
out fault.F5.path "$R/tmpmounts/containerd-mount1234567890"
out fault.F6.path "$SN/$CHILD_ID"
out fault.F7.path "$CS/blobs/sha256/${IDX#sha256:}"
out fault.F8.path "$SN/$L2/fs"
out fault.F8.file "$ZEROED"
out fault.rootLink "$CRIFS_BED/rootlink"
