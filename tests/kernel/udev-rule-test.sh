#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# In the VM (root, writable overlay): install kernel/60-dma-heap-ext.rules,
# run a real systemd-udevd over our heap devices and check that every node
# of ours ends up group video, mode 0660 - and the kernel's own heaps do not
# change; and that the uaccess variant tags a heap exactly when its memory
# is charged to the allocating process's memory cgroup - which is measured
# here, from outside the module: a process in a cgroup v2 of its own
# allocates 16 MiB from the heap, and the cgroup's memory.current rises by
# most of it (charged) or stays (not charged). The module's own "charged"
# attribute is then checked against that measurement, on a line of its own.
# Prints ok/not ok lines (other lines start with #); exits 1 on any failure.
#   udev-rule-test.sh                     the module's own framework
#   udev-rule-test.sh --kernel-framework  heaps in the kernel's framework,
#                                         module loaded with mem_accounting=1
set -u

here=$(dirname "$(readlink -f "$0")")
rules="$here/../../kernel/60-dma-heap-ext.rules"
udevd=/lib/systemd/systemd-udevd
fail=0

check() {
	if [ "$1" = "$2" ]; then
		echo "ok - $3"
	else
		echo "not ok - $3 (got '$1', want '$2')"
		fail=1
	fi
}

if [ "$(id -u)" != 0 ] || [ ! -d /sys/class/dma_heap_ext ]; then
	echo "# needs root and dma_heap_ext loaded: run through tools/vm/vm-run"
	exit 77
fi

uaccess="$here/../../kernel/61-dma-heap-ext-uaccess.rules"
tagged() {
	udevadm info -q property "$1" | grep -q '^TAGS=.*:uaccess:' && echo 1 || echo 0
}

# ---- the oracle: does allocating from a heap raise memory.current? ----
cg=/sys/fs/cgroup/dhe-udev-test
mib=1048576
probe_mib=16
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)

cgroup_ready=0
cgroup_setup() {
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup || return 1
	grep -qw memory /sys/fs/cgroup/cgroup.controllers || return 1
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control || return 1
	mkdir -p "$cg" && [ -r "$cg/memory.current" ]
}

# Prints "BEFORE WITH": $cg's memory.current before and while a process
# moved into $cg holds a buffer of $2 bytes from heap node $1 (upstream's
# DMA_HEAP_IOCTL_ALLOC, nothing of this project's). Fails when it cannot.
alloc_in_cgroup() {
	"$python" - "$1" "$2" "$cg" <<'PY'
import fcntl, os, struct, sys

node, size, cg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# struct dma_heap_allocation_data { __u64 len; __u32 fd; __u32 fd_flags;
# __u64 heap_flags; }; DMA_HEAP_IOCTL_ALLOC = _IOWR('H', 0x0, that)
fmt = "=QIIQ"
alloc = (3 << 30) | (struct.calcsize(fmt) << 16) | (ord("H") << 8) | 0


def current():
    with open(cg + "/memory.current") as f:
        return int(f.read())


with open(cg + "/cgroup.procs", "w") as f:
    f.write(str(os.getpid()))
heap = os.open(node, os.O_RDWR | os.O_CLOEXEC)
req = struct.pack(fmt, size, 0, os.O_RDWR | os.O_CLOEXEC, 0)
before = current()
reply = fcntl.ioctl(heap, alloc, req)
with_buffer = current()
print(before, with_buffer)
os.close(struct.unpack(fmt, reply)[1])
os.close(heap)
PY
}

# Sets $charging for heap node $1: 1 when holding a $probe_mib MiB buffer
# of it raised the cgroup's memory.current by at least 3/4 of that, 0 when
# by less than 1 MiB, "?" otherwise (or when nothing could be measured).
measure_charging() {
	charging="?"
	if [ "$cgroup_ready" != 1 ] || [ -z "$python" ]; then
		echo "# $1: cannot measure (no memory cgroup or no python3)"
		return
	fi
	# no more than the heap says one buffer can have now (a carveout's
	# largest free extent: after heap-test it came back in 12 MiB extents
	# on 7.3), never by how its memory happens to lie
	probe=$((probe_mib * mib))
	info=/sys/class/dma_heap_ext/$(basename "$1")
	if [ -r "$info/max_size" ] && [ "$(cat "$info/max_size")" -gt 0 ] &&
		[ "$(cat "$info/max_size")" -lt "$probe" ]; then
		probe=$(($(cat "$info/max_size") / mib * mib))
	fi
	if [ "$probe" -lt $((2 * mib)) ]; then
		echo "# $1: the heap says its largest buffer is $(cat "$info/max_size") bytes: too small to measure"
		return
	fi
	if ! figures=$(alloc_in_cgroup "$1" "$probe"); then
		echo "# $1: allocating $((probe / mib)) MiB in $cg failed (the heap: max_size $(cat "$info/max_size" 2>/dev/null), free_bytes $(cat "$info/free_bytes" 2>/dev/null))"
		return
	fi
	set -- "$1" $figures
	rise=$(($3 - $2))
	if [ "$rise" -ge $((probe * 3 / 4)) ]; then
		charging=1
	elif [ "$rise" -lt "$mib" ]; then
		charging=0
	fi
	echo "# $1: memory.current $(($2 / 1024)) -> $(($3 / 1024)) KiB while a process in it holds $((probe / mib)) MiB (+$((rise / 1024)) KiB): charged $charging"
}

if cgroup_setup; then
	cgroup_ready=1
fi
check "$cgroup_ready" 1 "a cgroup v2 with the memory controller ($cg), to measure charging"

mkdir -p /etc/udev/rules.d /run/udev
rm -f /etc/udev/rules.d/60-dma-heap-ext.rules /etc/udev/rules.d/61-dma-heap-ext-uaccess.rules
"$udevd" --daemon || { echo "not ok - start systemd-udevd"; exit 1; }

# Heaps in the kernel's framework: the allocation node is the kernel's
# (class dma_heap), /dev/dma_heap_ext/<name> the module's query node.
if [ "${1:-}" = --kernel-framework ]; then
	cp "$rules" "$uaccess" /etc/udev/rules.d/ || exit 1
	udevadm control --reload
	udevadm trigger --action=add --subsystem-match=dma_heap --subsystem-match=dma_heap_ext
	udevadm settle -t 60
	for dev in /sys/class/dma_heap_ext/*; do
		name=$(basename "$dev")
		# allocated through the kernel's node, as users do
		measure_charging "/dev/dma_heap/$name"
		want=$charging
		[ "$name" = system-uncached ] && want=0
		check "$(stat -c '%G %a' "/dev/dma_heap/$name") $(tagged "/dev/dma_heap/$name")" "video 660 $want" \
		      "kernel's framework: /dev/dma_heap/$name group video, 0660, tagged uaccess exactly when memory.current says it is charged ($charging), never system-uncached"
		check "$(stat -c '%G %a' "/dev/dma_heap_ext/$name") $(tagged "/dev/dma_heap_ext/$name")" "video 660 $want" \
		      "kernel's framework: /dev/dma_heap_ext/$name the same"
		check "$(cat "$dev/charged")" "$charging" \
		      "kernel's framework: $name's charged attribute says what memory.current measured ($charging)"
		[ "$name" = system-uncached ] && uncached=$charging
	done
	check "${uncached:-none}" 1 "mem_accounting=1: allocating from system-uncached raises memory.current"
	check "$(tagged /dev/dma_heap/system)" 0 "the kernel's own system heap is not tagged uaccess"
	rm -f /etc/udev/rules.d/60-dma-heap-ext.rules /etc/udev/rules.d/61-dma-heap-ext-uaccess.rules
	rmdir "$cg" 2>/dev/null
	udevadm control --exit
	exit $fail
fi

# control: without our rule the nodes stay root-only
udevadm trigger --action=add --subsystem-match=dma_heap_ext
udevadm settle -t 60
for dev in /sys/class/dma_heap_ext/*; do
	name=$(basename "$dev")
	check "$(stat -c '%G %a' "/dev/dma_heap/$name")" "root 600" \
	      "without the rule: /dev/dma_heap/$name is root-only"
done

cp "$rules" /etc/udev/rules.d/ || exit 1
udevadm control --reload
udevadm trigger --action=add --subsystem-match=dma_heap_ext
udevadm settle -t 60

n=0
for dev in /sys/class/dma_heap_ext/*; do
	name=$(basename "$dev")
	check "$(stat -c '%G %a' "/dev/dma_heap/$name")" "video 660" \
	      "udev rule: /dev/dma_heap/$name is group video, mode 0660"
	n=$((n + 1))
done
check "$([ "$n" -ge 2 ] && echo yes)" yes "udev rule: applied to $n heaps"
if [ -e /dev/dma_heap/system ] && [ ! -d /sys/class/dma_heap_ext/system ]; then
	udevadm trigger --action=add --subsystem-match=dma_heap
	udevadm settle -t 60
	check "$(stat -c '%G %a' /dev/dma_heap/system)" "video 660" \
	      "udev rule: the kernel's own system heap too (one rule for every node)"
fi

# the oracle's control: with the module at its defaults nothing is charged
measure_charging /dev/dma_heap/system-uncached
check "$charging" 0 "control: without mem_accounting, allocating from system-uncached leaves memory.current"

# with charging on, the uaccess variant tags the charged heaps, and only
# them, but system-uncached (a cost to the whole machine, docs/kernel.md)
if rmmod dma_heap_ext 2>/dev/null && insmod "$VM_KMOD_DIR/dma_heap_ext.ko" $VM_KMOD_ARGS mem_accounting=1; then
	cp "$uaccess" /etc/udev/rules.d/ || exit 1
	udevadm control --reload
	udevadm trigger --action=add --subsystem-match=dma_heap_ext
	udevadm settle -t 60
	uncached=none contiguous=none
	for dev in /sys/class/dma_heap_ext/*; do
		name=$(basename "$dev")
		measure_charging "/dev/dma_heap/$name"
		want=$charging
		[ "$name" = system-uncached ] && want=0
		check "$(tagged "/dev/dma_heap/$name")" "$want" \
		      "uaccess rule: /dev/dma_heap/$name tagged uaccess exactly when memory.current says it is charged ($charging), never system-uncached"
		check "$(cat "$dev/charged")" "$charging" \
		      "$name's charged attribute says what memory.current measured ($charging)"
		case $name in
		system-uncached) uncached=$charging ;;
		contiguous) contiguous=$charging ;;
		esac
	done
	check "$uncached" 1 "mem_accounting=1: allocating from system-uncached raises memory.current"
	check "$contiguous" 0 "mem_accounting=1: allocating from the contiguous carveout does not"
	rm -f /etc/udev/rules.d/61-dma-heap-ext-uaccess.rules
	rmmod dma_heap_ext && insmod "$VM_KMOD_DIR/dma_heap_ext.ko" $VM_KMOD_ARGS || fail=1
else
	echo "not ok - reload dma_heap_ext with mem_accounting=1"
	fail=1
fi

rmdir "$cg" 2>/dev/null
udevadm control --exit
exit $fail
