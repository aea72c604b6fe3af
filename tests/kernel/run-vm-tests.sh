#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Everything tests/kernel/ checks, in one VM boot (see meson.build):
#   run-vm-tests.sh HEAP_TEST_BINARY
# First the kernel's own dmabuf-heaps selftest ($VM_KSELFTEST, from this
# kernel's linux-source) against every heap in /dev/dma_heap, ours (loaded
# with the module's own framework, kernel_framework=0: the tests reload it)
# and the kernel's own; then ours; then the udev rule; last the module
# reloaded at its defaults, which on 7.x add the heaps to the kernel's
# framework, and the selftest again through the kernel's nodes.
set -u
here=$(dirname "$(readlink -f "$0")")
status=0

# the foreign node (not a heap) comes back for the name-clash test only,
# the test importer for its own tests: heap-test loads both itself
rmmod dhe_foreign_heap dma_heap_ext_test 2>/dev/null

# the kernel's selftest against every node in /dev/dma_heap
selftest() {
	echo "# the kernel's dmabuf-heaps selftest ($1), heaps: $(ls /dev/dma_heap | tr '\n' ' ')"
	out=$("$VM_KSELFTEST" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# selftest: /'
	if [ $rc -ne 0 ] || echo "$out" | grep -qE '^not ok|# SKIP|FAIL'; then
		echo "not ok - the kernel's dmabuf-heaps selftest, $1 (status $rc, failures or skips above)"
		status=1
	else
		echo "ok - the kernel's dmabuf-heaps selftest passes on every heap, $1 (status 0, no skip)"
	fi
}

if [ -z "${VM_KSELFTEST:-}" ]; then
	echo "not ok - no kernel selftest (vm-run --kselftest dmabuf-heaps)"
	status=1
else
	selftest "module loaded with ${VM_KMOD_ARGS:-no parameters}"
fi
"$1" || status=1
"$here/udev-rule-test.sh" || status=1
# last: where the kernel exports its framework, the module cannot be
# unloaded once its heaps are added there
"$1" --kernel-framework || status=1
if [ "$(cat /sys/module/dma_heap_ext/parameters/kernel_framework)" = Y ]; then
	"$here/udev-rule-test.sh" --kernel-framework || status=1
fi
if [ -n "${VM_KSELFTEST:-}" ] &&
   [ "$(cat /sys/module/dma_heap_ext/parameters/kernel_framework)" = Y ]; then
	selftest "heaps in the kernel's framework"
fi
exit $status
