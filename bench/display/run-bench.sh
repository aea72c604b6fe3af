#!/bin/sh
# Runs dmaheapsink-bench in one VM boot per kernel, with QEMU counting
# instructions (-icount): the guest's clock then advances with the
# instructions it executes, not with host time, so CPU times measured in the
# guest do not depend on what else loads the host (under plain TCG they
# swing by 2x on a shared 2-core machine).
#
# tools/vm/vm-run has no option for it: this runs a copy of it, in the build
# directory, whose QEMU line asks for single-threaded TCG with -icount.
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

src=$(cd "$(dirname "$0")/../.." && pwd)
runner=$build/vmtools-icount/vm-run
rm -rf "$build/vmtools-icount"
mkdir -p "$build/vmtools-icount"
cp -a "$src/tools/vm/." "$build/vmtools-icount/"
sed -i "s/'-accel', 'tcg,thread=multi',/'-accel', 'tcg,thread=single', '-icount', 'shift=3,sleep=off',/" "$runner"
grep -q -- "-icount" "$runner" || {
	echo "run-bench.sh: could not add -icount to $runner (vm-run changed?)" >&2
	exit 1
}
# The copy must sit two levels below the source root, as tools/vm does.
[ "$(cd "$build/vmtools-icount/../.." && pwd)" = "$src" ] || {
	echo "run-bench.sh: BUILD_DIR must be a direct subdirectory of $src" >&2
	exit 1
}

for k in $kernels; do
	echo "=== kernel $k"
	"$runner" --build-dir "$build" --kernel "$k" --display --timeout 900 -- \
		env GST_PLUGIN_PATH="$build/gst" \
		"$build/bench/display/dmaheapsink-bench" "$@"
done
