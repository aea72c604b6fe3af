#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The heap figures of issue 13 (docs/performance.md, "Frames and large
# buffers"), in one VM boot:   frame-bench.sh HEAP_BENCH
# - one 512 MiB buffer, mmap + write every page, ours against the kernel's
#   system heap (on every kernel with one: 6.12 maps page by page at fault
#   time, 7.3 whole chunks at mmap time);
# - on 7.3 also alloc + mmap + write every page + close at 1, 8 and 32 MiB,
#   paced at 30 allocations per second and unpaced, ours without and with
#   the page pool against the kernel's system heap; and 32 MiB paced at
#   5/s: under TCG one 32 MiB allocation + write takes longer than 1/30 s,
#   so 30/s leaves the heap no time between allocations, as a real
#   machine's would.
set -eu
echo "# kernel $(uname -r)"
"$1" -b 512,7 -n 0 -m 0
case "${VM_KERNEL:-}" in
7.*)
	"$1" -n 0 -m 100 -w 10 -t -p 30 -s 1024,8192,32768
	"$1" -n 0 -m 100 -w 10 -t -s 1024,8192,32768
	"$1" -n 0 -m 60 -w 5 -t -p 5 -s 32768
	;;
esac
