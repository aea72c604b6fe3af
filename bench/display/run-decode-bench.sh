#!/bin/sh
# Decode -> display user-space CPU per frame (bench/display/decode-bench) in
# one VM boot per kernel, QEMU counting instructions (-icount 3), vicodec
# and vkms built from Debian's linux-source beside cirrus.
# usage: bench/display/run-decode-bench.sh BUILD_DIR [KERNEL...] [-- N1 N2 REPEAT]
set -eu
build=$(realpath "$1")
shift
kernels=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	kernels="$kernels $1"
	shift
done
[ $# -gt 0 ] && shift
[ -n "$kernels" ] || kernels="6.12 6.1"
here=$(cd "$(dirname "$0")" && pwd)
runner=$here/../../tools/vm/vm-run
for k in $kernels; do
	echo "=== kernel $k"
	# GST_PLUGIN_PATH in vm-run's environment: the guest then gets the
	# registry the VM tests left (a scan under -icount takes minutes)
	GST_PLUGIN_PATH="$build/gst" "$runner" --build-dir "$build" --kernel "$k" \
		--display --source-modules vicodec,vkms ${ICOUNT:---icount 3} --timeout 2400 -- \
		"$here/decode-bench" "$build/examples/fwht-encode" "$@"
done
