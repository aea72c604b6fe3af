#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# In the VM (root, writable overlay): install kernel/60-dma-heap-ext.rules,
# run a real systemd-udevd over our heap devices and check that every node
# of ours ends up group video, mode 0660 - and the kernel's own heaps do not
# change. Prints ok/not ok lines; exits 1 on any failure.
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

mkdir -p /etc/udev/rules.d /run/udev
rm -f /etc/udev/rules.d/60-dma-heap-ext.rules
"$udevd" --daemon || { echo "not ok - start systemd-udevd"; exit 1; }

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
	check "$(stat -c '%a' /dev/dma_heap/system)" 600 \
	      "udev rule: the kernel's own system heap is left alone"
fi

udevadm control --exit
exit $fail
