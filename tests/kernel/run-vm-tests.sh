#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Everything tests/kernel/ checks, in one VM boot (see meson.build):
#   run-vm-tests.sh HEAP_TEST_BINARY
# First the kernel's own dmabuf-heaps selftest ($VM_KSELFTEST, from this
# kernel's linux-source) against every heap in /dev/dma_heap, ours at the
# module's default parameters and the kernel's own; then ours; then the
# udev rule.
set -u
here=$(dirname "$(readlink -f "$0")")
status=0

# the foreign node (not a heap) comes back for the name-clash test only,
# the test importer for its own tests: heap-test loads both itself
rmmod dhe_foreign_heap dma_heap_ext_test 2>/dev/null

if [ -z "${VM_KSELFTEST:-}" ]; then
	echo "not ok - no kernel selftest (vm-run --kselftest dmabuf-heaps)"
	status=1
else
	echo "# the kernel's dmabuf-heaps selftest, heaps: $(ls /dev/dma_heap | tr '\n' ' ')"
	out=$("$VM_KSELFTEST" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# selftest: /'
	if [ $rc -ne 0 ] || echo "$out" | grep -qE '^not ok|# SKIP|FAIL'; then
		echo "not ok - the kernel's dmabuf-heaps selftest (status $rc, failures or skips above)"
		status=1
	else
		echo "ok - the kernel's dmabuf-heaps selftest passes on every heap (status 0, no skip)"
	fi
fi
"$1" || status=1
"$here/udev-rule-test.sh" || status=1
exit $status
