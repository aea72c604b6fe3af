#!/bin/sh
# The guest half of tools/demo.sh.
# Usage: demo-in-vm.sh DECODE_DISPLAY_EXE FWHT_ENCODE_EXE
set -e
here=$(dirname "$0")
echo "== dma-buf heaps on $(uname -r)"
"$here/vm/list-heaps"
echo
echo "== encode 60 frames to FWHT (vicodec)"
rm -f /tmp/demo-*.fwht
gst-launch-1.0 -q videotestsrc pattern=smpte num-buffers=60 \
	! video/x-raw,format=BGRx,width=640,height=480,framerate=30/1 ! fdsink fd=1 |
	"$2" --width 640 --height 480 --format BGRx --output /tmp/demo-%03d.fwht
echo
echo "== decode to display"
"$1" --stream /tmp/demo-%03d.fwht --no-sync --frames 60 \
	--exec-at-eos "sh -c 'vm-screendump screen > /tmp/demo-shot'"
echo
echo "== the screen against the source (SMPTE bars rendered without codec or sink)"
exec "$here/compare-screen" --codec fwht "$(cat /tmp/demo-shot)" 640 480 videotestsrc:smpte
