#!/bin/sh
# Runs dmaheapsink-bench in one VM boot per kernel, with QEMU counting
# instructions (-icount): the guest's clock then advances with the
# instructions it executes, not with host time, so CPU times measured in the
# guest do not depend on what else loads the host (under plain TCG they
# swing by 2x on a shared 2-core machine).
#
# usage: bench/display/run-bench.sh BUILD_DIR [KERNEL...] [-- BENCH ARGS]
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

runner=$(cd "$(dirname "$0")/../.." && pwd)/tools/vm/vm-run

for k in $kernels; do
	echo "=== kernel $k"
	"$runner" --build-dir "$build" --kernel "$k" --display --icount 3 --timeout 900 -- \
		env GST_PLUGIN_PATH="$build/gst" \
		"$build/bench/display/dmaheapsink-bench" "$@"
done
