#!/bin/bash
# scripts/make-sample.sh: re-make sample/containerd-root.tar.gz, the small real containerd root bundled
# with crifs (what `crifs audit` reads on a host without a runtime). Needs root and the test bed's
# packages (containerd, runc, umoci, attr); runs a private containerd through test/bed's scripts and
# leaves nothing behind. See sample/README.md for what the store holds.
#
#   image docker.io/library/sample:latest (3 layers, no binaries) and :base (layer 1)
#     layer 1  etc/passwd, etc/hostname, data/hl1 + data/hl2 (hard links), data/todelete.txt,
#              data/opq/{a.txt,sub/b.txt}, data/keep.txt, data/sparse.img (256 KiB, 3 small writes;
#              containerd's unpack allocates it in full),
#              data/abs-link -> /etc/passwd, data/rel-link -> ../etc/passwd,
#              data/host-only-link -> /tmp/crifs-host-only-sample/secret (outside the image)
#     layer 2  umoci: whiteout of data/todelete.txt, data/layer2.txt, a changed etc/passwd
#     layer 3  hand-made tar: opaque marker data/opq/.wh..wh..opq + data/opq/new.txt
#   default  images latest, base, index (--index-name); namespace label crifs.sample=yes
#            containers sample-c1 (latest; its upper dir was written through a real overlay mount:
#            a new file, a whiteout, an opaque dir, a truly sparse 1 MiB file) and sample-c2 (base); no tasks
#            view snapshot sample-view (gc.root), active snapshot sample-active, lease sample-lease
#   k8s.io   images latest, base (+ the CRI plugin's sha256:<config> records); container sample-k1
#   leftovers, so a newcomer's first audit shows a repair plan (doctor finds each; `crifs repair` mends them):
#            a partial content write (ctr content ingest cut at 3000 of 5000 bytes: a stale ingest), and,
#            planted with containerd stopped as the test bed plants its faults, a leaked snapshot dir
#            snapshots/99 (fs/ with three files, work/) and an interrupted prepare snapshots/new-2937465021
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPO/sample/containerd-root.tar.gz

CRIFS_BED=$(mktemp -d /var/tmp/crifs-sample.XXXXXX)
export CRIFS_BED
trap '"$REPO/test/bed/90-teardown.sh"' EXIT
. "$REPO/test/bed/common.sh"
HOSTONLY_SAMPLE=/tmp/crifs-host-only-sample/secret
# the first $2 bytes of $1 repeated, one per line (yes's SIGPIPE is not a failure here)
repeat() { yes "$1" | head -c "$2" || true; }

# --- image
mkdir -p "$IMG"
cd "$IMG"
umoci init --layout L
umoci new --image L:latest
umoci unpack --rootless --image L:latest B >/dev/null
R=B/rootfs
mkdir -p $R/etc $R/data/opq/sub
echo 'root:x:0:0:root:/root:/bin/sh' > $R/etc/passwd
echo sample > $R/etc/hostname
echo 'hard linked' > $R/data/hl1
ln $R/data/hl1 $R/data/hl2
echo 'to be deleted' > $R/data/todelete.txt
echo 'old a' > $R/data/opq/a.txt
echo 'old b' > $R/data/opq/sub/b.txt
echo 'keep' > $R/data/keep.txt
truncate -s 256K $R/data/sparse.img
printf 'head' | dd of=$R/data/sparse.img conv=notrunc status=none
printf 'middle' | dd of=$R/data/sparse.img bs=4096 seek=32 conv=notrunc status=none
printf 'tail' | dd of=$R/data/sparse.img bs=1 seek=$((256 * 1024 - 4)) conv=notrunc status=none
ln -s /etc/passwd $R/data/abs-link
ln -s ../etc/passwd $R/data/rel-link
ln -s "$HOSTONLY_SAMPLE" $R/data/host-only-link
umoci repack --refresh-bundle --image L:latest B
umoci tag --image L:latest base
rm $R/data/todelete.txt
echo 'layer2' > $R/data/layer2.txt
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n' > $R/etc/passwd
umoci repack --refresh-bundle --image L:latest B
mkdir -p T/data/opq
: > T/data/opq/.wh..wh..opq
echo 'after opaque' > T/data/opq/new.txt
tar -C T --numeric-owner --owner=0 --group=0 -cf opq.tar data
umoci raw add-layer --image L:latest opq.tar
for t in latest base; do umoci config --image L:$t --config.cmd /app; done
umoci gc --layout L
tar -C L -cf "$OCI_ARCHIVE" .

# --- containerd state
"$BED_DIR/20-containerd-start.sh"
ctr_ -n default images import --base-name docker.io/library/sample --index-name docker.io/library/sample:index \
  "$OCI_ARCHIVE" >/dev/null
ctr_ -n k8s.io images import --base-name docker.io/library/sample "$OCI_ARCHIVE" >/dev/null
ctr_ -n default containers create docker.io/library/sample:latest sample-c1
ctr_ -n default containers create docker.io/library/sample:base sample-c2
ctr_ -n k8s.io containers create docker.io/library/sample:latest sample-k1
# change sample-c1's rootfs through a real overlay mount, so the kernel writes the upper dir
M=$CRIFS_BED/mnt
mkdir -p "$M"
eval "$(ctr_ -n default snapshots mounts "$M" sample-c1)"
echo written > "$M/data/written.txt"
rm "$M/data/keep.txt"
rm -rf "$M/data/opq"
mkdir "$M/data/opq"
echo n > "$M/data/opq/n.txt"
truncate -s 1M "$M/data/sparse-upper.img"
umount "$M"
TOP=$(ctr_ -n default snapshots ls | awk '$1 == "sample-c1" { print $2 }')
ctr_ -n default snapshots view sample-view "$TOP" >/dev/null
ctr_ -n default snapshots label sample-view "containerd.io/gc.root=2026-01-01T00:00:00Z" >/dev/null
ctr_ -n default snapshots prepare sample-active "$TOP" >/dev/null
ctr_ -n default leases create --id sample-lease --expires 0 >/dev/null
ctr_ namespaces label default crifs.sample=yes
# a pull cut short: 3000 of 5000 expected bytes written, then the client went away (fixed bytes: the same
# digest on every re-make)
repeat 'crifs sample partial blob' 5000 > "$CRIFS_BED/part.bin"
head -c 3000 "$CRIFS_BED/part.bin" | ctr_ -n default content ingest --expected-size 5000 \
  --expected-digest "sha256:$(sha256sum "$CRIFS_BED/part.bin" | cut -d' ' -f1)" sample-partial-ref >/dev/null 2>&1 || true
ctr_ -n default images ls -q
ctr_ -n default snapshots ls
"$BED_DIR/80-containerd-stop.sh"

# --- leftovers planted with containerd stopped (what a crash between the snapshotter's mkdir and its bolt
# commit leaves: a dir no record names; and a prepare killed before its rename: new-<digits>)
SN=$CTD_ROOT/io.containerd.snapshotter.v1.overlayfs/snapshots
mkdir -p "$SN/99/fs/var/cache/app" "$SN/99/work"
for f in a b c; do repeat "leaked $f" 20000 > "$SN/99/fs/var/cache/app/$f.bin"; done
mkdir -p "$SN/new-2937465021/fs" "$SN/new-2937465021/work"
# a fixed, old time: they are leftovers of a past crash, well past doctor's grace period
find "$SN/99" "$SN/new-2937465021" -exec touch -h -d '2026-01-02 03:04:05' {} +

# --- pack: root/ as it is, plus the config with the work dir replaced by a placeholder
mkdir -p "$CRIFS_BED/pack" "$(dirname "$OUT")"
sed "s|$CTD|@SAMPLE@|g" "$CTD_CONFIG" > "$CRIFS_BED/pack/config.toml"
# -S keeps the real holes (data/sparse-upper.img) as holes; the unpacked sparse.img copies have none
tar --xattrs --xattrs-include='trusted.*' --numeric-owner --sort=name -S -czf "$OUT" \
  -C "$CTD" root -C "$CRIFS_BED/pack" config.toml
ls -l "$OUT"
