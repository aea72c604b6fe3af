#!/bin/sh
# Runs inside the test VM (tools/vm/vm-run, see docs/testing.md): every
# dmaheapalloc check binary on the real heaps of this kernel, including the
# real clients (v4l2src on vivid, kmssink on cirrus). Nothing may skip here:
# DMAHEAP_TEST_REQUIRE=1 turns a missing heap or device into a failure.
#
# usage: run-vm.sh SYSTEM_PLUGIN_DIR PLUGIN_BUILD_DIR CHECK_BINARY...
set -u

system_plugins=$1
plugins=$2
shift 2

export DMAHEAP_TEST_REQUIRE=1
export GST_PLUGIN_PATH_1_0="$plugins"
export GST_PLUGIN_SYSTEM_PATH_1_0="$system_plugins"
# TCG is slow: give each test case time.
export CK_DEFAULT_TIMEOUT=300

echo "kernel $(uname -r); heaps:"
ls -l /dev/dma_heap/ 2>&1
for d in /sys/class/dma_heap_ext/*; do
	[ -d "$d" ] && echo "  ours: $(basename "$d")"
done

failed=""
for t in "$@"; do
	name=$(basename "$t")
	echo "=== $name"
	"$t"
	rc=$?
	echo "=== $name: exit $rc"
	[ "$rc" -eq 0 ] || failed="$failed $name($rc)"
done

# V4L2's multi-planar API: NV12 in two dma-bufs (memory-per-plane).
for t in "$@"; do
	[ "$(basename "$t")" = dmaheapalloc-clients ] || continue
	echo "=== $(basename "$t") with vivid multiplanar=2"
	if rmmod vivid && modprobe vivid multiplanar=2; then
		DMAHEAP_TEST_MPLANE=1 "$t"
		rc=$?
	else
		rc=99
	fi
	echo "=== $(basename "$t") multiplanar: exit $rc"
	[ "$rc" -eq 0 ] || failed="$failed $(basename "$t")-multiplanar($rc)"
done

if [ -n "$failed" ]; then
	echo "FAILED:$failed"
	exit 1
fi
echo "all $# check binaries passed on $(uname -r)"
