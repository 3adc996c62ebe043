#!/bin/bash
# test/bed/10-image.sh: build the 4-layer OCI image bb:latest (+ the 2-layer tag bb:small) offline with
# umoci and busybox-static, and export it as one OCI archive ($OCI_ARCHIVE) holding both tags.
#
#   layer 1  busybox + applet links (relative "busybox"), /usr/bin/env -> /bin/busybox (absolute),
#            /etc/passwd, hard-linked data/hl1 + data/hl2, data/todelete.txt, data/replaced/{a.txt,sub/b.txt},
#            data/keepdir/k.txt, data/sparse.img (sparse on the build host; see SPARSE_SIZE)
#   layer 2  whiteout of data/todelete.txt, data/abs-link -> /etc/passwd, data/rel-link -> ../etc/passwd,
#            data/host-only-link -> $HOSTONLY (exists only on the host), data/layer2.txt, new etc/passwd
#            (bb:small = layers 1-2)
#   layer 3  data/replaced replaced: umoci writes per-entry whiteouts (.wh.a.txt, .wh.sub), data/replaced/c.txt
#   layer 4  hand-made tar: opaque marker data/keepdir/.wh..wh..opq + data/keepdir/new.txt
set -euo pipefail
. "$(dirname "$0")/common.sh"

# Apparent size of data/sparse.img. The tar layer is sparse-free (Go's archive/tar writes the zeros, gzip
# squeezes them) and containerd's unpack writes every zero byte, so each namespace's unpacked copy is
# fully allocated: 1 GiB would cost 2 GiB of disk and ~10 s per bed. 64 MiB keeps the bed cheap.
SPARSE_SIZE=$((64 * 1024 * 1024))

rm -rf "$IMG"
mkdir -p "$IMG"
cd "$IMG"
umoci init --layout L
umoci new --image L:latest
umoci unpack --rootless --image L:latest B >/dev/null
R=B/rootfs

# layer 1
mkdir -p $R/bin $R/etc $R/usr/bin $R/tmp $R/root $R/data/replaced/sub $R/data/keepdir
cp /bin/busybox $R/bin/busybox
for a in $BB_APPLETS; do ln -s busybox "$R/bin/$a"; done
ln -s /bin/busybox $R/usr/bin/env
echo 'root:x:0:0:root:/root:/bin/sh' > $R/etc/passwd
echo 'root:x:0:' > $R/etc/group
echo 'to be deleted' > $R/data/todelete.txt
echo 'old a' > $R/data/replaced/a.txt
echo 'old b' > $R/data/replaced/sub/b.txt
echo 'keep' > $R/data/keepdir/k.txt
echo 'hard linked content' > $R/data/hl1
ln $R/data/hl1 $R/data/hl2
truncate -s $SPARSE_SIZE $R/data/sparse.img
# a few KB of data: at the start, in the middle, and the last bytes
printf 'crifs-sparse-head\n' | dd of=$R/data/sparse.img conv=notrunc status=none
head -c 4096 /dev/urandom | dd of=$R/data/sparse.img bs=4096 seek=$((SPARSE_SIZE / 2 / 4096)) conv=notrunc status=none
printf 'crifs-sparse-tail\n' | dd of=$R/data/sparse.img bs=1 seek=$((SPARSE_SIZE - 18)) conv=notrunc status=none
umoci repack --refresh-bundle --image L:latest B

# layer 2
rm $R/data/todelete.txt
ln -s /etc/passwd $R/data/abs-link
ln -s ../etc/passwd $R/data/rel-link
ln -s "$HOSTONLY" $R/data/host-only-link
echo 'layer2' > $R/data/layer2.txt
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n' > $R/etc/passwd
umoci repack --refresh-bundle --image L:latest B
umoci tag --image L:latest small

# layer 3: without --refresh-bundle each repack would diff against the first unpack instead of stacking
rm -rf $R/data/replaced
mkdir -p $R/data/replaced
echo 'new c' > $R/data/replaced/c.txt
umoci repack --refresh-bundle --image L:latest B

# layer 4: umoci never writes .wh..wh..opq, so this layer is a hand-made tar
mkdir -p T/data/keepdir
: > T/data/keepdir/.wh..wh..opq
echo 'after opaque' > T/data/keepdir/new.txt
tar -C T --numeric-owner --owner=0 --group=0 -cf opq.tar data
umoci raw add-layer --image L:latest opq.tar

for t in latest small; do
  umoci config --image L:$t --config.cmd /bin/sh --config.env PATH=/usr/bin:/bin
done
umoci gc --layout L
tar -C L -cf "$OCI_ARCHIVE" .
# the unpacked bundle is ~1 sparse file + busybox; drop it, the archive is what the bed imports
rm -rf B T
fact image.latest docker.io/library/bb:latest
fact image.small docker.io/library/bb:small
fact image.index docker.io/library/bb:index
fact sparse.layerPath data/sparse.img
fact sparse.layerSize $SPARSE_SIZE
fact hostOnlyTarget "$HOSTONLY"
