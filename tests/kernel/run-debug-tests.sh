#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The boot with the kernel's memory debugging on, swiotlb=force and
# cgroup.memory=nokmem (see meson.build): DMA coherence through bounce
# buffers on every heap (with the test module vm-run loaded), every failure
# point of the fault-injection build walked, the random operation fuzzer on
# each of our heaps, then charging with kernel-memory accounting off.
#   run-debug-tests.sh COHERENCE_TEST FAULT_TEST HEAP_FUZZ HEAP_TEST [SECONDS_PER_HEAP]
set -u
status=0
heap_test=$4

"$1" || status=1
shift
"$1" || status=1

echo "# == random operations"
insmod "$VM_KMOD_DIR/dma_heap_ext.ko" $VM_KMOD_ARGS || { echo "not ok - reload dma_heap_ext"; exit 1; }
if [ -e /sys/class/dma_heap_ext/system ]; then sys=system; else sys=system-ext; fi
# (not $cma: the kernel hands its unknown cma=64M to init's environment where
# it has no CMA)
cma_heap=
[ -e /sys/class/dma_heap_ext/default_cma_region ] && cma_heap=default_cma_region
"$2" --seconds "${4:-20}" ${FUZZ_SEED:+--seed "$FUZZ_SEED"} $sys system-uncached contiguous $cma_heap || status=1

"$heap_test" --charging-off || status=1
exit $status
