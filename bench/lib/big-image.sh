#!/bin/sh
# Makes a ~10x bigger copy of the Debian test image: the same OCI layout plus N layers of filler
# files (random, so gzip cannot shrink them to nothing). Usage: big-image.sh SRC_OCI_DIR OUT N MB
set -eu
SRC=$1; OUT=$2; N=$3; MB=$4
cp -a "$SRC" "$OUT/oci"
i=1
while [ "$i" -le "$N" ]; do
  umoci unpack --image "$OUT/oci:test" "$OUT/b" >/dev/null
  mkdir -p "$OUT/b/rootfs/filler/$i"
  j=0
  while [ "$j" -lt "$MB" ]; do
    head -c 1048576 /dev/urandom >"$OUT/b/rootfs/filler/$i/f$j.bin"
    j=$((j + 1))
  done
  umoci repack --image "$OUT/oci:test" --history.created_by "filler layer $i" "$OUT/b"
  rm -rf "$OUT/b"
  i=$((i + 1))
done
umoci gc --layout "$OUT/oci"
skopeo copy -q oci:"$OUT/oci":test docker-archive:"$OUT/image.tar":portcullis/debian:big
