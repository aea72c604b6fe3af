#!/bin/sh
# Runs a display benchmark in one VM boot per kernel, with QEMU counting
# instructions (-icount): the guest's clock then advances with the
# instructions it executes, not with host time, so CPU times measured in the
# guest do not depend on what else loads the host (under plain TCG they
# swing by 2x on a shared 2-core machine).
#   (default)  dmaheapsink-bench: videotestsrc into dmaheapsink and kmssink
#              on cirrus
#   --vkms     the same on vkms (built from the kernel's linux-source),
#              frames up to 1920x1080
#   --decode   decode-bench: vicodec decoding into ours and into kmssink,
#              vicodec and vkms built beside cirrus
#   --no-icount  plain TCG (decode-bench's BENCH_COUNT=instructions counts
#              with callgrind and needs no -icount)
#
# usage: bench/display/run-bench.sh [--decode | --vkms] [--no-icount] BUILD_DIR [KERNEL...] [-- BENCH ARGS]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
decode=
vkms=
icount="--icount 3"
while :; do
	case "${1:-}" in
	--decode) decode=1 ;;
	--vkms) vkms=1 ;;
	--no-icount) icount= ;;
	*) break ;;
	esac
	shift
done
build=$(realpath "$1")
shift
kernels=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	kernels="$kernels $1"
	shift
done
[ $# -gt 0 ] && shift
[ -n "$kernels" ] || kernels="6.12 6.1"

runner=$here/../../tools/vm/vm-run

for k in $kernels; do
	echo "=== kernel $k"
	# GST_PLUGIN_PATH in vm-run's environment: the guest then gets the
	# registry the VM tests left (a scan under -icount takes minutes)
	if [ -n "$decode" ]; then
		# shellcheck disable=SC2086 # $icount is words
		GST_PLUGIN_PATH="$build/gst" "$runner" --build-dir "$build" --kernel "$k" \
			--display --source-modules vicodec,vkms $icount --timeout 2400 -- \
			"$here/decode-bench" "$build/examples/fwht-encode" "$@"
	elif [ -n "$vkms" ]; then
		# shellcheck disable=SC2086
		GST_PLUGIN_PATH="$build/gst" "$runner" --build-dir "$build" --kernel "$k" \
			--source-modules vkms $icount --timeout 900 -- \
			"$build/bench/display/dmaheapsink-bench" --kms-driver vkms \
			--max-size 1920x1080 "$@"
	else
		# shellcheck disable=SC2086
		GST_PLUGIN_PATH="$build/gst" "$runner" --build-dir "$build" --kernel "$k" \
			--display $icount --timeout 900 -- \
			"$build/bench/display/dmaheapsink-bench" "$@"
	fi
done
