#!/bin/sh
# Runs inside the test VM (tools/vm/vm-run, see docs/testing.md): every
# dmaheapalloc check binary on the real heaps of this kernel, including the
# real clients (v4l2src on vivid, kmssink on cirrus). Nothing may skip here:
# DMAHEAP_TEST_REQUIRE=1 turns a missing heap or device into a failure.
# Output: TAP (tools/vm/vm-run --tap, meson's protocol 'tap').
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

echo "# kernel $(uname -r); heaps:"
ls -l /dev/dma_heap/ 2>&1 | sed 's/^/#   /'
for d in /sys/class/dma_heap_ext/*; do
	[ -d "$d" ] && echo "#   ours: $(basename "$d")"
done

# One TAP line per test case (libcheck's CK_TAP_LOG_FILE_NAME), named by
# binary; the binaries' own output as comments. A check binary that fails
# outside its cases (a crash) or runs none fails on its own line; a program
# that is not a check binary (no TAP file: the heap-select example) is one
# result, its exit status.
failures=0
result() {
	echo "$1"
	case "$1" in "not ok"*) failures=$((failures + 1)) ;; esac
}
run_check() {
	label=$1
	shift
	tap=/tmp/check-$label.tap log=/tmp/check-$label.log
	rm -f "$tap"
	CK_TAP_LOG_FILE_NAME=$tap "$@" >"$log" 2>&1
	rc=$?
	sed 's/^/# /' "$log"
	if [ ! -e "$tap" ]; then
		[ "$rc" -eq 0 ] && result "ok - $label: exit 0" || result "not ok - $label: exit $rc"
		return
	fi
	cases=$(sed -n "s/^\(not ok\|ok\) [0-9]* - /\1 - $label: /p" "$tap")
	if [ -n "$cases" ]; then
		while IFS= read -r line; do result "$line"; done <<-EOF
			$cases
		EOF
	else
		result "not ok - $label: ran no test case (exit $rc)"
	fi
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$tap"; then
		result "not ok - $label: exit $rc with no failed case"
	fi
}

for t in "$@"; do
	run_check "$(basename "$t")" "$t"
done

# V4L2's multi-planar API: NV12 in two dma-bufs (memory-per-plane).
for t in "$@"; do
	[ "$(basename "$t")" = dmaheapalloc-clients ] || continue
	if rmmod vivid && modprobe vivid multiplanar=2; then
		DMAHEAP_TEST_MPLANE=1 run_check "$(basename "$t")-multiplanar" "$t"
	else
		echo "not ok - $(basename "$t")-multiplanar: reloading vivid with multiplanar=2 failed"
	fi
done

echo "# $failures failure(s) on $(uname -r)"
[ "$failures" -eq 0 ]
