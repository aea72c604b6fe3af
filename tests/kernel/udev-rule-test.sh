#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# In the VM (root, writable overlay): install kernel/60-dma-heap-ext.rules,
# run a real systemd-udevd over our heap devices and check that every node
# of ours ends up group video, mode 0660 - and the kernel's own heaps do not
# change. Prints ok/not ok lines; exits 1 on any failure.
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
		charged=$(cat "$dev/charged")
		check "$(stat -c '%G %a' "/dev/dma_heap/$name") $(tagged "/dev/dma_heap/$name")" "video 660 $charged" \
		      "kernel's framework: /dev/dma_heap/$name group video, 0660, tagged uaccess exactly when charged ($charged)"
		check "$(stat -c '%G %a' "/dev/dma_heap_ext/$name") $(tagged "/dev/dma_heap_ext/$name")" "video 660 $charged" \
		      "kernel's framework: /dev/dma_heap_ext/$name the same"
	done
	check "$(cat /sys/class/dma_heap_ext/system-uncached/charged)" 1 "mem_accounting=1: system-uncached is charged"
	check "$(tagged /dev/dma_heap/system)" 0 "the kernel's own system heap is not tagged uaccess"
	rm -f /etc/udev/rules.d/60-dma-heap-ext.rules /etc/udev/rules.d/61-dma-heap-ext-uaccess.rules
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

# with charging on, the uaccess variant tags the charged heaps, and only them
if rmmod dma_heap_ext 2>/dev/null && insmod "$VM_KMOD_DIR/dma_heap_ext.ko" $VM_KMOD_ARGS mem_accounting=1; then
	cp "$uaccess" /etc/udev/rules.d/ || exit 1
	udevadm control --reload
	udevadm trigger --action=add --subsystem-match=dma_heap_ext
	udevadm settle -t 60
	for dev in /sys/class/dma_heap_ext/*; do
		name=$(basename "$dev")
		check "$(tagged "/dev/dma_heap/$name")" "$(cat "$dev/charged")" \
		      "uaccess rule: /dev/dma_heap/$name tagged uaccess exactly when charged ($(cat "$dev/charged"))"
	done
	check "$(cat /sys/class/dma_heap_ext/system-uncached/charged)" 1 "mem_accounting=1: system-uncached is charged"
	check "$(cat /sys/class/dma_heap_ext/contiguous/charged)" 0 "mem_accounting=1: the contiguous carveout is not"
	rm -f /etc/udev/rules.d/61-dma-heap-ext-uaccess.rules
	rmmod dma_heap_ext && insmod "$VM_KMOD_DIR/dma_heap_ext.ko" $VM_KMOD_ARGS || fail=1
else
	echo "not ok - reload dma_heap_ext with mem_accounting=1"
	fail=1
fi

udevadm control --exit
exit $fail
